# Sourced by the benchmark scripts (bench/busy_machine.sh, bench/conv_step.sh): a bench_step or
# bench/torch_*.py JSON's median ms per step, and the median of numbers, one per line.
# shellcheck shell=bash
ms_of() { /usr/bin/python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['ms_per_step_median'])" "$1"; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
