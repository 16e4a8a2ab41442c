#!/usr/bin/env bash
# Configures and builds one variant of sinklab: scripts/build.sh [release|asan|fuzz] (default
# release). fuzz: clang, and only the libFuzzer harnesses of tests/fuzz (scripts/fuzz.sh runs them).
# Extra arguments go to CMake, e.g. -DSINKLAB_NATIVE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."

variant="${1:-release}"
targets=()
shift || true
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSINKLAB_SANITIZE=ON -DSINKLAB_BENCH=OFF) ;;
  fuzz) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++
               -DSINKLAB_FUZZ=ON -DSINKLAB_TESTS=OFF -DSINKLAB_BENCH=OFF)
        targets=(--target sinklab_fuzzers) ;;
  *) echo "build: unknown variant '$variant' (use release, asan or fuzz)" >&2; exit 2 ;;
esac
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "build/$variant" "${generator[@]}" -DSINKLAB_WERROR=ON "${flags[@]}" "$@" >/dev/null
cmake --build "build/$variant" -j "$(nproc)" "${targets[@]}"
