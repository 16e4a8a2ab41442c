#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite twice,
# in the release build and under AddressSanitizer + UndefinedBehaviorSanitizer; then fuzzes each
# file loader for 20 s (tests/fuzz, libFuzzer under clang).
set -euo pipefail
. "$(dirname "$0")/mirror.sh"
cd "$(dirname "$0")/.."

scripts/setup.sh
for variant in release asan; do
  echo "== $variant build"
  scripts/build.sh "$variant"
  echo "== $variant tests"
  ctest --test-dir "build/$variant" --output-on-failure -j "$(nproc)"
done
echo "== fuzz build"
scripts/build.sh fuzz
echo "== fuzz"
scripts/fuzz.sh 20
