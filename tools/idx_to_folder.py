#!/usr/bin/env python3
"""Writes an IDX data set (MNIST, Fashion-MNIST: train-images-idx3-ubyte[.gz] and its labels) as
a folder of PNG files, the layout `gan train --data FOLDER` reads as an image folder:

  OUT/<label>/<index>.png    one subfolder per class (torchvision ImageFolder's layout), or
  OUT/<index>.png            with --flat: no classes, and the IDX file's order kept

Index numbers are zero-padded, so sorting by name keeps the IDX order (within a class). A flat
folder trains bit for bit as the IDX file does; a class folder holds the same images grouped by
class. Pixels are written unchanged (8-bit grey).

usage: idx_to_folder.py DATA OUT [--flat] [--split train] [--limit N]
"""
import argparse
import gzip
import os
import struct
import sys

import numpy as np
from PIL import Image


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(data, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if os.path.exists(os.path.join(data, name)):
            return os.path.join(data, name)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--flat", action="store_true")
    parser.add_argument("--split", default="train")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    images_path = find(args.data, f"{args.split}-images-idx3-ubyte")
    if images_path is None:
        print(f"idx_to_folder: no {args.split}-images IDX file in {args.data}", file=sys.stderr)
        return 2
    images = read_idx(images_path)
    labels_path = find(args.data, f"{args.split}-labels-idx1-ubyte")
    labels = read_idx(labels_path) if labels_path else None
    if labels is None and not args.flat:
        print(f"idx_to_folder: {images_path} has no labels file; use --flat", file=sys.stderr)
        return 2
    count = len(images) if args.limit <= 0 else min(args.limit, len(images))
    digits = len(str(count - 1))
    for i in range(count):
        folder = args.out if args.flat else os.path.join(args.out, str(int(labels[i])))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(images[i], mode="L").save(os.path.join(folder, f"{i:0{digits}d}.png"))
    print(f"idx_to_folder: wrote {count} PNG files of {images.shape[1]}x{images.shape[2]} to {args.out}"
          f" ({'flat' if args.flat else 'one subfolder per class'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
