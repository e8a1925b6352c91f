#!/usr/bin/env bash
# The one script for a machine with an NVIDIA GPU, in one call of a few minutes that always brings
# its results home. Under one time budget (--budget, default 420 s) it runs, in this order:
#   build (sm_XX, ptxas report), gan check (FP32, TF32), GPU tests (every kernel and cuDNN layer
#   against its CPU reference, both GPU trainers against the CPU trainers and the exact run),
#   GPU failures (a batch too large for the card is refused before training), parity against the
#   seed's PyTorch code (FP32, TF32, DCGAN), short training runs, the MLP step benchmark (ours vs
#   PyTorch, every batch), where the step's time goes (bench_step --breakdown), the full 200-epoch run, the DCGAN step benchmarks (28x28; 64x64 colour), compute-sanitizer
#   (memcheck, racecheck; both models), ncu (one eager step, per-kernel table).
# Each step has an expected time and a cap. A step runs only when the time left is at least its
# expected time, under a timeout of its cap (or what is left, if less); otherwise it is listed as
# skipped. Logs are written as the steps run; every benchmark row lands in bench.log (and its JSON
# in the archive) the moment it is measured; summary.txt is rebuilt at the end, or on a signal,
# from whatever exists. At most 8 files in $RESULTS_DIR (this workplace's device tool returns no
# more): summary.txt, build.log, tests.log, parity.log, train.log, bench.log, profile.log and
# results.tar.gz (JSON results, metrics, ptxas report, ncu CSV).
#
# Such a machine has the CUDA toolkit, CMake, a C++ compiler and Python with PyTorch, but maybe no
# network and none of our Debian packages: run tools/prepare_device.sh first on a networked
# machine, and bring its folder (.device/debs and .device/data, or $GAN_DEVICE_BUNDLE) along;
# the packages are unpacked here into a private prefix, nothing is installed.
#
#   RESULTS_DIR=/some/where bash tools/device_check.sh [--budget SECONDS] [--only "STEP ..."]
#   bash tools/device_check.sh --rehearse [--budget S] [--time-scale F]   (no GPU needed)
# Exit status: 0 every step passed; 1 a step failed or overran its cap; 2 no GPU; 3 every step
# that ran passed, but some did not fit the budget (skipped, or cut when the budget ran out).
# --only runs just the named steps (build is always kept): build check tests failures parity
# train bench breakdown fullrun dcgan dcgan64 sanitizer ncu. GAN_DEVICE_QUICK=1 is --only "build check tests
# failures parity train" (a rerun of the checks alone).
# --rehearse: every GPU program is replaced by tools/device_stub.sh (tests/device_rehearsal.sh
# runs this in CI), so the budget, the skipping, the file limit and the archive are tried where
# they cost no device time; --time-scale F multiplies every step's expected time and cap.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
budget_s=420
rehearse=0
time_scale=1
only=""
[[ "${GAN_DEVICE_QUICK:-0}" == 1 ]] && only="check tests failures parity train"
while (($#)); do
  case "$1" in
    --budget) budget_s=$2; shift 2 ;;
    --rehearse) rehearse=1; shift ;;
    --time-scale) time_scale=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "device_check: unknown argument $1" >&2; exit 2 ;;
  esac
done
results=${RESULTS_DIR:-results}
bundle=${GAN_DEVICE_BUNDLE:-$root/.device}
build=${GAN_DEVICE_BUILD:-$root/build-device}
mkdir -p "$results"
results=$(cd "$results" && pwd)
work=$(mktemp -d)  # everything that goes into the archive, and scratch
mkdir -p "$work/archive"
summary="$results/summary.txt"
steps_file="$work/steps.txt"  # one line per step: name, status, seconds, log
: >"$steps_file"

now_ms() { date +%s%3N; }
start_ms=$(now_ms)
budget_ms=$(awk -v b="$budget_s" 'BEGIN { printf "%d", b * 1000 }')
left_ms() { echo $((budget_ms - ($(now_ms) - start_ms))); }

if ((rehearse)); then
  # The stubs stand in for the GPU's programs; everything else is this script as it runs on a GPU.
  stub_bin="$work/stub-bin"
  mkdir -p "$stub_bin"
  for name in nvidia-smi nvcc ncu compute-sanitizer cmake python3; do ln -sf "$root/tools/device_stub.sh" "$stub_bin/$name"; done
  export PATH="$stub_bin:$PATH" GAN_STUB_REAL_PYTHON=${GAN_STUB_REAL_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
  export PYTHON="$stub_bin/python3" GAN_STUB_COUNTER="$work/stub-counter"
  build="$work/build-stub"
fi
export PYTHON=${PYTHON:-python3}

# --- the summary: rebuilt from the logs that exist, at the end or on a signal ----------------
write_summary() {
  {
    cat "$work/environment.txt" 2>/dev/null
    echo
    echo "device_check: budget ${budget_s} s (time scale ${time_scale}), used $((($(now_ms) - start_ms) / 1000)) s"
    printf '%-36s %-22s %6s  %s\n' "step" "status" "time" "log"
    cat "$steps_file"
    echo
    grep -hE "^gan check: " "$results/tests.log" 2>/dev/null
    grep -hE "^\[  (PASSED|FAILED|SKIPPED) +\]|^\[==========\] .* ran" "$results/tests.log" 2>/dev/null | head -n 24
    grep -hE "^device_check: (refused|NOT refused)" "$results/tests.log" 2>/dev/null
    grep -hE "^(== [0-9]|PASS|FAIL)" "$results/parity.log" 2>/dev/null
    grep -hE "^result: " "$results/train.log" 2>/dev/null
    if compgen -G "$work/archive/bench/*.json" >/dev/null; then
      echo
      echo "benchmark rows measured (sorted; ratio to our fastest at each batch):"
      "$PYTHON" "$root/bench/table.py" "$work/archive/bench" 2>/dev/null
    fi
    if compgen -G "$work/archive/bench-dcgan/*.json" >/dev/null; then
      echo
      echo "DCGAN benchmark rows measured:"
      "$PYTHON" "$root/bench/table.py" "$work/archive/bench-dcgan" 2>/dev/null
    fi
    grep -hE -A4 "^full run" "$results/bench.log" 2>/dev/null
    grep -hE "ERROR SUMMARY|RACECHECK SUMMARY" "$results/profile.log" 2>/dev/null
    if [[ -s "$work/archive/ncu.csv" ]]; then
      echo
      echo "ncu, one eager step (LaunchStats + SpeedOfLight):"
      "$PYTHON" "$root/tools/ncu_table.py" <"$work/archive/ncu.csv" 2>&1
    fi
  } >"$summary" 2>&1
}

# Packs the archive (at most 8 files come back) and writes the summary; runs once, at exit.
finished=0
finish() {
  ((finished)) && return
  finished=1
  grep -E "ptxas info *: (Compiling entry|Used)|spill" "$results/build.log" >"$work/archive/ptxas.txt" 2>/dev/null
  tar -czf "$results/results.tar.gz" -C "$work/archive" . 2>/dev/null
  write_summary
  rm -rf "$work"
}
on_signal() {
  echo "device_check: stopped by a signal; the summary holds what was measured" >&2
  [[ -n "${running_pid:-}" ]] && kill -TERM -- "-$running_pid" 2>/dev/null
  finish
  exit 143
}
trap on_signal TERM INT
trap finish EXIT

# --- steps under the budget -------------------------------------------------------------------
set -m  # every background job in its own process group (step's watchdog)
failures=0
skipped=0
selected() { [[ -z "$only" || "$1" == build || " $only " == *" $1 "* ]]; }
record() { printf '%-36s %-22s %5ds  %s\n' "$1" "$2" "$3" "$4" >>"$steps_file"; echo "device_check: $1: $2 ($3 s)"; }

# step KEY NAME EXPECT_S CAP_S LOG COMMAND...: runs COMMAND (output appended to LOG) when the time
# left covers EXPECT_S, under a timeout of CAP_S or the time left; records pass, FAIL, timeout or
# skipped. Returns the command's status (0 for a skipped step: nothing to stop for).
step() {
  local key=$1 name=$2 expect_ms cap_ms log=$5
  expect_ms=$(awk -v s="$3" -v f="$time_scale" 'BEGIN { printf "%d", s * f * 1000 }')
  cap_ms=$(awk -v s="$4" -v f="$time_scale" 'BEGIN { printf "%d", s * f * 1000 }')
  shift 5
  if ! selected "$key"; then
    record "$name" "skipped (not asked)" 0 "-"
    return 0
  fi
  local left
  left=$(left_ms)
  if ((left < expect_ms)); then
    record "$name" "skipped (budget: $((left / 1000)) s left)" 0 "-"
    skipped=$((skipped + 1))
    return 0
  fi
  local cut_by_budget=0
  ((cap_ms > left)) && { cap_ms=$left; cut_by_budget=1; }
  local timeout_s began=$SECONDS rc marker="$work/timed-out"
  timeout_s=$(awk -v m="$cap_ms" 'BEGIN { printf "%.3f", m / 1000 }')
  echo "== $name (cap ${timeout_s} s)" >>"$log"
  rm -f "$marker"
  # The step runs as a job of its own (set -m: its own process group), so that the watchdog's
  # signal at the cap stops the step's children too.
  ( trap - TERM INT EXIT; "$@" ) >>"$log" 2>&1 &
  running_pid=$!
  ( trap - TERM INT EXIT
    sleep "$timeout_s"
    touch "$marker"
    kill -TERM -- "-$running_pid" 2>/dev/null
    sleep 5
    kill -KILL -- "-$running_pid" 2>/dev/null ) >/dev/null 2>&1 &
  local watchdog=$!
  wait "$running_pid"
  rc=$?
  kill -TERM -- "-$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  running_pid=""
  local status=pass
  if [[ -e "$marker" ]] && ((cut_by_budget)); then
    status="cut at the budget (${timeout_s} s)"  # it fit its expected time, not its cap
    skipped=$((skipped + 1))
  elif [[ -e "$marker" ]]; then
    status="timeout (${timeout_s} s)"
    failures=$((failures + 1))
  elif ((rc != 0)); then
    status="FAIL (exit $rc)"
    failures=$((failures + 1))
  fi
  echo "rc=$rc" >>"$log"
  record "$name" "$status" $((SECONDS - began)) "$(basename "$log")"
  return "$rc"
}

# --- the environment (the head of the summary) ----------------------------------------------
{
  date -u
  nvidia-smi || true
  nvcc --version 2>/dev/null || /usr/local/cuda/bin/nvcc --version 2>/dev/null || true
  cmake --version | head -n 1
  ${CXX:-c++} --version | head -n 1
  git -C "$root" log -1 --format='commit %H %s' 2>/dev/null || true
} >"$work/environment.txt" 2>&1
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d '. ')
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
if [[ -z "$arch" ]]; then
  echo "device_check: no GPU visible (nvidia-smi found none): nothing to check here" | tee -a "$work/environment.txt"
  exit 2
fi

# --- dependencies: the system's, or the bundle's unpacked into a private prefix -------------
deps_prefix=""
if ((!rehearse)) && compgen -G "$bundle/debs/*.deb" >/dev/null; then
  deps_prefix="$bundle/prefix"
  mkdir -p "$deps_prefix"
  for deb in "$bundle"/debs/*.deb; do
    stamp="$deps_prefix/.$(basename "$deb").unpacked"
    [[ -e "$stamp" ]] || { dpkg -x "$deb" "$deps_prefix" && touch "$stamp"; } || {
      echo "device_check: could not unpack $deb" | tee -a "$work/environment.txt"
      exit 1
    }
  done
  export LD_LIBRARY_PATH="$deps_prefix/usr/lib/x86_64-linux-gnu/openblas-openmp:$deps_prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# The data: data/ if prepared here, else the bundle's (data/ is what the tools default to).
if [[ ! -e "$root/data/mnist" && -d "$bundle/data/mnist" ]]; then
  [[ -e "$root/data" ]] || ln -s "$bundle/data" "$root/data"
fi
# cuDNN (the DCGAN): the toolkit's if it has one, else the one PyTorch's wheels bring.
cudnn_root=""
cuda_home=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")
if ((!rehearse)) && [[ ! -e "$cuda_home/include/cudnn.h" ]]; then
  cudnn_root=$("$PYTHON" -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null || true)
  [[ -n "$cudnn_root" ]] && export LD_LIBRARY_PATH="$cudnn_root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if ((rehearse)); then
  echo "cuDNN: none (a rehearsal: every GPU program is tools/device_stub.sh, every number made up)" >>"$work/environment.txt"
else
  echo "cuDNN: ${cudnn_root:-$cuda_home, from the CUDA toolkit}" >>"$work/environment.txt"
fi

# --- the steps' commands ----------------------------------------------------------------------
build_all() {
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA_ARCHITECTURES="$arch" \
    -DGAN_PTXAS_VERBOSE=ON -DGAN_DEPS_PREFIX="$deps_prefix" -DGAN_CUDNN_ROOT="$cudnn_root" &&
    cmake --build "$build" -j "$(nproc 2>/dev/null || echo 4)" --target gan gan_tests bench_step bench_kernels
}

gan_check() { "$gan" check && "$gan" check --tf32; }

# The GPU tests; on a GPU machine a skipped test means the GPU was not usable: a failure here.
gpu_tests() {
  local output="$work/gpu_tests.out"
  "$build/tests/gan_tests" --gtest_filter='Gpu*:CheckCompare*:DcganYardstick*' 2>&1 | tee "$output"
  local rc=${PIPESTATUS[0]}
  if grep -q '^\[  SKIPPED \]' "$output"; then
    echo "device_check: GPU tests were skipped: the GPU is not usable from CUDA"
    rc=3
  fi
  return "$rc"
}

# A model and batch too large for the card: refused before training, with the sizes named, and
# no run folder left behind.
gpu_failures() {
  local out="$work/too-large" output rc
  output=$("$gan" train --device cuda --data data/fashion-mnist --batch 60000 --g-hidden 65536,65536 \
    --d-hidden 65536,65536 \
    --steps 1 --out "$out" 2>&1)
  rc=$?
  echo "$output"
  if ((rc != 0)) && grep -q "GPU [0-9]" <<<"$output" && grep -q "batch 60000" <<<"$output" && [[ ! -e "$out" ]]; then
    echo "device_check: refused before training, sizes named, no run folder"
    return 0
  fi
  echo "device_check: NOT refused as it should be (exit $rc; run folder $([[ -e "$out" ]] && echo left || echo absent))"
  return 1
}

# train_run NAME FLAGS...: a GPU training run, then its speed and final losses.
train_run() {
  local name=$1 dir="$work/runs/$1"
  shift
  "$gan" train --device cuda --out "$dir" --log-every 50 --sample-every 0 --checkpoint-every 0 "$@" || return
  mkdir -p "$work/archive/train"
  cp "$dir/metrics.jsonl" "$work/archive/train/$name.metrics.jsonl"
  "$PYTHON" - "$dir/metrics.jsonl" "$name" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if '"d_loss"' in line]
ms = [r["ms_per_step"] for r in rows[1:]] or [rows[-1]["ms_per_step"]]  # the first window holds start-up
last = rows[-1]
print(f"result: {sys.argv[2]}: steps {last['step']}, median ms/step {statistics.median(ms):.4f}, "
      f"images/s {statistics.median(r['images_per_s'] for r in rows[1:] or rows):.0f}, "
      f"final d_loss {last['d_loss']:.4f} g_loss {last['g_loss']:.4f} D(x) {last['d_real']:.3f} D(G(z)) {last['d_fake']:.3f}")
PY
}
train_runs() {
  train_run mlp-graph --data data/mnist --epochs 2 &&
    train_run mlp-eager --data data/mnist --epochs 1 --no-graph &&
    train_run fashion --data data/fashion-mnist --epochs 1 &&
    train_run dcgan --data data/mnist --epochs 1 --model dcgan --beta1 0.5
}

bench_mlp() {
  GAN_BENCH_RESULTS="$work/archive/bench" GAN_BENCH_PRINT_JSON=1 bash bench/run.sh --device cuda --gan "$build" \
    --kernels --steps 1000
}
bench_dcgan() {
  GAN_BENCH_RESULTS="$work/archive/bench-dcgan" GAN_BENCH_PRINT_JSON=1 bash bench/run.sh --device cuda --model dcgan \
    --gan "$build" --steps 300
}
# The 64x64 colour DCGAN (issue 18; its GPU passes' first run): ours against pytorch/examples'
# dcgan in PyTorch (bench/torch_dcgan.py --size 64), batch 128, on random resident images.
bench_dcgan64() {
  local rc=0 out="$work/archive/bench-dcgan64"
  mkdir -p "$out"
  "$build/bench_step" --model dcgan --device cuda --synthetic 1024 --image-size 64 --channels 3 --batch 128 \
    --steps 100 --warmup 10 --json "$out/ours-graph.json" || rc=1
  "$build/bench_step" --model dcgan --device cuda --synthetic 1024 --image-size 64 --channels 3 --batch 128 \
    --steps 100 --warmup 10 --batchnorm fused --json "$out/ours-graph-fusedbn.json" || rc=1
  for mode in eager benchmark; do
    "$PYTHON" bench/torch_dcgan.py --device cuda --size 64 --colour 3 --width 64 --batch 128 --steps 100 \
      --warmup 10 --mode "$mode" --json "$out/torch-$mode.json" || rc=1
  done
  return "$rc"
}

# Where the step's time goes (issue 16's instrument, bench_step --breakdown --plan): the step's
# plan (each kernel's work and predicted time, from rates measured on this card), each phase of
# eager steps between CUDA events beside its prediction, the graph's kernel count, and graph
# replays on the GPU beside the host's launch time; the seed's MLP at batch 128 and 8192, on one
# stream and with branches (side streams) in the same call, then the DCGAN at 128.
breakdown() {
  local rc=0 out="$work/archive/breakdown" branches
  mkdir -p "$out"
  for branches in 0 1; do
    "$build/bench_step" --device cuda --batch 128 --steps 200 --warmup 20 --breakdown 1 --plan 1 \
      --branches "$branches" --json "$out/mlp-b128-branches$branches.json" || rc=1
    "$build/bench_step" --device cuda --batch 8192 --steps 20 --warmup 3 --block 10 --breakdown 1 --plan 1 \
      --branches "$branches" --json "$out/mlp-b8192-branches$branches.json" || rc=1
  done
  "$build/bench_step" --device cuda --model dcgan --batch 128 --steps 50 --warmup 5 --breakdown 1 --plan 1 \
    --json "$out/dcgan-b128.json" || rc=1
  return "$rc"
}

sanitizers() {
  local rc=0 small=(--sample-every 0 --checkpoint-every 0 --log-every 1 --no-graph)
  compute-sanitizer --tool memcheck --error-exitcode 9 "$gan" train --device cuda --steps 3 --out "$work/mc-mlp" \
    "${small[@]}" || rc=1
  compute-sanitizer --tool memcheck --error-exitcode 9 "$gan" train --device cuda --steps 3 --out "$work/mc-branches" \
    "${small[@]}" --gpu-branches true || rc=1
  compute-sanitizer --tool memcheck --error-exitcode 9 "$gan" train --device cuda --steps 2 --out "$work/mc-dcgan" \
    --model dcgan --dcgan-channels 12,6 --batch 16 "${small[@]}" || rc=1
  compute-sanitizer --tool racecheck --error-exitcode 9 "$gan" train --device cuda --steps 2 --out "$work/rc-mlp" \
    "${small[@]}" || rc=1
  compute-sanitizer --tool racecheck --error-exitcode 9 "$gan" train --device cuda --steps 2 --out "$work/rc-dcgan" \
    --model dcgan --dcgan-channels 12,6 --batch 16 "${small[@]}" || rc=1
  return "$rc"
}

profile_ncu() {
  GAN="$gan" GAN_PROFILE_OUT="$work/ncu" bash tools/profile.sh ncu 21:21 --no-graph || return
  cp "$work/ncu/gan-ncu.csv" "$work/archive/ncu.csv"
}

# --- the run, in priority order -----------------------------------------------------------------
gan="$build/gan"
step build "configure + build (sm_$arch)" 30 200 "$results/build.log" build_all
built=$?
if ((built == 0)); then
  step check "gan check (FP32, TF32)" 5 40 "$results/tests.log" gan_check
  step tests "GPU tests (vs CPU, yardstick)" 15 120 "$results/tests.log" gpu_tests
  step failures "GPU failures (too large a batch)" 3 30 "$results/tests.log" gpu_failures
  step parity "parity (PyTorch FP32/TF32, CPU)" 40 150 "$results/parity.log" bash tools/gpu_parity_check.sh "$gan"
  step train "training runs (MLP, Fashion, DCGAN)" 15 60 "$results/train.log" train_runs
  step bench "bench: MLP step, ours vs PyTorch" 60 120 "$results/bench.log" bench_mlp
  step breakdown "bench: where the step's time goes" 15 60 "$results/bench.log" breakdown
  step fullrun "bench: 200 epochs Fashion-MNIST" 40 90 "$results/bench.log" \
    bash bench/full_run.sh --gan "$gan" --torch-epochs 1
  step dcgan "bench: DCGAN step, ours vs PyTorch" 40 90 "$results/bench.log" bench_dcgan
  step dcgan64 "bench: 64x64 colour DCGAN, ours vs PyTorch" 25 60 "$results/bench.log" bench_dcgan64
  step sanitizer "compute-sanitizer (memcheck, racecheck)" 30 75 "$results/profile.log" sanitizers
  step ncu "ncu: one eager step" 20 60 "$results/profile.log" profile_ncu
fi
finish
echo
echo "device_check summary ($gpu_name, sm_$arch):"
cat "$summary"
((failures == 0)) || { echo "device_check: $failures step(s) failed"; exit 1; }
((skipped == 0)) || { echo "device_check: every step run passed, but $skipped did not fit the budget"; exit 3; }
echo "device_check: every step passed"
