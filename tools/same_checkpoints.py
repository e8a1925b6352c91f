#!/usr/bin/env python3
"""Exits 0 when two checkpoints hold the same tensors, bit for bit (names, shapes and values);
otherwise names the first difference and exits 1. The metadata (run folder, data path) may
differ. Used to show that two routes to the same run (an IDX file and the same images as a
folder of PNGs) train identically.

usage: same_checkpoints.py A.safetensors B.safetensors
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gan_safetensors  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    a, _ = gan_safetensors.read(sys.argv[1])
    b, _ = gan_safetensors.read(sys.argv[2])
    if sorted(a) != sorted(b):
        print(f"same_checkpoints: different tensor names: {sorted(set(a) ^ set(b))[:5]}")
        return 1
    for name in sorted(a):
        if a[name].shape != b[name].shape or not np.array_equal(a[name], b[name]):
            print(f"same_checkpoints: {name} differs")
            return 1
    print(f"same_checkpoints: {len(a)} tensors identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
