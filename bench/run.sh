#!/usr/bin/env bash
# One command for the step benchmark: our CPU trainer and the seed's PyTorch loop, measured in
# the same invocation on the same machine, printed as one table and saved as JSON under
# bench/results/<date>-<host>/.
#
# usage: bench/run.sh [--steps N] [--batch B]     (run tools/setup.sh first)
# The PyTorch peer needs Debian's python3-torch and python3-torchvision; without them its rows
# are skipped with a note.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
steps=200
batch=128
while (($#)); do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x build/bench_step ]] || { echo "bench/run.sh: build/bench_step missing; run tools/setup.sh" >&2; exit 1; }
out="bench/results/$(date -u +%Y%m%d-%H%M%S)-$(hostname)"
mkdir -p "$out"
cores=$(nproc)

echo "bench: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores; batch $batch, $steps timed steps"
./build/bench_step --batch "$batch" --steps "$steps" --json "$out/ours-cpu-${cores}threads.json" >/dev/null
./build/bench_step --batch "$batch" --steps "$steps" --threads 1 --json "$out/ours-cpu-1thread.json" >/dev/null
python=/usr/bin/python3
if "$python" -c 'import torch, torchvision' 2>/dev/null; then
  torch_steps=$((steps / 4 > 20 ? steps / 4 : 20))
  for mode in as_written resident; do
    for threads in "$cores" 1; do
      "$python" bench/torch_seed.py --mode "$mode" --threads "$threads" --batch "$batch" --steps "$torch_steps" \
        --json "$out/torch-$mode-${threads}threads.json" >/dev/null
    done
  done
else
  echo "bench: python3-torch / python3-torchvision not installed: PyTorch rows skipped" >&2
fi

"$python" - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    r = json.load(open(path))
    name = os.path.basename(path)[:-5]
    rows.append((name, r["ms_per_step_median"], r["ms_per_step_p10"], r["ms_per_step_p90"], r["images_per_s"]))
ours = min(r[1] for r in rows if r[0].startswith("ours"))
print(f"{'run':32} {'ms/step':>8} {'p10':>7} {'p90':>7} {'images/s':>9} {'s/epoch(60k)':>13} {'vs ours':>8}")
for name, median, p10, p90, ips in rows:
    print(f"{name:32} {median:8.2f} {p10:7.2f} {p90:7.2f} {ips:9.0f} {60000 / ips:13.2f} {median / ours:7.2f}x")
PY
echo "bench: JSON in $out"
