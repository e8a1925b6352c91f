#!/usr/bin/env bash
# The PyTorch parity check, end to end: trains the seed's GAN for 20 steps at batch 128 on
# MNIST-10k with a parity trace, replays the trace with the seed's own PyTorch code
# (tools/torch_parity.py), and loads the resulting checkpoint into the seed's Generator
# (tools/load_in_torch.py), checking its grid against ours pixel for pixel.
#
# With --conditional the run is the conditional MLP (gan train --conditional), replayed and loaded
# by the PyTorch twins of tools/seed_model.py (ConditionalGenerator, ConditionalDiscriminator).
#
# With --cpu-gemm onednn the CPU run's float GEMMs go through oneDNN instead of OpenBLAS.
#
# usage: tools/parity_check.sh [GAN_EXECUTABLE] [--steps K] [--device cpu|cuda] [--keep DIR] [--conditional]
#                              [--cpu-gemm openblas|onednn]
# Needs Debian's python3-torch and python3-pil (tools/setup.sh --tests installs them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gan="$root/build/gan"
steps=20
device=cpu
keep=""
extra=()
while (($#)); do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --conditional) extra+=(--conditional); shift ;;
    --cpu-gemm) extra+=(--cpu-gemm "$2"); shift 2 ;;
    *) gan=$1; shift ;;
  esac
done
python=${PYTHON:-/usr/bin/python3}  # Debian's, with python3-torch; PYTHON=python3 elsewhere
"$python" -c 'import torch, PIL' || { echo "parity_check: needs python3-torch and python3-pil (tools/setup.sh --tests)" >&2; exit 1; }
work=${keep:-$(mktemp -d)}
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
rm -rf "$work/run"
cd "$root"
"$gan" train --device "$device" --out "$work/run" --steps "$steps" --trace "$work/trace.safetensors" --log-every 10 \
  "${extra[@]}"
"$python" tools/torch_parity.py "$work/trace.safetensors"
"$python" tools/load_in_torch.py "$work/run" --out "$work/torch_grid.png" \
  --compare "$work/run/samples/$(printf 'step_%08d.png' "$steps")"
