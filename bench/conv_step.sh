#!/usr/bin/env bash
# The DCGAN's CPU step at 28, 32 and 64 pixels: ours before keeping freed memory (the same build,
# GAN_BENCH_RETURN_FREED_MEMORY=1), ours now (oneDNN GEMMs, the default), and PyTorch's same model
# (bench/torch_dcgan.py), alternating, --repeats runs each; prints the medians as a markdown table
# (the one in bench/RESULTS.md). Run it on a quiet machine.
#
#   bench/conv_step.sh [--repeats 3] [--only dcgan28|colour32|colour64]
#
# Needs build/bench_step (tools/setup.sh) and Debian's python3-torch and python3-torchvision.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
repeats=3
only=""
while (($#)); do
  case $1 in
    --repeats) repeats=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "conv_step: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x build/bench_step ]] || { echo "conv_step: build/bench_step is missing: run tools/setup.sh" >&2; exit 1; }
/usr/bin/python3 -c "import torch, torchvision" 2>/dev/null || { echo "conv_step: needs python3-torch and python3-torchvision" >&2; exit 1; }

# name | our bench_step arguments | PyTorch's arguments
subjects=(
  "dcgan28|--model dcgan --batch 128 --steps 8 --warmup 2|--size 28 --channels 128,64 --batch 128 --steps 8 --warmup 2"
  "colour32|--model dcgan --image-size 32 --channels 3 --dcgan-channels 32 --synthetic 2000 --batch 64 --steps 20 --warmup 4|--size 32 --width 32 --colour 3 --batch 64 --steps 20 --warmup 4"
  "colour64|--model dcgan --image-size 64 --channels 3 --dcgan-channels 32 --synthetic 1000 --batch 64 --steps 6 --warmup 2|--size 64 --width 32 --colour 3 --batch 64 --steps 6 --warmup 2"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/medians.sh
source "$root/bench/medians.sh"
echo "| model | ours, before (freed memory returned) | ours, now | PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') | now vs PyTorch |"
echo "|---|---:|---:|---:|---:|"
for subject in "${subjects[@]}"; do
  IFS='|' read -r name ours torch <<<"$subject"
  [[ -n "$only" && "$only" != "$name" ]] && continue
  for ((r = 0; r < repeats; r++)); do
    # shellcheck disable=SC2086
    GAN_BENCH_RETURN_FREED_MEMORY=1 build/bench_step $ours --json "$work/j" >/dev/null 2>&1 && ms_of "$work/j" >>"$work/$name-before"
    # shellcheck disable=SC2086
    build/bench_step $ours --json "$work/j" >/dev/null 2>&1 && ms_of "$work/j" >>"$work/$name-now"
    # shellcheck disable=SC2086
    /usr/bin/python3 bench/torch_dcgan.py --device cpu $torch --json "$work/j" >/dev/null 2>&1 && ms_of "$work/j" >>"$work/$name-torch"
  done
  before=$(median <"$work/$name-before") now=$(median <"$work/$name-now") torch_ms=$(median <"$work/$name-torch")
  printf "| %s | %.1f | %.1f | %.1f | %.2fx |\n" "$name" "$before" "$now" "$torch_ms" \
    "$(awk -v a="$torch_ms" -v b="$now" 'BEGIN { print a / b }')"
done
