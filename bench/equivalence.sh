#!/usr/bin/env bash
# sinklab against PyTorch on one setting, over seeds: each seed trained by sinklab, then by PyTorch
# from sinklab's own initial weights on exactly sinklab's batches (sinklab replay +
# bench/torch_equivalence.py); then `sinklab compare` draws both sides' curves (mean and seed
# band) and bench/equivalence_summary.py says where each side's mean leaves the other's band.
#
#   bench/equivalence.sh CONFIG NAME [SEEDS] [sinklab train options...]
#   bench/equivalence.sh configs/tinystories-emergence.yaml emergence "0 1 2"
#
# Everything lands in runs/equivalence-NAME/ (sinklab-s<seed>, torch-s<seed>, replay-s<seed>, compare/).
# TORCH_THREADS (default 2) sets PyTorch's threads; SINKLAB names another sinklab binary.
# Needs Debian's python3-torch (and libopenblas0-openmp for speed); not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
config=$1 name=$2 seeds=${3:-"0 1 2"}
shift $(( $# < 3 ? $# : 3 ))
sinklab=${SINKLAB:-build/release/sinklab}
root=runs/equivalence-$name
mkdir -p "$root"
for seed in $seeds; do
  if [ ! -f "$root/sinklab-s$seed/summary.json" ]; then
    $sinklab train "$config" --runs-dir "$root" --name "sinklab-s$seed" --resume --set seed="$seed" "$@"
  fi
  if [ ! -f "$root/replay-s$seed/replay.json" ]; then
    rm -rf "$root/replay-s$seed"
    $sinklab replay "$root/sinklab-s$seed" --out "$root/replay-s$seed"
  fi
  if [ ! -f "$root/torch-s$seed/done" ]; then
    rm -rf "$root/torch-s$seed"
    (cd bench && /usr/bin/python3 torch_equivalence.py "../$root/sinklab-s$seed" "../$root/replay-s$seed" --out "../$root/torch-s$seed" --threads "${TORCH_THREADS:-2}")
    touch "$root/torch-s$seed/done"
  fi
done
$sinklab compare "$root" --out "$root/compare"
/usr/bin/python3 bench/equivalence_summary.py "$root" | tee "$root/summary.md"
