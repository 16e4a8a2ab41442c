#!/usr/bin/env bash
# Runs each libFuzzer harness of build/fuzz (scripts/build.sh fuzz) for SECONDS (default 20), one
# after the other, over a temporary copy of its seeds, tests/fuzz/corpus/<loader>/: nothing is
# written into the work tree. Fails when any harness finds something (a crash, a sanitizer report,
# a leak, an exception other than sinklab::Error, an error naming no file, a timeout over 10 s, or
# more than 2 GB of memory); the input that did it is kept in the folder printed at the end.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
loaders=(safetensors npy config token_file checkpoint_state records hf_checkpoint gpt2_tokenizer)
work="$(mktemp -d /tmp/sinklab-fuzz.XXXXXX)"
echo "fuzz: ${#loaders[@]} harnesses, $seconds s each; work folder $work"

failed=()
for loader in "${loaders[@]}"; do
  harness="build/fuzz/fuzz_$loader"
  [ -x "$harness" ] || { echo "fuzz: $harness is missing (scripts/build.sh fuzz builds it)" >&2; exit 2; }
  dir="$work/$loader"
  mkdir -p "$dir/corpus" "$dir/findings" "$dir/tmp"
  cp tests/fuzz/corpus/"$loader"/* "$dir/corpus/"
  # TMPDIR: each harness's scratch folder lands here, so a crashed run leaves nothing in /tmp.
  rc=0
  TMPDIR="$dir/tmp" OMP_NUM_THREADS=1 "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/findings/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir/log" | tail -n 1 | cut -d' ' -f2)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz_$loader: ok, ${runs:-?} runs (${speed:-?}/s), corpus ${corpus:-?} (inputs/bytes)"
  else
    failed+=("fuzz_$loader")
    echo "fuzz_$loader: FOUND something (exit $rc); input kept in $dir/findings/, log $dir/log:"
    grep -v '^#[0-9]' "$dir/log" | tail -n 40 | sed 's/^/    /'
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} found something; reproduce with build/fuzz/<harness> <input>; kept $work" >&2
  exit 1
fi
rm -rf "$work"
echo "fuzz: all ${#loaders[@]} harnesses ok"
