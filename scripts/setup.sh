#!/usr/bin/env bash
# Installs the Debian packages sinklab needs to build, test and run. Idempotent: does nothing
# when every package is already present. Run as root or with sudo available.
set -euo pipefail

# Both README commands need all of these (command 2 only adds the test and benchmark libraries).
# ocl-icd-opencl-dev: Debian's oneDNN CMake config looks for OpenCL, and libdnnl-dev only
# recommends it, so --no-install-recommends would leave CMake failing on a fresh machine.
# ca-certificates: curl's HTTPS downloads of the data sets (without SINKLAB_DATA_MIRROR).
# clang, libclang-rt-14-dev (libFuzzer and clang's sanitizer runtimes) and libomp-dev (clang's
# omp.h and OpenMP runtime) build the fuzz variant that command 2 ends with.
# libopenmpi-dev and openmpi-bin (mpirun): data-parallel training, and its tests.
packages=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev ocl-icd-opencl-dev libeigen3-dev libcli11-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev
  libsentencepiece-dev libpcre2-dev libssl-dev curl ca-certificates unzip gnuplot-nox libgtest-dev libbenchmark-dev
  clang libclang-rt-14-dev libomp-dev libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
