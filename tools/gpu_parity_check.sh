#!/usr/bin/env bash
# The GPU trainer's parity, end to end (needs a GPU; exits 77, "skipped", without one):
#   1. the GPU run's trace replayed by the seed's PyTorch code, on the CPU criterion
#      (tools/parity_check.sh --device cuda: within 10x PyTorch-float32's error + 1e-5);
#   2. the GPU trace against the CPU trainer's trace of the same run, the CPU trace in
#      PyTorch-float32's place (torch_parity.py --peer);
#   3. TF32: a `gan train --tf32` trace against PyTorch replaying it in float32 on the GPU with
#      TF32 allowed (allow_tf32): ours must be within 10x PyTorch-TF32's own error + 1e-5, the
#      same rule as FP32 against PyTorch-float32. (The first GPU run held TF32 against the CPU
#      trace, a float32 peer, which no TF32 run can meet: 47 tensors beyond it, final parameters
#      1.0e-3 from float64.) The DCGAN's TF32 trace is printed the same way, for the record;
#   4. the DCGAN on the GPU (cuDNN): its trace replayed by tools/dcgan_model.py in PyTorch, and
#      against the CPU trainer's trace, on the same criterion (skipped in a build without cuDNN);
#   6. the conditional models (--conditional): the MLP's GPU trace against the seed's loop with
#      cgan.py's tables (step 3b), the DCGAN's against its PyTorch twins and the CPU's trace.
# usage: tools/gpu_parity_check.sh [GAN_EXECUTABLE] [--steps K]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gan="$root/build/gan"
steps=20
while (($#)); do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    *) gan=$1; shift ;;
  esac
done
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
if ! "$gan" train --device cuda --steps 1 --batch 2 --g-hidden 4 --d-hidden 4 --sample-every 0 \
     --out "$work/probe" >"$work/probe.log" 2>&1; then
  if grep -q "no GPU visible\|has no CUDA" "$work/probe.log"; then
    echo "gpu_parity_check: no GPU visible, or a build without CUDA: skipped"
    exit 77
  fi
  cat "$work/probe.log" >&2
  exit 1
fi

echo "== 1. GPU trace against the seed's PyTorch loop"
bash tools/parity_check.sh "$gan" --device cuda --steps "$steps"

echo "== 2. GPU trace against the CPU trainer's trace of the same run"
for device in cpu cuda; do
  "$gan" train --device "$device" --out "$work/$device" --steps "$steps" --trace "$work/$device.safetensors" \
    --log-every "$steps" --sample-every 0 >/dev/null
done
"$python" tools/torch_parity.py "$work/cuda.safetensors" --peer "$work/cpu.safetensors"

echo "== 3. TF32: the GPU's --tf32 trace against PyTorch replaying it with TF32 on the GPU"
"$gan" train --device cuda --tf32 --out "$work/tf32" --steps "$steps" --trace "$work/tf32.safetensors" \
  --log-every "$steps" --sample-every 0 >/dev/null
"$python" tools/torch_parity.py "$work/tf32.safetensors" --device cuda --tf32

echo "== 3b. The conditional MLP: the GPU trace against the seed's loop with cgan.py's label tables"
bash tools/parity_check.sh "$gan" --device cuda --steps "$steps" --conditional

echo "== 4. DCGAN: the GPU trace against PyTorch, and against the CPU trainer's trace"
dcgan=(--model dcgan --dcgan-channels 12,6 --batch 16 --beta1 0.5 --steps 5 --log-every 5 --sample-every 0)
if ! "$gan" train --device cuda "${dcgan[@]}" --out "$work/dcgan-cuda" --trace "$work/dcgan-cuda.safetensors" \
     >"$work/dcgan.log" 2>&1; then
  if grep -q "needs cuDNN" "$work/dcgan.log"; then
    echo "gpu_parity_check: this build has no cuDNN: the DCGAN's GPU parity is not checked"
    exit 0
  fi
  cat "$work/dcgan.log" >&2
  exit 1
fi
"$python" tools/torch_parity.py "$work/dcgan-cuda.safetensors" --betas 0.5 0.999
"$gan" train --device cpu "${dcgan[@]}" --out "$work/dcgan-cpu" --trace "$work/dcgan-cpu.safetensors" >/dev/null
"$python" tools/torch_parity.py "$work/dcgan-cuda.safetensors" --peer "$work/dcgan-cpu.safetensors" --betas 0.5 0.999
echo "== 5. DCGAN with --tf32 against PyTorch with TF32 on the GPU (for the record, not asserted)"
"$gan" train --device cuda --tf32 "${dcgan[@]}" --out "$work/dcgan-tf32" --trace "$work/dcgan-tf32.safetensors" >/dev/null
"$python" tools/torch_parity.py "$work/dcgan-tf32.safetensors" --device cuda --tf32 --betas 0.5 0.999 || true
echo "== 6. The conditional DCGAN: the GPU trace against PyTorch's twins, and against the CPU trainer's trace"
"$gan" train --device cuda "${dcgan[@]}" --conditional --out "$work/cdcgan-cuda" --trace "$work/cdcgan-cuda.safetensors" >/dev/null
"$python" tools/torch_parity.py "$work/cdcgan-cuda.safetensors" --betas 0.5 0.999
"$gan" train --device cpu "${dcgan[@]}" --conditional --out "$work/cdcgan-cpu" --trace "$work/cdcgan-cpu.safetensors" >/dev/null
"$python" tools/torch_parity.py "$work/cdcgan-cuda.safetensors" --peer "$work/cdcgan-cpu.safetensors" --betas 0.5 0.999
