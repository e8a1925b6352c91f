#!/usr/bin/env python3
"""The per-kernel table of an Nsight Compute report, from its raw page as CSV:

    ncu --import REPORT.ncu-rep --csv --page raw | tools/ncu_table.py

One row per profiled kernel launch, in launch order: name, duration (us), registers per thread,
achieved share of DRAM bandwidth and of SM throughput (both % of the card's peak, from the
SpeedOfLight section), and a total line. Columns that the report lacks print as '-'.
"""
import csv
import sys

COLUMNS = {
    "duration_us": "gpu__time_duration.sum",
    "registers": "launch__registers_per_thread",
    "dram_pct": "dram__throughput.avg.pct_of_peak_sustained_elapsed",
    "sm_pct": "sm__throughput.avg.pct_of_peak_sustained_elapsed",
}


def number(text):
    try:
        return float(text.replace(",", ""))
    except (AttributeError, ValueError):
        return None


def rows(lines):
    reader = csv.reader(line for line in lines if line.startswith('"'))  # ncu's own lines start with ==
    header = next(reader, None)
    if header is None:
        return []
    units = next(reader, None)  # the second row holds each metric's unit
    index = {name: i for i, name in enumerate(header)}
    name_column = index.get("Kernel Name", index.get("Function Name"))
    scale = 1.0
    if units is not None and COLUMNS["duration_us"] in index:
        unit = units[index[COLUMNS["duration_us"]]].strip().lower()
        scale = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3}.get(unit, 1.0)
    out = []
    for record in reader:
        if name_column is None or name_column >= len(record):
            continue
        row = {"name": record[name_column]}
        for key, metric in COLUMNS.items():
            row[key] = number(record[index[metric]]) if metric in index and index[metric] < len(record) else None
        if row["duration_us"] is not None:
            row["duration_us"] *= scale
        out.append(row)
    return out


def cell(value, fmt):
    return format(value, fmt) if value is not None else "-"


def main():
    kernels = rows(sys.stdin.read().splitlines())
    if not kernels:
        print("ncu_table: no kernel rows in the input", file=sys.stderr)
        return 1
    print(f"{'#':>3} {'kernel':52} {'us':>9} {'regs':>5} {'DRAM %':>7} {'SM %':>6}")
    for i, k in enumerate(kernels):
        print(f"{i:3d} {k['name'][:52]:52} {cell(k['duration_us'], '9.2f'):>9} {cell(k['registers'], '5.0f'):>5} "
              f"{cell(k['dram_pct'], '7.1f'):>7} {cell(k['sm_pct'], '6.1f'):>6}")
    total = sum(k["duration_us"] or 0 for k in kernels)
    print(f"{'':3} {f'{len(kernels)} kernels, total':52} {total:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
