#!/usr/bin/env bash
# One command for the step benchmark: our trainer and the seed's PyTorch loop, measured in the
# same invocation on the same machine, printed as one table and saved as JSON.
#
# usage: bench/run.sh [--device cpu|cuda] [--model mlp|dcgan] [--batches "64 128 512 2048 8192"]
#                     [--steps N] [--gan BUILD_DIR_OR_GAN] [--kernels] [--parts "torch ours"]
#   --device   default: cuda where nvidia-smi sees a GPU, else cpu
#   --model dcgan: the convolutional GAN instead (default batches "128"): ours against
#         bench/torch_dcgan.py, the same model in PyTorch; cpu: ours and PyTorch eager, every
#         core; cuda: ours graph / eager x FP32 / TF32 and graph FP32 with our fused BatchNorm,
#         PyTorch eager, cudnn.benchmark and CUDA graph (all FP32 but ours' TF32 rows)
#   cpu:  ours (every core, and 1 thread at batch 128) at each batch; PyTorch as written and
#         with the data resident, 1 thread and every core, at batch 128
#   cuda: ours graph / no-graph x FP32 / TF32 at each batch; PyTorch resident and CUDA graph at
#         every batch, as written and + fused Adam at batch 128 (one PyTorch process per mode
#         runs all its batches: its start-up is paid once); with --kernels also
#         build/bench_kernels (the kernels against cuBLAS / cuBLASLt)
#   --parts: which parts of the MLP sweep run: torch (the PyTorch rows), ours (our rows); default
#         both. The order is always bench_kernels (--kernels), PyTorch, ours: the first two are a
#         process or four, ours are thirty, and a sweep cut short should lose some of ours, not them.
# A measurement that fails (a bench_step that exits non-zero, a PyTorch mode that fails) is said
# and counted, and the sweep goes on: one failing option must not cost the rows after it. The
# exit status is 1 when any failed.
# Each result is written the moment it is measured: its JSON to $GAN_BENCH_RESULTS (default
# bench/results/<date>-<host>/) and its line to the log and to rows.txt there, so a run cut short
# loses only what it had not measured; at the end the sorted table (bench/table.py) goes to
# table.txt. GAN_BENCH_PRINT_JSON=1 also prints every JSON result as it comes (for a log that must
# carry everything). PYTHON picks the Python with PyTorch (default Debian's /usr/bin/python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
device=""
model=mlp
batches=""
steps=""
build="$root/build"
kernels=0
parts="torch ours"
while (($#)); do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --batch) batches=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --gan) build=$2; [[ -d "$build" ]] || build=$(dirname "$build"); shift 2 ;;
    --kernels) kernels=1; shift ;;
    --parts) parts=$2; shift 2 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$device" ]]; then
  if nvidia-smi -L >/dev/null 2>&1; then device=cuda; else device=cpu; fi
fi
[[ "$model" == mlp || "$model" == dcgan ]] || { echo "bench/run.sh: --model mlp or dcgan" >&2; exit 2; }
for part in $parts; do
  [[ "$part" == torch || "$part" == ours ]] || { echo "bench/run.sh: --parts takes torch and ours, not $part" >&2; exit 2; }
done
part() { [[ " $parts " == *" $1 "* ]]; }
if [[ -z "$batches" ]]; then
  if [[ "$model" == dcgan ]]; then batches="128"; else batches="64 128 512 2048 8192"; fi
fi
bench_step="$build/bench_step"
[[ -x "$bench_step" ]] || { echo "bench/run.sh: $bench_step missing; run tools/setup.sh" >&2; exit 1; }
out=${GAN_BENCH_RESULTS:-bench/results/$(date -u +%Y%m%d-%H%M%S)-$(hostname)}
mkdir -p "$out"
python=${PYTHON:-/usr/bin/python3}
cores=$(nproc)
# measured FILE...: the line (and with GAN_BENCH_PRINT_JSON=1 the JSON) of each result, now.
measured() {
  local f
  for f in "$@"; do
    [[ -s "$f" ]] || continue
    "$python" bench/table.py --row "$f" | tee -a "$out/rows.txt"
    if [[ "${GAN_BENCH_PRINT_JSON:-0}" == 1 ]]; then echo "== $(basename "$f")"; cat "$f"; echo; fi
  done
}
# A PyTorch mode that fails is said, and the sweep goes on: the rows it measured are kept.
peer_failed() {
  echo "bench: PyTorch peer ($1) failed (its error is above); its missing rows are missing from the table" >&2
  peer_failures=$((peer_failures + 1))
}
peer_failures=0
# ours NAME BENCH_STEP_FLAGS...: one measurement of ours into $out/NAME.json and its row. A failing
# bench_step (an option never run on this card, say) is said and counted, and the sweep goes on:
# under set -e an unguarded failure would end the sweep and lose every row after it.
ours() {
  local name=$1 rc=0
  shift
  rm -f "$out/$name.json"
  "$bench_step" "$@" --json "$out/$name.json" >/dev/null || rc=$?
  if ((rc != 0)); then
    echo "bench: $name failed (bench_step exit $rc; its error is above); the sweep goes on" >&2
    ours_failures=$((ours_failures + 1))
    return 0
  fi
  measured "$out/$name.json"
}
ours_failures=0
have_torch=0
"$python" -c 'import torch, torchvision' 2>/dev/null && have_torch=1
((have_torch)) || echo "bench: PyTorch / torchvision not importable by $python: PyTorch rows skipped" >&2

# The data: 60,000 images where available (so a large batch is not a whole epoch), else MNIST-10k.
data=data/mnist
[[ "$device" == cuda && -e data/fashion-mnist/train-images-idx3-ubyte.gz ]] && data=data/fashion-mnist

if [[ "$model" == dcgan ]]; then
  # The DCGAN: ours against the same model in PyTorch (bench/torch_dcgan.py, data resident).
  have_torch=0
  "$python" -c 'import torch, numpy' 2>/dev/null && have_torch=1
  if [[ "$device" == cpu ]]; then
    steps=${steps:-20}
    echo "bench: DCGAN, CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores; $data; $steps timed steps"
  else
    steps=${steps:-300}
    echo "bench: DCGAN, $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n 1); $data; $steps timed steps"
  fi
  for batch in $batches; do
    if [[ "$device" == cpu ]]; then
      ours "ours-dcgan-cpu-b$batch" --model dcgan --data "$data" --batch "$batch" --steps "$steps" --warmup 3
      if ((have_torch)); then
        "$python" bench/torch_dcgan.py --data "$data" --batch "$batch" --steps "$steps" --warmup 3 \
          --json "$out/torch-dcgan-cpu-b$batch-eager.json" >/dev/null || peer_failed "DCGAN eager"
        measured "$out/torch-dcgan-cpu-b$batch-eager.json"
      fi
    else
      for graph in 1 0; do
        for tf32 in 0 1; do
          name="ours-dcgan-cuda-b$batch-$([[ $graph == 1 ]] && echo graph || echo eager)-$([[ $tf32 == 1 ]] && echo tf32 || echo fp32)"
          ours "$name" --model dcgan --device cuda --data "$data" --batch "$batch" --steps "$steps" --warmup 20 \
            --graph "$graph" --tf32 "$tf32"
        done
      done
      # BatchNorm + activation as our fused kernels instead of cuDNN (--gpu-batchnorm fused).
      ours "ours-dcgan-cuda-b$batch-graph-fp32-fusedbn" --model dcgan --device cuda --data "$data" --batch "$batch" \
        --steps "$steps" --warmup 20 --batchnorm fused
      # cuDNN's algorithms timed on this card (--gpu-conv-algos): the fastest deterministic ones,
      # and the fastest of all (maybe not deterministic), in FP32 and TF32.
      for algos in timed timed-any; do
        for tf32 in 0 1; do
          name="ours-dcgan-cuda-b$batch-graph-$([[ $tf32 == 1 ]] && echo tf32 || echo fp32)-$algos"
          ours "$name" --model dcgan --device cuda --data "$data" --batch "$batch" --steps "$steps" --warmup 20 \
            --tf32 "$tf32" --conv-algos "$algos"
        done
      done
      if ((have_torch)); then
        for mode in eager benchmark graph; do
          "$python" bench/torch_dcgan.py --device cuda --data "$data" --mode "$mode" --batch "$batch" \
            --steps "$steps" --warmup 20 --json "$out/torch-dcgan-cuda-b$batch-$mode.json" >/dev/null ||
            peer_failed "DCGAN $mode"
          measured "$out/torch-dcgan-cuda-b$batch-$mode.json"
        done
      fi
    fi
  done
  ((have_torch)) || echo "bench: PyTorch / numpy not importable by $python: PyTorch rows skipped" >&2
elif [[ "$device" == cpu ]]; then
  steps=${steps:-200}
  echo "bench: CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores; $data; $steps timed steps"
  if part torch && ((have_torch)); then
    torch_steps=$((steps / 4 > 20 ? steps / 4 : 20))
    for mode in as_written resident; do
      for threads in "$cores" 1; do
        "$python" bench/torch_seed.py --data "$data" --mode "$mode" --threads "$threads" --batch 128 \
          --steps "$torch_steps" --json "$out/torch-$mode-b128-${threads}threads.json" >/dev/null ||
          peer_failed "$mode, $threads threads"
        measured "$out/torch-$mode-b128-${threads}threads.json"
      done
    done
  fi
  if part ours; then
    for batch in $batches; do
      s=$steps
      ((batch > 512)) && s=$((steps / 10 > 10 ? steps / 10 : 10))  # the large batches take seconds a step
      ours "ours-cpu-b$batch-${cores}threads" --data "$data" --batch "$batch" --steps "$s"
    done
    ours "ours-cpu-b128-1thread" --data "$data" --batch 128 --steps "$steps" --threads 1
  fi
else
  steps=${steps:-1000}
  echo "bench: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n 1); $data; $steps timed steps"
  # The kernels against cuBLAS / cuBLASLt first: one process, and it decides --gpu-forward.
  if ((kernels)) && [[ -x "$build/bench_kernels" ]]; then
    if ! "$build/bench_kernels" --batch 128 --json "$out/kernels-b128.json" | tee "$out/kernels.txt"; then
      echo "bench: bench_kernels failed (its error is above); the sweep goes on" >&2
      ours_failures=$((ours_failures + 1))
    fi
  fi
  if part torch && ((have_torch)); then
    # One process per mode, every batch in it; as written and fused Adam at batch 128 only.
    torch_steps=$((steps * 3 / 10 > 40 ? steps * 3 / 10 : 40))
    for mode in resident graph as_written fused; do
      mode_batches=$batches
      [[ "$mode" == as_written || "$mode" == fused ]] && mode_batches=128
      mode_steps=$torch_steps
      [[ "$mode" == as_written ]] && mode_steps=$((torch_steps / 3))
      "$python" bench/torch_seed.py --device cuda --data "$data" --mode "$mode" --batches "$mode_batches" \
        --steps "$mode_steps" --warmup 20 --block 20 --json "$out/torch-cuda-b{batch}-$mode.json" >/dev/null ||
        peer_failed "$mode"
      for batch in $mode_batches; do measured "$out/torch-cuda-b$batch-$mode.json"; done
    done
  fi
  if part ours; then
    for batch in $batches; do
      for graph in 1 0; do
        for tf32 in 0 1; do
          name="ours-cuda-b$batch-$([[ $graph == 1 ]] && echo graph || echo eager)-$([[ $tf32 == 1 ]] && echo tf32 || echo fp32)"
          # Large batches take milliseconds a step: fewer steps in shorter blocks keep their spread
          # measured (10+ blocks) and the sweep within its two minutes.
          s=$steps block=50
          ((batch >= 2048)) && { s=$((steps / 5 > 50 ? steps / 5 : 50)); block=10; }
          ours "$name" --device cuda --data "$data" --batch "$batch" --steps "$s" --block "$block" --warmup 20 \
            --graph "$graph" --tf32 "$tf32"
          # Side streams (--gpu-branches, issue 16): beside the one-stream graph it must beat.
          if [[ $graph == 1 ]]; then
            ours "$name-branches" --device cuda --data "$data" --batch "$batch" --steps "$s" --block "$block" \
              --warmup 20 --graph 1 --tf32 "$tf32" --branches 1
          fi
        done
      done
    done
  fi
fi

"$python" bench/table.py "$out" | tee "$out/table.txt"
echo "bench: JSON in $out"
((ours_failures == 0)) || echo "bench: $ours_failures of our measurement(s) failed" >&2
((peer_failures == 0)) || echo "bench: $peer_failures PyTorch peer run(s) failed" >&2
((ours_failures == 0 && peer_failures == 0)) || exit 1
