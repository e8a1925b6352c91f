#!/usr/bin/env python3
"""Plots a run's metrics.jsonl as one PNG: losses, D(x) and D(G(z)), and (when the run used
--eval-every) the Fréchet distance with its real-vs-real floor, precision and recall, all
against steps. Needs Debian's python3-matplotlib.

usage: plot_metrics.py RUN_DIR [--out RUN_DIR/metrics.png]
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--out")
    args = parser.parse_args()
    path = os.path.join(args.run, "metrics.jsonl")
    try:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        print(f"plot_metrics: {path}: {e}", file=sys.stderr)
        return 1
    steps = [r for r in records if "event" not in r]
    evals = [r for r in records if r.get("event") == "eval"]
    if not steps:
        print(f"plot_metrics: {path} has no step records", file=sys.stderr)
        return 1
    panels = 3 if evals else 2
    fig, axes = plt.subplots(panels, 1, figsize=(9, 3.2 * panels), sharex=True)
    x = [r["step"] for r in steps]
    axes[0].plot(x, [r["d_loss"] for r in steps], label="d_loss")
    axes[0].plot(x, [r["g_loss"] for r in steps], label="g_loss")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    axes[1].plot(x, [r["d_real"] for r in steps], label="D(x)")
    axes[1].plot(x, [r["d_fake"] for r in steps], label="D(G(z))")
    axes[1].set_ylim(0, 1)
    axes[1].set_ylabel("D's output")
    axes[1].legend()
    if evals:
        ex = [r["step"] for r in evals]
        ax = axes[2]
        ax.plot(ex, [r["fd"] for r in evals], "o-", label="Fréchet distance")
        ax.plot(ex, [r["fd_real_floor"] for r in evals], "--", label="real vs real floor")
        ax.set_yscale("log")
        ax.set_ylabel("FD (classifier features)")
        twin = ax.twinx()
        twin.plot(ex, [r["precision"] for r in evals], "s:", color="tab:green", label="precision")
        twin.plot(ex, [r["recall"] for r in evals], "^:", color="tab:red", label="recall")
        twin.set_ylim(0, 1)
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right")
    axes[-1].set_xlabel("step")
    fig.suptitle(os.path.basename(os.path.abspath(args.run)))
    fig.tight_layout()
    out = args.out or os.path.join(args.run, "metrics.png")
    fig.savefig(out, dpi=100)
    print(f"plot_metrics: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
