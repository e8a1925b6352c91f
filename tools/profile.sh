#!/usr/bin/env bash
# Nsight on the GPU trainer, capturing only a window of steps (gan train --profile-steps A:B
# brackets them with cudaProfilerStart/Stop, after the warm-up and the graph capture).
#
#   tools/profile.sh nsys [A:B] [gan train flags...]   timeline: kernels, cuBLAS, NVTX phases
#   tools/profile.sh ncu  [A:B] [gan train flags...]   per-kernel metrics (registers, bandwidth, ...)
#
# Writes $GAN_PROFILE_OUT/gan-nsys.nsys-rep or gan-ncu.ncu-rep (default results/); open them in the
# Nsight GUIs, or read a summary with `nsys stats ...` / `ncu --import ...`. ncu collects the
# LaunchStats and SpeedOfLight sections (about 0.2 s a kernel; GAN_NCU_SET=full for every
# section, about 1.5 s a kernel) and prints a per-kernel table (tools/ncu_table.py): duration,
# registers, share of DRAM bandwidth and of SM throughput. One eager step: ncu 21:21 --no-graph.
# Default window: steps 101:110 of a 110-step run on data/mnist. With --no-graph every kernel
# sits inside its NVTX phase (data, G forward, D forward, loss, D backward, Adam D, G step ...,
# Adam G); with the graph (the default) nsys shows the replayed graph's kernels under "step"
# (--cuda-graph-trace=node).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tool=${1:-}
[[ "$tool" == nsys || "$tool" == ncu ]] || { sed -n '2,13p' "$0"; exit 2; }
shift
window=101:110
if [[ ${1:-} =~ ^[0-9]+:[0-9]+$ ]]; then window=$1; shift; fi
last=${window#*:}
gan=${GAN:-build/gan}
out=${GAN_PROFILE_OUT:-results}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
train=("$gan" train --device cuda --out "$work/run" --steps "$last" --profile-steps "$window"
       --sample-every 0 --checkpoint-every 0 --log-every "$last" "$@")
case "$tool" in
  nsys)
    nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop --trace=cuda,nvtx,cublas \
      --cuda-graph-trace=node --force-overwrite=true -o "$out/gan-nsys" "${train[@]}"
    nsys stats --report cuda_gpu_kern_sum,nvtx_sum "$out/gan-nsys.nsys-rep" || true
    ;;
  ncu)
    # --clock-control none: measure the card as it runs (ncu would otherwise lock base clocks).
    sections=(--section LaunchStats --section SpeedOfLight)
    [[ "${GAN_NCU_SET:-}" == full ]] && sections=(--set full)
    ncu --profile-from-start off --clock-control none --nvtx "${sections[@]}" --force-overwrite \
      -o "$out/gan-ncu" "${train[@]}"
    ncu --import "$out/gan-ncu.ncu-rep" --page raw --csv >"$out/gan-ncu.csv"
    "${PYTHON:-python3}" "$root/tools/ncu_table.py" <"$out/gan-ncu.csv"
    ;;
esac
