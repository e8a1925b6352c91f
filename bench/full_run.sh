#!/usr/bin/env bash
# The seed's whole run on the GPU: 200 epochs of Fashion-MNIST (60,000 images, batch 128,
# 93,800 steps) with `gan train`, timed end to end (wall time, start-up and data loading
# included); next to it the seed's PyTorch loop as written (torchvision + DataLoader) on the
# same GPU, timed for a few epochs and extrapolated to 200 (said so in the table).
#
# usage: bench/full_run.sh [--gan build/gan] [--epochs 200] [--torch-epochs 2]
# PYTHON picks the Python with PyTorch (default Debian's /usr/bin/python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
gan=build/gan
epochs=200
torch_epochs=2
while (($#)); do
  case "$1" in
    --gan) gan=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --torch-epochs) torch_epochs=$2; shift 2 ;;
    *) echo "bench/full_run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-/usr/bin/python3}
data=data/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start_ns=$(date +%s%N)
"$gan" train --device cuda --data "$data" --epochs "$epochs" --out "$work/run" --sample-every 0 \
  --checkpoint-every 0 --log-every 4690 >"$work/train.log"
ours_ms=$((($(date +%s%N) - start_ns) / 1000000))
tail -n 2 "$work/train.log"
# Ours first, on its own line, so that a time-out during the PyTorch half loses nothing of it.
echo "full run: ours, $epochs epochs of Fashion-MNIST (gan train, wall time end to end): $((ours_ms / 1000)).$(printf '%03d' $((ours_ms % 1000))) s"
"$python" bench/torch_seed.py --device cuda --data "$data" --mode as_written --epochs "$torch_epochs" \
  --json "$work/torch.json" >/dev/null
"$python" - "$ours_ms" "$epochs" "$work/torch.json" <<'PY'
import json, sys
ours, epochs, torch_result = float(sys.argv[1]) / 1000.0, int(sys.argv[2]), json.load(open(sys.argv[3]))
seed_total = torch_result["seconds_per_epoch"] * epochs
print(f"full run, {epochs} epochs of Fashion-MNIST on the GPU:")
print(f"  ours (gan train, wall time end to end)            {ours:10.1f} s   {ours / epochs:8.3f} s/epoch")
print(f"  seed's loop as written ({torch_result['epochs']} epochs timed, x{epochs / torch_result['epochs']:g} extrapolated) "
      f"{seed_total:10.1f} s   {torch_result['seconds_per_epoch']:8.3f} s/epoch")
print(f"  ratio: ours is {seed_total / ours:.1f}x faster per run")
PY
