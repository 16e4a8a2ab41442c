#!/usr/bin/env bash
# README command 1: installs what is missing and builds sinklab (release).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release
echo "quickstart: built build/release (libraries, tests, benchmarks)"
