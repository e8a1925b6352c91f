#!/usr/bin/env bash
# The CPU step on an idle machine and on a busy one (two spinning processes beside it,
# bench/load.sh), for the seed's MLP, the 28x28 DCGAN and the 32x32 colour DCGAN: ours as gan
# ran before issue 30 (libgomp's default: spin 300,000 times, then sleep), ours as gan runs now
# (it chooses OMP_WAIT_POLICY=PASSIVE unless the user chose), and PyTorch's CPU step measured the
# same way (its own default). Each figure is the median over REPEATS runs of each run's median
# ms per step; idle and busy runs alternate, so a drift of the machine shows in both.
#
#   bench/busy_machine.sh [--repeats 3] [--out bench/results/busy-DATE] [--only mlp|dcgan28|colour32]
#
# Needs build/bench_step (tools/setup.sh) and, for the PyTorch rows, Debian's python3-torch and
# python3-torchvision. Also times ours with oneDNN's GEMMs (--cpu-gemm onednn) the same way.
# Prints a markdown table (the one in bench/RESULTS.md) and writes every run's JSON under --out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
repeats=3
out="bench/results/busy-$(date +%Y%m%d-%H%M%S)"
only=""
while (($#)); do
  case "$1" in
    --repeats) repeats=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "busy_machine: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
[[ -x build/bench_step ]] || { echo "busy_machine: build/bench_step is missing: run tools/setup.sh" >&2; exit 1; }
have_torch=0
/usr/bin/python3 -c "import torch" 2>/dev/null && have_torch=1

# name | our bench_step arguments | PyTorch script and arguments
subjects=(
  "mlp|--batch 128 --steps 60 --warmup 10|bench/torch_seed.py --mode resident --batch 128 --steps 60 --warmup 10"
  "dcgan28|--model dcgan --batch 128 --steps 8 --warmup 2|bench/torch_dcgan.py --size 28 --channels 128,64 --batch 128 --steps 8 --warmup 2"
  "colour32|--model dcgan --image-size 32 --channels 3 --dcgan-channels 32 --synthetic 2000 --batch 64 --steps 20 --warmup 4|bench/torch_dcgan.py --size 32 --width 32 --colour 3 --batch 64 --steps 20 --warmup 4"
)

# median of the numbers on stdin
# shellcheck source=bench/medians.sh
source "$root/bench/medians.sh"

# run LABEL LOAD COMMAND...: one run, its median ms per step appended to $out/LABEL.ms
run() {
  local label=$1 load=$2
  shift 2
  local runs=0
  [[ -s "$out/$label.ms" ]] && runs=$(wc -l <"$out/$label.ms")
  local json="$out/$label-$runs.json"
  if bench/load.sh "$load" "$@" --json "$json" >"$json.log" 2>&1; then
    ms_of "$json" >>"$out/$label.ms"
  else
    echo "busy_machine: $label failed (see $json.log)" >&2
  fi
}

{
echo "| model | what | idle ms | busy ms | busy / idle |"
echo "|---|---|---:|---:|---:|"
for subject in "${subjects[@]}"; do
  IFS='|' read -r name ours torch <<<"$subject"
  [[ -n "$only" && "$only" != "$name" ]] && continue
  for ((r = 0; r < repeats; ++r)); do
    for load in 0 2; do
      # shellcheck disable=SC2086
      run "$name-before-$load" "$load" env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=300000 GAN_BENCH_RETURN_FREED_MEMORY=1 build/bench_step $ours --cpu-gemm openblas
      # shellcheck disable=SC2086
      run "$name-after-$load" "$load" env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT build/bench_step $ours --cpu-gemm openblas
      # shellcheck disable=SC2086
      run "$name-onednn-$load" "$load" env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT build/bench_step $ours --cpu-gemm onednn
      # shellcheck disable=SC2086
      ((have_torch)) && run "$name-torch-$load" "$load" /usr/bin/python3 $torch --device cpu
    done
  done
  for what in before after onednn torch; do
    [[ -s "$out/$name-$what-0.ms" ]] || continue
    idle=$(median <"$out/$name-$what-0.ms")
    busy=$(median <"$out/$name-$what-2.ms")
    case $what in
      before) label="ours, OpenBLAS, spinning (before)" ;;
      after) label="ours, OpenBLAS, passive (now)" ;;
      onednn) label="ours, oneDNN GEMMs, passive" ;;
      *) label="PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" ;;
    esac
    printf "| %s | %s | %.1f | %.1f | %.1fx |\n" "$name" "$label" "$idle" "$busy" "$(awk -v a="$busy" -v b="$idle" 'BEGIN {print a / b}')"
  done
done
} | tee "$out/table.md"
