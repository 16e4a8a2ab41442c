#!/usr/bin/env bash
# README command 1: installs what is missing, builds, fetches TinyStories, trains the default
# config (the natural-text emergence setting, where a sink visibly forms) into
# runs/tinystories-emergence/, ending with its emergence summary, and prints a sample from it.
# Running it again continues or re-uses that run (--resume) instead of starting over. Arguments
# go to `sinklab train`, e.g. `--set train.steps=20` (what CI's fresh-root check runs).
# Offline machines: SINKLAB_DATA_MIRROR=../shared/data scripts/quickstart.sh
set -euo pipefail
. "$(dirname "$0")/mirror.sh"
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release
sinklab=build/release/sinklab
$sinklab data fetch tinystories
$sinklab train configs/tinystories-emergence.yaml --name tinystories-emergence --resume "$@"
$sinklab eval tinystories-emergence
echo "--- sample (sinklab sample tinystories-emergence --prompt 'Once upon a time' --tokens 300 --seed 2):"
$sinklab sample tinystories-emergence --prompt "Once upon a time" --tokens 300 --seed 2
