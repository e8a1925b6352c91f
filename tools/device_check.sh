#!/usr/bin/env bash
# The one script for a machine with an NVIDIA GPU: configure and build for the local GPU, run the
# GPU tests (every kernel and cuDNN layer against its CPU reference, both GPU trainers against
# the CPU trainers), `gan check`, the GPU parity checks against the seed's PyTorch code, short
# training runs (MLP and DCGAN), and the step benchmarks of both models against PyTorch; logs and
# a summary under $RESULTS_DIR (default results/), the summary table printed last.
#
# Such a machine has the CUDA toolkit, CMake, a C++ compiler and Python with PyTorch, but maybe no
# network and none of our Debian packages: run tools/prepare_device.sh first on a networked
# machine, and bring its folder (.device/debs and .device/data, or $GAN_DEVICE_BUNDLE) along;
# the packages are unpacked here into a private prefix, nothing is installed.
#   RESULTS_DIR=/some/where bash tools/device_check.sh
# GAN_DEVICE_QUICK=1 skips the benchmarks (about half the time): a rerun of the checks alone.
# At most 8 files are written to RESULTS_DIR (this workplace's device tool returns no more):
# summary.txt (environment + table), build.log, ptxas.txt, gpu_tests.log, check.log, parity.log,
# train.log, bench.log.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
results=${RESULTS_DIR:-results}
bundle=${GAN_DEVICE_BUNDLE:-$root/.device}
build=${GAN_DEVICE_BUILD:-$root/build-device}
mkdir -p "$results"
summary="$results/summary.txt"
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

# train_run RUN_DIR FLAGS...: a GPU training run, then its speed and final losses.
train_run() {
  local dir=$1
  shift
  "$gan" train --device cuda --out "$dir" --log-every 50 --sample-every 0 --checkpoint-every 0 "$@" || return
  "$PYTHON" - "$dir/metrics.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if '"d_loss"' in line]
ms = [r["ms_per_step"] for r in rows[1:]] or [rows[-1]["ms_per_step"]]  # the first window holds start-up
last = rows[-1]
print(f"result: steps {last['step']}, median ms/step {statistics.median(ms):.4f}, "
      f"images/s {statistics.median(r['images_per_s'] for r in rows[1:] or rows):.0f}, "
      f"final d_loss {last['d_loss']:.4f} g_loss {last['g_loss']:.4f} D(x) {last['d_real']:.3f} D(G(z)) {last['d_fake']:.3f}")
PY
}

# --- the environment (the head of the summary) ----------------------------------------------
{
  date -u
  nvidia-smi || true
  nvcc --version || /usr/local/cuda/bin/nvcc --version || true
  cmake --version | head -n 1
  ${CXX:-c++} --version | head -n 1
  git -C "$root" log -1 --format='commit %H %s' 2>/dev/null || true
  echo
} >"$summary" 2>&1
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
# The data: data/ if prepared here, else the bundle's (data/ is what the tools default to).
if [[ ! -e "$root/data/mnist" && -d "$bundle/data/mnist" ]]; then
  [[ -e "$root/data" ]] || ln -s "$bundle/data" "$root/data"
fi
# Python with PyTorch: the plain python3 on such machines (Debian's /usr/bin/python3 here).
export PYTHON=${PYTHON:-python3}
# cuDNN (the DCGAN): the toolkit's if it has one, else the one PyTorch's wheels bring.
cudnn_root=""
cuda_home=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")
if [[ ! -e "$cuda_home/include/cudnn.h" ]]; then
  cudnn_root=$("$PYTHON" -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null || true)
  [[ -n "$cudnn_root" ]] && export LD_LIBRARY_PATH="$cudnn_root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "cuDNN: ${cudnn_root:-$cuda_home, from the CUDA toolkit}" >>"$summary"

# --- build ----------------------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 4)
step "configure (sm_$arch)" "$results/build.log" \
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA_ARCHITECTURES="$arch" \
  -DGAN_PTXAS_VERBOSE=ON -DGAN_DEPS_PREFIX="$deps_prefix" -DGAN_CUDNN_ROOT="$cudnn_root" &&
  step "build gan, tests, benches" "$results/build.log" cmake --build "$build" -j "$jobs" --target gan gan_tests bench_step bench_kernels
built=$?
# Registers, shared memory and spills of every kernel, from the ptxas report in the build log.
grep -E "ptxas info *: (Compiling entry|Used)|spill" "$results/build.log" >"$results/ptxas.txt" 2>/dev/null || true

if ((built == 0)); then
  gan="$build/gan"
  # --- the kernels against their references ---------------------------------------------------
  step "GPU tests (kernels vs CPU)" "$results/gpu_tests.log" gpu_tests "$build/tests/gan_tests"
  step "gan check --tf32" "$results/check.log" "$gan" check --tf32
  step "GPU parity (PyTorch, CPU)" "$results/parity.log" bash tools/gpu_parity_check.sh "$gan"
  # --- short training runs: ms per step, images per second, final losses ---------------------
  run_dir=$(mktemp -d)
  step "train MNIST-10k 2 epochs (graph)" "$results/train.log" train_run "$run_dir/graph" --data data/mnist --epochs 2
  step "train MNIST-10k 2 epochs (eager)" "$results/train.log" train_run "$run_dir/eager" --data data/mnist --epochs 2 --no-graph
  step "train Fashion-MNIST 1 epoch" "$results/train.log" train_run "$run_dir/fashion" --data data/fashion-mnist --epochs 1
  step "train DCGAN MNIST-10k 1 epoch" "$results/train.log" train_run "$run_dir/dcgan" --data data/mnist --epochs 1 \
    --model dcgan --beta1 0.5
  rm -rf "$run_dir"
  # --- benchmarks: ours against the PyTorch peer on this GPU, the kernels, the full run -------
  # (GAN_DEVICE_QUICK=1 skips them: a rerun of the checks alone.)
  [[ "${GAN_DEVICE_QUICK:-0}" == 1 ]] && { echo "device_check: benchmarks skipped (GAN_DEVICE_QUICK=1)" >>"$summary"; }
fi
if ((built == 0)) && [[ "${GAN_DEVICE_QUICK:-0}" != 1 ]]; then
  bench_dir=$(mktemp -d)
  step "bench: step, ours vs PyTorch" "$results/bench.log" \
    env GAN_BENCH_RESULTS="$bench_dir" GAN_BENCH_PRINT_JSON=1 bash bench/run.sh --device cuda --gan "$build" \
    --kernels --steps 300
  step "bench: 200 epochs Fashion-MNIST" "$results/bench.log" bash bench/full_run.sh --gan "$gan" --torch-epochs 1
  step "bench: DCGAN step, ours vs PyTorch" "$results/bench.log" \
    env GAN_BENCH_RESULTS="$bench_dir/dcgan" GAN_BENCH_PRINT_JSON=1 bash bench/run.sh --device cuda --model dcgan \
    --gan "$build" --steps 300
  rm -rf "$bench_dir"
fi
echo
echo "device_check summary ($(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1), sm_$arch):"
printf '%-34s %-16s %6s  %s\n' "step" "status" "time" "log"
grep -E "^[A-Za-z].{33} (pass|FAIL)" "$summary"
grep -E "^gan check: " "$results/check.log" 2>/dev/null
grep -E "^(PASS|FAIL)" "$results/parity.log" 2>/dev/null
grep -E "^result: " "$results/train.log" 2>/dev/null
sed -n '/^run  /,/^bench: JSON/p' "$results/bench.log" 2>/dev/null | grep -v "^bench: JSON"
grep -A4 "^full run" "$results/bench.log" 2>/dev/null
grep -E "^\[  (PASSED|FAILED|SKIPPED) +\]|tests? ran" "$results/gpu_tests.log" 2>/dev/null | head -n 20
((failures == 0)) || { echo "device_check: $failures step(s) failed"; exit 1; }
echo "device_check: all steps passed"
