#!/usr/bin/env python3
"""The step benchmark's table, from the JSON results bench/run.sh writes (one file a run).

  table.py DIR          every result in DIR, sorted by batch, ours first, with each run's ratio
                        to our fastest at that batch (the "1.00x") and its share of the FP32 floor
  table.py --row FILE   the line of one result, as soon as it is measured (no ratio yet)

A run cut short by a time-out still has a table: it is rebuilt from whatever files exist.
"""
import glob
import json
import os
import sys

HEADER = (f"{'run':34} {'batch':>5} {'ms/step':>9} {'p10':>9} {'p90':>9} {'images/s':>10} {'s/epoch(60k)':>12} "
          f"{'vs ours':>8} {'FP32 floor':>10}")


def load(path):
    r = json.load(open(path))
    return (os.path.basename(path)[:-5], r["batch"], r["ms_per_step_median"], r["ms_per_step_p10"],
            r["ms_per_step_p90"], r["images_per_s"], r.get("share_of_fp32_floor"))


def format_row(row, best=None):
    name, batch, median, p10, p90, ips, floor = row
    ratio = f"{median / best:7.2f}x" if best else "      -"
    share = f"{100 * floor:9.1f}%" if floor else "         -"
    return (f"{name:34} {batch:5d} {median:9.4f} {p10:9.4f} {p90:9.4f} {ips:10.0f} {60000 / ips:12.3f} "
            f"{ratio:>8} {share}")


def table(folder):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        if os.path.basename(path).startswith("kernels"):
            continue
        try:
            rows.append(load(path))
        except (OSError, ValueError, KeyError):
            continue  # a file cut off mid-write by a time-out
    best = {}  # our fastest run at each batch: the "1.00x"
    for name, batch, median, *_ in rows:
        if name.startswith("ours"):
            best[batch] = min(best.get(batch, float("inf")), median)
    lines = [HEADER]
    for row in sorted(rows, key=lambda r: (r[1], not r[0].startswith("ours"), r[2])):
        lines.append(format_row(row, best.get(row[1])))
    return "\n".join(lines)


def main(argv):
    if len(argv) == 3 and argv[1] == "--row":
        print(format_row(load(argv[2])), flush=True)
        return 0
    if len(argv) == 2:
        print(table(argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
