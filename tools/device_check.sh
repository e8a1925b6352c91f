#!/usr/bin/env bash
# The one script for a machine with an NVIDIA GPU: configure and build for the local GPU, run the
# GPU tests (every kernel against its CPU reference), `gan check`, and a short training run;
# logs and a summary under $RESULTS_DIR (default results/), the summary table printed last.
#
# Such a machine has the CUDA toolkit, CMake, a C++ compiler and Python with PyTorch, but maybe no
# network and none of our Debian packages: run tools/prepare_device.sh first on a networked
# machine, and bring its folder (.device/debs and .device/data, or $GAN_DEVICE_BUNDLE) along;
# the packages are unpacked here into a private prefix, nothing is installed.
#   RESULTS_DIR=/some/where bash tools/device_check.sh
# At most 8 files are written to RESULTS_DIR (this workplace's device tool returns no more).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
results=${RESULTS_DIR:-results}
bundle=${GAN_DEVICE_BUNDLE:-$root/.device}
build=${GAN_DEVICE_BUILD:-$root/build-device}
mkdir -p "$results"
summary="$results/summary.txt"
: >"$summary"
failures=0

# step NAME LOG COMMAND...: runs COMMAND with its output in LOG, records status and seconds.
step() {
  local name=$1 log=$2
  shift 2
  local start=$SECONDS
  echo "== $name" | tee -a "$log" >/dev/null
  "$@" >>"$log" 2>&1
  local rc=$?
  local status=pass
  ((rc == 0)) || { status="FAIL (exit $rc)"; failures=$((failures + 1)); }
  printf '%-34s %-16s %5ds  %s\n' "$name" "$status" $((SECONDS - start)) "$(basename "$log")" >>"$summary"
  echo "device_check: $name: $status ($((SECONDS - start)) s)"
  return $rc
}

# The GPU tests; on a GPU machine a skipped test means the GPU was not usable: a failure here.
gpu_tests() {
  local output
  output=$(mktemp)
  "$1" --gtest_filter='Gpu*:CheckCompare*' 2>&1 | tee "$output"
  local rc=${PIPESTATUS[0]}
  if grep -q '^\[  SKIPPED \]' "$output"; then
    echo "device_check: GPU tests were skipped: the GPU is not usable from CUDA"
    rc=3
  fi
  rm -f "$output"
  return "$rc"
}

# --- the environment ------------------------------------------------------------------------
{
  date -u
  nvidia-smi || true
  nvcc --version || /usr/local/cuda/bin/nvcc --version || true
  cmake --version | head -n 1
  ${CXX:-c++} --version | head -n 1
  git -C "$root" log -1 --format='commit %H %s' 2>/dev/null || true
} >"$results/env.txt" 2>&1
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d '. ')
if [[ -z "$arch" ]]; then
  echo "device_check: no GPU visible (nvidia-smi found none): nothing to check here" | tee -a "$summary"
  exit 2
fi

# --- dependencies: the system's, or the bundle's unpacked into a private prefix -------------
deps_prefix=""
if compgen -G "$bundle/debs/*.deb" >/dev/null; then
  deps_prefix="$bundle/prefix"
  mkdir -p "$deps_prefix"
  for deb in "$bundle"/debs/*.deb; do
    stamp="$deps_prefix/.$(basename "$deb").unpacked"
    [[ -e "$stamp" ]] || { dpkg -x "$deb" "$deps_prefix" && touch "$stamp"; } || {
      echo "device_check: could not unpack $deb" | tee -a "$summary"
      exit 1
    }
  done
  export LD_LIBRARY_PATH="$deps_prefix/usr/lib/x86_64-linux-gnu/openblas-openmp:$deps_prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
data_root="$root/data"
[[ -d "$bundle/data/mnist" ]] && data_root="$bundle/data"

# --- build ----------------------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 4)
step "configure (sm_$arch)" "$results/build.log" \
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA_ARCHITECTURES="$arch" \
  -DGAN_PTXAS_VERBOSE=ON -DGAN_DEPS_PREFIX="$deps_prefix" &&
  step "build gan, gan_tests" "$results/build.log" cmake --build "$build" -j "$jobs" --target gan gan_tests
built=$?
# Registers, shared memory and spills of every kernel, from the ptxas report in the build log.
grep -E "ptxas info *: (Compiling entry|Used)|spill" "$results/build.log" >"$results/ptxas.txt" 2>/dev/null || true

if ((built == 0)); then
  gan="$build/gan"
  # --- the kernels against their references ---------------------------------------------------
  step "GPU tests (kernels vs CPU)" "$results/gpu_tests.log" gpu_tests "$build/tests/gan_tests"
  step "gan check --tf32" "$results/check.log" "$gan" check --tf32
  # --- a short training run (the GPU trainer is chosen automatically once it exists) ----------
  run_dir=$(mktemp -d)
  step "train 2 epochs MNIST-10k" "$results/train.log" \
    "$gan" train --data "$data_root/mnist" --out "$run_dir/mnist" --epochs 2 --log-every 50 --sample-every 0
  rm -rf "$run_dir"
fi

echo
echo "device_check summary ($(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1), sm_$arch):"
printf '%-34s %-16s %6s  %s\n' "step" "status" "time" "log"
cat "$summary"
grep -E "^gan check: " "$results/check.log" 2>/dev/null
grep -E "^\[  (PASSED|FAILED|SKIPPED) +\]|tests? ran" "$results/gpu_tests.log" 2>/dev/null | head -n 20
((failures == 0)) || { echo "device_check: $failures step(s) failed"; exit 1; }
echo "device_check: all steps passed"
