#!/usr/bin/env bash
# Remakes tests/fuzz/corpus/: the seeds scripts/fuzz.sh starts each harness from. The valid ones
# (valid-*) are the files of a real run, a tiny model trained with build/release/sinklab
# (scripts/build.sh release) in a temporary folder on text like tests/support/cli_fixture.cpp's;
# the invalid ones (bad-*) are cut or edited from them, or written out here, one flaw each.
# Inputs of two files join them with the harnesses' separator (fuzz_support.h).
set -euo pipefail
cd "$(dirname "$0")/../.."
sinklab="$PWD/build/release/sinklab"
[ -x "$sinklab" ] || { echo "make_seeds: $sinklab is missing (scripts/build.sh release)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
corpus=tests/fuzz/corpus
rm -rf "$corpus"
mkdir -p "$corpus"/{safetensors,npy,config,token_file,checkpoint_state,records,hf_checkpoint,gpt2_tokenizer}
sep=$'\n----8<----\n'

# 120 documents of 12 to 28 words from a 12-word vocabulary; every sixth is validation text.
words=(the cat sat on a mat and then it slept in sun)
train="" valid=""
for ((d = 0; d < 120; d++)); do
  doc=""
  for ((w = 0; w < 12 + d % 17; w++)); do doc+="${words[(d * 5 + w * 7) % 12]} "; done
  if ((d % 6 == 0)); then valid+="$doc"$'\n\n'; else train+="$doc"$'\n\n'; fi
done
printf '%s' "$train" >"$tmp/train.txt"
printf '%s' "$valid" >"$tmp/valid.txt"
# The model fuzz_checkpoint_state.cpp builds: keep the two in step.
cat >"$tmp/tiny.yaml" <<YAML
seed: 1
data:
  name: text
  path: train.txt
  valid_path: valid.txt
  tokenizer: byte
  context: 16
model:
  d_model: 8
  n_layer: 1
  n_head: 2
  d_ff: 16
optim:
  lr: 0.01
  warmup: 2
train:
  steps: 8
  batch_size: 4
  eval_every: 4
  eval_batches: 2
  checkpoint_every: 4
  threads: 1
  log_every: 4
analysis:
  every: 4
  probe_sequences: 4
  probe_length: 16
  snapshot_every: 1
YAML
(cd "$tmp" && SINKLAB_DATA_DIR="$tmp/data" SINKLAB_RUNS_DIR="$tmp/runs" "$sinklab" train tiny.yaml --name tiny-s1 >/dev/null)
run="$tmp/runs/tiny-s1"
ckpt="$run/checkpoints/step_0000008"

# Little-endian 64-bit number, as raw bytes.
le64() { for i in 0 1 2 3 4 5 6 7; do printf "\\x$(printf %02x $((($1 >> (8 * i)) & 255)))"; done; }
# A safetensors file: header JSON, then the given number of zero data bytes.
safetensors() { le64 ${#1}; printf '%s' "$1"; head -c "$2" /dev/zero; }
# A .npy file of format 1.0: header text, then the given number of zero data bytes.
npy() { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x ${#1})\\x00"; printf '%s' "$1"; head -c "$2" /dev/zero; }
# Overwrites bytes of a file at an offset.
patch() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

cd "$corpus"

# safetensors: io::decode_safetensors
cp "$ckpt/model.safetensors" safetensors/valid-model.safetensors
safetensors '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]},"c":{"dtype":"F64","shape":[0,3],"data_offsets":[12,12]}}' 12 >safetensors/valid-small.safetensors
head -c 700 "$ckpt/model.safetensors" >safetensors/bad-truncated.safetensors
{ printf '\xff\xff\xff\xff\xff\xff\xff\x7f'; printf '{}'; } >safetensors/bad-header-length.safetensors
safetensors '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}' 12 >safetensors/bad-overlap.safetensors
safetensors '{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}' 4 >safetensors/bad-dtype.safetensors
safetensors '{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}' 8 >safetensors/bad-shape.safetensors

# npy: io::decode_npy
cp "$run/attn/step_0000008.npy" npy/valid-attention.npy
npy "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" 12 >npy/valid-vector.npy
npy "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" 4 >npy/valid-scalar.npy
head -c 1000 "$run/attn/step_0000008.npy" >npy/bad-truncated.npy
npy "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 999999999999), }" 0 >npy/bad-shape.npy
npy "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }" 16 >npy/bad-descr.npy
npy "{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3), }" 24 >npy/bad-shape-syntax.npy

# config: train::load_config on child.yaml; before the separator, base.yaml
child=$'extends: base.yaml\nmodel:\n  n_layer: 2\n  attention:\n    gate: headwise\nanalysis:\n  eps: [0.2, 0.4]\n'
printf '%s' "$(cat "$tmp/tiny.yaml")$sep$child" >config/valid-extends.yaml
cp "$run/config.resolved.yaml" config/valid-resolved.yaml
printf '%s' "$(cat "$run/config.resolved.yaml")$sep"$'extends: base.yaml\ndata:\n  context: 32\n' >config/valid-extends-resolved.yaml
printf '%s' $'extends: child.yaml\nseed: 2\n'"$sep"$'extends: base.yaml\nseed: 3\n' >config/bad-cycle.yaml
printf '%s' $'model: &m\n  d_model: 8\noptim: *m\n'"$sep"$'extends: base.yaml\n' >config/bad-alias.yaml
printf '%s' $'seed: 1\nseed: 2\n'"$sep"$'extends: base.yaml\n' >config/bad-duplicate.yaml
printf '%s' $'model:\n  d_modle: 8\n'"$sep"$'extends: base.yaml\n---\nseed: 1\n' >config/bad-keys.yaml

# token_file: data::TokenFile, then every token
tokens=("$tmp"/data/cache/tokens/*.bin)
valid_tokens="$(ls -S "${tokens[@]}" | tail -n 1)"  # the smaller file: the validation split
cp "$valid_tokens" token_file/valid-valid.tok
cp "$(ls -S "${tokens[@]}" | head -n 1)" token_file/valid-train.tok
head -c 500 "$valid_tokens" >token_file/bad-truncated.tok
cp "$valid_tokens" token_file/bad-vocab.tok && patch token_file/bad-vocab.tok 16 '\x03\x00'  # ids past the vocabulary
cp "$valid_tokens" token_file/bad-offsets.tok && patch token_file/bad-offsets.tok 176 '\xff\xff'  # document 0 ends past 1
cp "$valid_tokens" token_file/bad-documents.tok && patch token_file/bad-documents.tok 24 '\xff\xff\xff\xff\xff\xff\xff\xff'

# checkpoint_state: train::load_checkpoint of state.json [separator model.safetensors]
state="$(cat "$ckpt/state.json")"
printf '%s\n' "$state" >checkpoint_state/valid-state.json
{ printf '%s' "$state$sep"; cat "$ckpt/model.safetensors"; } >checkpoint_state/valid-state-and-model
printf '%s\n' "${state/\"step\": 8/\"step\": 4}" >checkpoint_state/bad-step.json
printf '%s\n' "${state/\"tokens\": 512/\"tokens\": -512}" >checkpoint_state/bad-tokens.json
printf '%s\n' "${state/\"cursor\": 32/\"cursor\": 3.5e300}" >checkpoint_state/bad-cursor.json
{ printf '%s' "$state$sep"; cat safetensors/valid-small.safetensors; } >checkpoint_state/bad-model-names

# records: report::collect_runs on analysis.jsonl [separator metrics.jsonl]
analysis="$(cat "$run/analysis.jsonl")" metrics="$(cat "$run/metrics.jsonl")"
printf '%s\n' "$analysis$sep$metrics" >records/valid-run
printf '%s\n' "$analysis" >records/valid-analysis-only
printf '%s' "${analysis:0:-20}$sep$metrics" >records/valid-cut-short  # a last line cut by a crash is left out
printf '%s\n' "$analysis$sep"'{"step":"8","tokens":1}' >records/bad-metrics-step
printf '%s\n' "${analysis/\"block_cost\":\[/\"block_cost\":[0.5,}" >records/bad-layers
printf '%s\n' "${analysis/\"snapshot\":\"attn\//\"snapshot\":\"..\/..\/}" >records/bad-snapshot

# hf_checkpoint: hf::read_config and hf::read_weights on config.json [separator model.safetensors.index.json]
golden=../../golden/hf
llama_config="$(cat "$golden/llama/config.json")" gpt2_config="$(cat "$golden/gpt2/config.json")"
llama_index="$(cat "$golden/llama/model.safetensors.index.json")"
printf '%s\n' "$gpt2_config" >hf_checkpoint/valid-gpt2-config
printf '%s\n' "$llama_config$sep$llama_index" >hf_checkpoint/valid-llama-sharded
printf '%s\n' "${llama_config/\"rope_scaling\": null/\"rope_scaling\": {\"factor\": 2.0\}}" >hf_checkpoint/bad-rope-scaling
printf '%s\n' "${gpt2_config/\"n_head\": 4/\"n_head\": 0}" >hf_checkpoint/bad-heads
printf '%s\n' "$llama_config$sep${llama_index/\"model-00002/\"..\/model-00002}" >hf_checkpoint/bad-shard-path

# gpt2_tokenizer: data::load_gpt2_tokenizer on vocab.json [separator merges.txt], then encode and decode
vocab="$(cat "$golden/gpt2/vocab.json")" merges="$(cat "$golden/gpt2/merges.txt")"
printf '%s\n' "$vocab$sep$merges" >gpt2_tokenizer/valid-tokenizer
printf '%s\n' "$vocab$sep#version: 0.2" >gpt2_tokenizer/valid-no-merges
printf '%s\n' "$vocab$sep${merges/$'\n'/$'\nnot-a-merge\n'}" >gpt2_tokenizer/bad-merge-line
printf '%s\n' "${vocab/\"<|endoftext|>\"/\"<|end|>\"}$sep$merges" >gpt2_tokenizer/bad-no-endoftext

du -sh --apparent-size . | sed 's/^/make_seeds: corpus /'
