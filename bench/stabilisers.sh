#!/usr/bin/env bash
# The stabilisers' ablation (issue 31, item 3): the 32x32 colour DCGAN trained on one data set
# plain, with each stabiliser alone, hinge with DiffAugment, spectral norm with DiffAugment, and all
# four, and the plain loop in PyTorch
# (bench/torch_dcgan_folder.py, on the same decoded images), for a step budget and some seeds,
# each run scored by `gan eval` (its domain classifier on the folder's classes); a Markdown table
# of FD, the real-vs-real floor, precision and recall in OUT/table.md, each run's last grid in
# OUT/<config>-seed<S>/samples.
#
#   bench/stabilisers.sh DATA OUT [--steps 3000] [--seeds "1"] [--configs "plain ema hinge sn augment hinge-augment sn-augment all torch"]
#                        [--n 250] [--gan build/gan] [--threads 0]
#
# DATA: an image folder with one subfolder per class (e.g. the Oxygen icons, tools/oxygen_icons.sh).
# Every run: --model dcgan --image-size 32 --channels 3 --dcgan-channels 32 --batch 64 --beta1 0.5
# (the issue's recipe), its own --seed. --threads N gives each run N threads (0: every core; 1 lets
# several instances share the machine, each with its own --configs and the same OUT). A run whose
# OUT/<config>-seed<S>/eval.json exists is not run again, and a run stopped part-way continues
# from its last checkpoint (every 1,000 steps, and at a Ctrl-C or SIGTERM), so an interrupted
# ablation resumes where it stopped.
set -euo pipefail
usage() {
  sed -n '9,10p' "$0" | sed 's/^# *//' >&2
  exit 2
}
(($# >= 2)) || usage
data=$1 out=$2
shift 2
every_config="plain ema hinge sn augment hinge-augment sn-augment all torch"
steps=3000 seeds="1" configs=$every_config n=250 gan=build/gan threads=0
while (($#)); do
  case $1 in
    --steps) steps=$2 ;;
    --seeds) seeds=$2 ;;
    --configs) configs=$2 ;;
    --n) n=$2 ;;
    --gan) gan=$2 ;;
    --threads) threads=$2 ;;
    *) usage ;;
  esac
  shift 2 || usage
done
[[ -d $data ]] || { echo "stabilisers: $data: no such folder" >&2; exit 2; }
[[ -x $gan ]] || { echo "stabilisers: $gan: not built (cmake --build build)" >&2; exit 2; }

flags_of() {
  case $1 in
    plain) echo "" ;;
    ema) echo "--ema 0.999" ;;
    hinge) echo "--loss hinge" ;;
    sn) echo "--spectral-norm" ;;
    augment) echo "--augment color,translation,cutout" ;;
    hinge-augment) echo "--loss hinge --augment color,translation,cutout" ;;  # the budget-free recipe candidate
    sn-augment) echo "--spectral-norm --augment color,translation,cutout" ;;  # the two best at 20,000 steps
    all) echo "--ema 0.999 --loss hinge --spectral-norm --augment color,translation,cutout" ;;
    torch) echo "" ;;  # the plain loop in PyTorch (bench/torch_dcgan_folder.py)
    *) echo "stabilisers: unknown config $1 ($every_config)" >&2; exit 2 ;;
  esac
}

mkdir -p "$out"
for config in $configs; do
  extra=$(flags_of "$config")
  for seed in $seeds; do
    run=$out/$config-seed$seed
    log=$out/$config-seed$seed.log
    [[ -f $run/eval.json ]] && continue
    # What only sets the length and the reports: the same for a fresh run and a resumed one.
    reporting=(--steps "$steps" --log-every 500 --sample-every "$steps" --checkpoint-every 1000 --threads "$threads")
    if [[ $config != torch && -f $run/last.safetensors && -f $run/config.json ]]; then
      # An interrupted run (Ctrl-C, SIGTERM, a killed session) left its checkpoint: continue it
      # exactly (a resume is bitwise the run that never stopped) rather than start again.
      echo "stabilisers: $config, seed $seed, resumed to $steps steps ($(date +%H:%M:%S))"
      "$gan" train --resume "$run" "${reporting[@]}" >> "$log" 2>&1
    else
      echo "stabilisers: $config, seed $seed, $steps steps ($(date +%H:%M:%S))"
      rm -rf "$run"
      if [[ $config == torch ]]; then
        [[ -n $(find "$data" -maxdepth 1 -name '.gan-cache-*.bin') ]] ||
          "$gan" train --device cpu --data "$data" --image-size 32 --channels 3 --model dcgan --steps 1 --sample-every 0 --out "$out/decode" >/dev/null
        /usr/bin/python3 "$(dirname "$0")/torch_dcgan_folder.py" --data "$data" --out "$run" --steps "$steps" --seed "$seed" \
          --threads "$((threads > 0 ? threads : $(nproc)))" > "$log" 2>&1
      else
        # shellcheck disable=SC2086  # $extra is a list of flags
        "$gan" train --device cpu --data "$data" --image-size 32 --channels 3 --model dcgan --dcgan-channels 32 \
          --batch 64 --beta1 0.5 --epochs 1000000 --seed "$seed" "${reporting[@]}" --out "$run" $extra > "$log" 2>&1
      fi
    fi
    "$gan" eval --checkpoint "$run" --n "$n" --out "$run/eval.json" >> "$log" 2>&1
  done
done

# The table covers every config of the usual order with a scored run in OUT, not only this
# instance's: instances sharing OUT (--threads 1, one --configs each) each leave the whole table.
/usr/bin/python3 - "$out" "$steps" "$every_config" "$seeds" <<'EOF'
import json, os, statistics, sys
out, steps, configs, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
rows = ["| config | seed | FD | floor | precision | recall |", "|---|---:|---:|---:|---:|---:|"]
means = []
for config in configs:
    fds = []
    for seed in seeds:
        path = f"{out}/{config}-seed{seed}/eval.json"
        if not os.path.exists(path):
            continue
        r = json.load(open(path))
        fds.append(r["fd"])
        rows.append(f"| {config} | {seed} | {r['fd']:.1f} | {r['fd_real_floor']:.1f} | "
                    f"{r['precision']:.2f} | {r['recall']:.2f} |")
    if fds:
        means.append(f"| {config} | {len(fds)} | {statistics.mean(fds):.1f} | {min(fds):.1f} | {max(fds):.1f} |")
table = "\n".join(rows + ["", f"{steps} steps, mean over the seeds scored of {' '.join(seeds)}:", "",
                          "| config | seeds | mean FD | min | max |", "|---|---:|---:|---:|---:|"] + means) + "\n"
open(f"{out}/table.md", "w").write(table)
print(table, end="")
EOF
