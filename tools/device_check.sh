#!/usr/bin/env bash
# The one script for a machine with an NVIDIA GPU, in one call that always brings its results
# home. Its steps run in the order of what matters most when time runs out (the plan below, with
# each step's expected time and where that number comes from):
#   correctness: build (sm_XX, ptxas report), gan check (FP32, TF32), the GPU tests (every kernel
#     and cuDNN layer against its CPU reference, every GPU trainer against the CPU trainer), GPU
#     failures (a batch too large for the card is refused), parity against the seed's PyTorch
#     code, compute-sanitizer (memcheck of every model and of --gpu-branches; racecheck), the
#     32/64-pixel colour DCGAN against PyTorch and the CPU, short training runs;
#   then speed: bench_kernels (which decides --gpu-forward), PyTorch's MLP rows, ours, where the
#     step's time goes (bench_step --breakdown), the DCGAN step benchmarks (28x28; 64x64 colour),
#     ncu (one eager step), and, with time to spare, the 200-epoch Fashion-MNIST run.
# The plan's expected times add up to at most the default budget of 500 s (--plan prints them),
# inside the device tool's 600 s per call: the rest is slack for a slow start and the archive.
# As the build grows with the code, the sweep's last steps become spare (see the plan below).
#
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
# the packages are unpacked here into a private prefix, nothing is installed
# (tools/rehearse_bundle_build.sh tries that build on a CPU machine, in CI).
#
#   RESULTS_DIR=/some/where bash tools/device_check.sh [--budget SECONDS] [--only "STEP ..."]
#   bash tools/device_check.sh --plan                      (the plan and its total; runs nothing)
#   bash tools/device_check.sh --rehearse [--budget S] [--time-scale F] [--cap STEP=S ...]
# Exit status: 0 every step passed; 1 a step failed or overran its cap; 2 no GPU; 3 every step
# that ran passed, but some did not fit the budget (skipped, or cut when the budget ran out).
# --only runs just the named steps (build is always kept); the names are the plan's first column.
# GAN_DEVICE_QUICK=1 is --only "check tests failures parity sanitizer racecheck canonical train"
# (the checks alone, no speed sweep).
# --rehearse: every GPU program is replaced by tools/device_stub.sh (tests/device_rehearsal.sh
# runs this in CI), so the order, the budget, the skipping, the file limit and the archive are
# tried where they cost no device time; --time-scale F multiplies every step's expected time and
# cap; --cap STEP=S sets one step's cap to S seconds (not scaled).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
budget_s=500
rehearse=0
time_scale=1
only=""
show_plan=0
declare -A cap_override=()
[[ "${GAN_DEVICE_QUICK:-0}" == 1 ]] && only="check tests failures parity sanitizer racecheck canonical train"
while (($#)); do
  case "$1" in
    --budget) budget_s=$2; shift 2 ;;
    --rehearse) rehearse=1; shift ;;
    --time-scale) time_scale=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --plan) show_plan=1; shift ;;
    --cap)
      [[ "$2" =~ ^[a-z0-9]+=[0-9.]+$ ]] || { echo "device_check: --cap STEP=SECONDS, not $2" >&2; exit 2; }
      cap_override[${2%%=*}]=${2#*=}
      shift 2
      ;;
    *) echo "device_check: unknown argument $1" >&2; exit 2 ;;
  esac
done

# --- the plan ---------------------------------------------------------------------------------
# The build's time grows with the code. Measured on the H200 (16 cores, 2026-11-29, commit
# f7def84): configure 5 s, build 66 s, when host/, kernels/, bench/ and tests/ held 13,591 lines
# of C++ and CUDA (.cpp .h .cu .cuh; the same files the build compiles). Predicted here from
# today's count in proportion: at 21.5k lines (2026-12-05) 5 + 66 * 21.5 / 13.6 = 109 s. Both
# kinds of machine this workplace lends have 16 cores; the cap leaves room for a slower compiler.
# GAN_PLAN_SOURCE_LINES stands in for the count (the rehearsal plans a larger code base with it).
source_lines=${GAN_PLAN_SOURCE_LINES:-$(find "$root/host" "$root/kernels" "$root/bench" "$root/tests" -type f \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -exec cat {} + 2>/dev/null | wc -l)}
build_expect=$((5 + 66 * source_lines / 13591))
build_cap=$((build_expect * 2 > 240 ? build_expect * 2 : 240))

# KEY | NAME | EXPECTED S | CAP S | LOG | COMMAND (a function below), in priority order. Expected
# times are the H200's (first run, shared/device-runs/2026-11-29-h200) where it measured them,
# else counted from their processes at the start-up that run showed: about 1 s for our programs
# (`gan train`: 2,370 steps in 1.8 s of wall time, 1 s of them steps), and about 8 s for a PyTorch
# process (its 300-step MLP sweep of 20 bench_step and 12 PyTorch processes was still running
# after 170 s).
plan=(
  "build|configure + build (sm_ARCH)|$build_expect|$build_cap|build.log|build_all"
  # 2 processes, each about 3 s of checks at batch 128
  "check|gan check (FP32, TF32)|8|40|tests.log|gan_check"
  # the H200 ran the 28 GPU tests of then in 7.8 s; 40 now, the 64-pixel DCGAN's among them
  "tests|GPU tests (vs CPU, yardstick)|20|90|tests.log|gpu_tests"
  "failures|GPU failures (too large a batch)|4|30|tests.log|gpu_failures"
  # 12 of our runs and 10 PyTorch replays (tools/gpu_parity_check.sh): 12 + 40 s
  "parity|parity (PyTorch FP32/TF32, CPU)|55|150|parity.log|parity"
  # 4 runs of 2-3 eager steps under memcheck, about 7 s each
  "sanitizer|compute-sanitizer memcheck (MLP, branches, DCGANs)|28|90|profile.log|memcheck"
  # racecheck of 2 MLP steps took 19 s on the H200; the DCGAN's 2 about as long
  "racecheck|compute-sanitizer racecheck (MLP, DCGAN)|45|120|profile.log|racecheck"
  # 5 GPU and 2 CPU runs of 3 steps, 5 PyTorch replays on the CPU
  "canonical|32/64-pixel colour DCGAN (PyTorch, CPU)|35|100|parity.log|canonical_dcgan"
  # 3 runs: 2 + 1 epochs of MNIST-10k (0.36 ms a step), 1 of the DCGAN (3.5 ms a step)
  "train|training runs (MLP, DCGAN)|10|60|train.log|train_runs"
  # one process; the 8192^3 SGEMM ceilings dominate, 100 repetitions of each
  "kernels|bench: kernels vs cuBLAS/cuBLASLt|12|45|bench.log|bench_kernels"
  # 4 PyTorch processes (resident, graph, as written, fused Adam), 2 batches, 90 steps
  "torch|bench: PyTorch MLP rows|32|80|bench.log|bench_torch"
  # 12 of our processes (graph/eager x FP32/TF32, branches) at batch 128 and 8192, 300 steps
  "bench|bench: our MLP rows|30|80|bench.log|bench_ours"
  # 4 processes with --plan (about 1 s to measure the card's rates first)
  "breakdown|bench: where the step's time goes|15|60|bench.log|breakdown"
  # 9 of our processes and 3 PyTorch at 100 steps of 3.5 ms
  "dcgan|bench: DCGAN step, ours vs PyTorch|45|90|bench.log|bench_dcgan"
  # 2 of ours and 2 PyTorch at 50 steps
  "dcgan64|bench: 64x64 colour DCGAN, ours vs PyTorch|25|60|bench.log|bench_dcgan64"
  # ncu at about 0.2 s a kernel (LaunchStats + SpeedOfLight), about 40 kernels, plus its start
  "ncu|ncu: one eager step|15|60|profile.log|profile_ncu"
  # 93,800 steps at 0.36 ms, 1 PyTorch epoch; a spare step (below)
  "fullrun|bench: 200 epochs Fashion-MNIST|45|90|bench.log|full_run"
)
# Spare steps are not counted in the plan's total: they run when the steps before them took less
# than expected and the budget still covers them. The correctness steps (build to train) must fit
# the budget; the speed sweep after them is counted in its order while it fits, and the first
# sweep step that does not (the build grows with the code) becomes spare with all after it. So the
# plan fits by construction, and what it gave up is printed, not discovered when time runs out.
last_correctness_step=train
always_spare=fullrun
spare_steps=""
planned_s=0
in_sweep=0
for row in "${plan[@]}"; do
  IFS='|' read -r key _ expect _ _ _ <<<"$row"
  if ((in_sweep)) && { [[ -n "$spare_steps" ]] || ((planned_s + expect > budget_s)) || [[ "$key" == "$always_spare" ]]; }; then
    spare_steps+="$key "
  else
    planned_s=$((planned_s + expect))
  fi
  [[ "$key" == "$last_correctness_step" ]] && in_sweep=1
done
if ! ((in_sweep)) || ((planned_s > budget_s)); then
  echo "device_check: the correctness steps alone (build to $last_correctness_step) expect ${planned_s} s," \
    "over the budget of ${budget_s} s: raise --budget or make them shorter" >&2
  ((show_plan)) && exit 2  # a run goes on: what the budget cannot cover is skipped and reported
fi
if ((show_plan)); then
  total=0
  printf '%-10s %-52s %8s %6s %9s\n' "step" "name" "expected" "cap" "by then"
  for row in "${plan[@]}"; do
    IFS='|' read -r key name expect cap _ _ <<<"$row"
    if [[ " $spare_steps " == *" $key "* ]]; then
      printf '%-10s %-52s %7ss %5ss %9s\n' "$key" "$name" "$expect" "$cap" "(spare)"
      continue
    fi
    total=$((total + expect))
    printf '%-10s %-52s %7ss %5ss %8ss\n' "$key" "$name" "$expect" "$cap" "$total"
  done
  echo "spare (run when time is left): ${spare_steps% }"
  echo "plan: ${total} s expected, budget ${budget_s} s; the build predicted from $source_lines source lines"
  exit 0
fi

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
    printf '%-52s %-22s %6s  %s\n' "step" "status" "time" "log"
    cat "$steps_file"
    echo
    grep -hE "^gan check: " "$results/tests.log" 2>/dev/null
    grep -hE "^\[  (PASSED|FAILED|SKIPPED) +\]|^\[==========\] .* ran" "$results/tests.log" 2>/dev/null | head -n 24
    grep -hE "^device_check: (refused|NOT refused)" "$results/tests.log" 2>/dev/null
    grep -hE "^(== [0-9]|== canonical|PASS|FAIL)" "$results/parity.log" 2>/dev/null
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
  # The step's watchdog too, or its sleep would outlive this script by up to the step's cap.
  [[ -n "${watchdog_pid:-}" ]] && kill -TERM -- "-$watchdog_pid" 2>/dev/null
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
record() { printf '%-52s %-22s %5ds  %s\n' "$1" "$2" "$3" "$4" >>"$steps_file"; echo "device_check: $1: $2 ($3 s)"; }

# step KEY NAME EXPECT_S CAP_S LOG COMMAND...: runs COMMAND (output appended to LOG) when the time
# left covers EXPECT_S, under a timeout of CAP_S or the time left; records pass, FAIL, timeout or
# skipped. Returns the command's status (0 for a skipped step: nothing to stop for).
step() {
  local key=$1 name=$2 expect_ms cap_ms log=$5
  expect_ms=$(awk -v s="$3" -v f="$time_scale" 'BEGIN { printf "%d", s * f * 1000 }')
  cap_ms=$(awk -v s="$4" -v f="$time_scale" 'BEGIN { printf "%d", s * f * 1000 }')
  [[ -n "${cap_override[$key]:-}" ]] && cap_ms=$(awk -v s="${cap_override[$key]}" 'BEGIN { printf "%d", s * 1000 }')
  shift 5
  if ! selected "$key"; then
    record "$name" "skipped (not asked)" 0 "-"
    return 0
  fi
  local left
  left=$(left_ms)
  if ((left < expect_ms)); then
    record "$name" "skipped (budget: $((left > 0 ? left / 1000 : 0)) s left)" 0 "-"
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
  watchdog_pid=$!
  wait "$running_pid"
  rc=$?
  kill -TERM -- "-$watchdog_pid" 2>/dev/null
  wait "$watchdog_pid" 2>/dev/null
  running_pid="" watchdog_pid=""
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
  echo "plan: the build predicted at ${build_expect} s from $source_lines source lines"
} >"$work/environment.txt" 2>&1
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d '. ')
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
if [[ -z "$arch" ]]; then
  echo "device_check: no GPU visible (nvidia-smi found none): nothing to check here" | tee -a "$work/environment.txt"
  exit 2
fi

# --- dependencies: the system's, or the bundle's unpacked into a private prefix -------------
source "$root/tools/device_bundle.sh"
deps_prefix=""
if ((!rehearse)) && compgen -G "$bundle/debs/*.deb" >/dev/null; then
  deps_prefix="$bundle/prefix"
  bundle_unpack "$bundle/debs" "$deps_prefix" 2>&1 | tee -a "$work/environment.txt"
  ((PIPESTATUS[0] == 0)) || exit 1
  lib_path=$(bundle_library_path "$deps_prefix")
  export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
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
    cmake --build "$build" -j "$(nproc 2>/dev/null || echo 4)" --target gan gan_tests bench_step bench_kernels bench_plan
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

parity() { bash tools/gpu_parity_check.sh "$gan"; }

# shapes_folder SIZE: a folder of colour images SIZE pixels square for the 32/64-pixel DCGAN: the
# bundle's (tools/prepare_device.sh makes it), else one made here (needs PIL).
shapes_folder() {
  local size=$1
  if [[ -d "$bundle/data/shapes$size" ]]; then echo "$bundle/data/shapes$size"; return; fi
  if [[ ! -d "$work/shapes$size" ]]; then
    "$PYTHON" tools/make_shapes.py "$work/shapes$size" --per-class 8 --size "$size" --background any \
      --supersample 1 --noise 8 >&2 || { echo "device_check: no shapes$size in the bundle, and none could be made" >&2; return 1; }
  fi
  echo "$work/shapes$size"
}

# Memcheck (illegal addresses, uninitialised reads, leaks of device memory) of a few eager steps
# of every model: the MLP on one stream and with --gpu-branches (side streams; with spectral norm
# and DiffAugment, whose kernels and buffers then run beside them), the 28x28 DCGAN, and the
# 32-pixel colour DCGAN (whose first step would have faulted on null pointers: issue 29).
memcheck() {
  local rc=0 small=(--sample-every 0 --checkpoint-every 0 --log-every 1 --no-graph) shapes
  local mc=(compute-sanitizer --tool memcheck --error-exitcode 9 "$gan" train --device cuda)
  "${mc[@]}" --steps 3 --out "$work/mc-mlp" "${small[@]}" || rc=1
  "${mc[@]}" --steps 3 --out "$work/mc-branches" "${small[@]}" --gpu-branches true --spectral-norm \
    --augment color,translation,cutout || rc=1
  "${mc[@]}" --steps 2 --out "$work/mc-dcgan" --model dcgan --dcgan-channels 12,6 --batch 16 "${small[@]}" || rc=1
  shapes=$(shapes_folder 32) || return 1
  "${mc[@]}" --steps 2 --out "$work/mc-dcgan32" --data "$shapes" --image-size 32 --channels 3 --model dcgan \
    --dcgan-channels 8 --batch 16 "${small[@]}" || rc=1
  return "$rc"
}

# Racecheck (shared-memory hazards in our kernels): the MLP's (spectral norm's and DiffAugment's
# block reductions included; what their threads hand each other through global memory it cannot
# see: the GPU tests against the CPU catch a missing barrier there), and the DCGAN with our fused
# BatchNorm kernels (with cuDNN's BatchNorm it would mostly check cuDNN's kernels).
racecheck() {
  local rc=0 small=(--sample-every 0 --checkpoint-every 0 --log-every 1 --no-graph)
  local race=(compute-sanitizer --tool racecheck --error-exitcode 9 "$gan" train --device cuda)
  "${race[@]}" --steps 2 --out "$work/rc-mlp" "${small[@]}" --spectral-norm --augment color,translation,cutout || rc=1
  "${race[@]}" --steps 2 --out "$work/rc-dcgan" --model dcgan --dcgan-channels 12,6 --batch 16 \
    --gpu-batchnorm fused "${small[@]}" || rc=1
  return "$rc"
}

# The 32- and 64-pixel colour DCGAN (pytorch/examples' dcgan; its GPU passes have never run): a
# 3-step GPU trace replayed by PyTorch and held against the CPU trainer's trace of the same run,
# at 32 and 64 pixels, and the conditional one at 32 against PyTorch (the ctest
# TorchParity.CanonicalDcgan* tests do the same on the CPU).
canonical_dcgan() {
  local rc=0 size shapes base
  for size in 32 64; do
    echo "== canonical DCGAN, ${size}x${size} colour"
    shapes=$(shapes_folder "$size") || return 1
    base=(--data "$shapes" --image-size "$size" --channels 3 --model dcgan --dcgan-channels 8 --batch 16
          --beta1 0.5 --steps 3 --log-every 3 --sample-every 0)
    "$gan" train --device cuda "${base[@]}" --out "$work/canon$size-cuda" \
      --trace "$work/canon$size-cuda.safetensors" || { rc=1; continue; }
    "$PYTHON" tools/torch_parity.py "$work/canon$size-cuda.safetensors" --betas 0.5 0.999 || rc=1
    "$gan" train --device cpu "${base[@]}" --out "$work/canon$size-cpu" \
      --trace "$work/canon$size-cpu.safetensors" >/dev/null || { rc=1; continue; }
    "$PYTHON" tools/torch_parity.py "$work/canon$size-cuda.safetensors" --peer "$work/canon$size-cpu.safetensors" \
      --betas 0.5 0.999 || rc=1
  done
  echo "== canonical DCGAN, 32x32 colour, conditional"
  shapes=$(shapes_folder 32) || return 1
  "$gan" train --device cuda --data "$shapes" --image-size 32 --channels 3 --model dcgan --dcgan-channels 8 \
    --conditional --label-dim 3 --batch 16 --beta1 0.5 --steps 3 --log-every 3 --sample-every 0 \
    --out "$work/canon32c-cuda" --trace "$work/canon32c-cuda.safetensors" || return 1
  "$PYTHON" tools/torch_parity.py "$work/canon32c-cuda.safetensors" || rc=1
  return "$rc"
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
    train_run dcgan --data data/mnist --epochs 1 --model dcgan --beta1 0.5
}

# The speed sweep. Every row lands in bench.log and the archive as it is measured.
bench_kernels() {
  mkdir -p "$work/archive/kernels"
  "$build/bench_kernels" --batch 128 --reps 100 --json "$work/archive/kernels/kernels-b128.json"
}
# The MLP sweep at the smallest and the largest batch of bench/run.sh's five; PyTorch's rows first.
bench_mlp() {
  GAN_BENCH_RESULTS="$work/archive/bench" GAN_BENCH_PRINT_JSON=1 bash bench/run.sh --device cuda --gan "$build" \
    --batches "128 8192" --steps 300 "$@"
}
bench_torch() { bench_mlp --parts torch; }
bench_ours() { bench_mlp --parts ours; }

# Where the step's time goes (issue 16's instrument, bench_step --breakdown --plan): the step's
# plan (bench_plan reads it from the step recorded on the CPU; bench_step predicts each kernel
# from rates measured on this card), each phase of eager steps between CUDA events beside its
# prediction, the graph's kernel count, and graph replays on the GPU beside the host's launch
# time; the seed's MLP at batch 128 and 8192, on one stream and with branches (side streams),
# then the DCGAN at 128.
breakdown() {
  local rc=0 out="$work/archive/breakdown" branches
  mkdir -p "$out"
  # plan_then_step NAME BENCH_PLAN_FLAGS -- BENCH_STEP_FLAGS
  plan_then_step() {
    local name=$1 plan_flags=() step_flags=()
    shift
    while [[ $# -gt 0 && "$1" != -- ]]; do plan_flags+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    step_flags=("$@")
    "$build/bench_plan" "${plan_flags[@]}" --json "$out/$name.plan.json" >"$out/$name.plan.txt" || return 1
    "$build/bench_step" --device cuda "${plan_flags[@]}" "${step_flags[@]}" --breakdown 1 \
      --plan "$out/$name.plan.json" --json "$out/$name.json"
  }
  for branches in 0 1; do
    plan_then_step "mlp-b128-branches$branches" --batch 128 --branches "$branches" -- --steps 200 --warmup 20 || rc=1
  done
  plan_then_step mlp-b8192 --batch 8192 -- --steps 20 --warmup 3 --block 10 || rc=1
  plan_then_step dcgan-b128 --model dcgan --batch 128 -- --steps 50 --warmup 5 || rc=1
  return "$rc"
}

bench_dcgan() {
  GAN_BENCH_RESULTS="$work/archive/bench-dcgan" GAN_BENCH_PRINT_JSON=1 bash bench/run.sh --device cuda --model dcgan \
    --gan "$build" --steps 100
}
# The 64x64 colour DCGAN (issue 18): ours against pytorch/examples' dcgan in PyTorch
# (bench/torch_dcgan.py --size 64), batch 128, on random resident images.
bench_dcgan64() {
  local rc=0 out="$work/archive/bench-dcgan64"
  mkdir -p "$out"
  "$build/bench_step" --model dcgan --device cuda --synthetic 1024 --image-size 64 --channels 3 --batch 128 \
    --steps 50 --warmup 10 --json "$out/ours-graph.json" || rc=1
  "$build/bench_step" --model dcgan --device cuda --synthetic 1024 --image-size 64 --channels 3 --batch 128 \
    --steps 50 --warmup 10 --batchnorm fused --json "$out/ours-graph-fusedbn.json" || rc=1
  for mode in eager benchmark; do
    "$PYTHON" bench/torch_dcgan.py --device cuda --size 64 --colour 3 --width 64 --batch 128 --steps 50 \
      --warmup 10 --mode "$mode" --json "$out/torch-$mode.json" || rc=1
  done
  return "$rc"
}

profile_ncu() {
  GAN="$gan" GAN_PROFILE_OUT="$work/ncu" bash tools/profile.sh ncu 21:21 --no-graph || return
  cp "$work/ncu/gan-ncu.csv" "$work/archive/ncu.csv"
}

full_run() { bash bench/full_run.sh --gan "$gan" --torch-epochs 1; }

# --- the run, in the plan's order -------------------------------------------------------------
gan="$build/gan"
built=0
for row in "${plan[@]}"; do
  IFS='|' read -r key name expect cap log command <<<"$row"
  name=${name//ARCH/$arch}
  if ((built != 0)); then
    record "$name" "skipped (no build)" 0 "-"
    continue
  fi
  step "$key" "$name" "$expect" "$cap" "$results/$log" "$command"
  rc=$?
  [[ "$key" == build ]] && built=$rc
done
finish
echo
echo "device_check summary ($gpu_name, sm_$arch):"
cat "$summary"
((failures == 0)) || { echo "device_check: $failures step(s) failed"; exit 1; }
((skipped == 0)) || { echo "device_check: every step run passed, but $skipped did not fit the budget"; exit 3; }
echo "device_check: every step passed"
