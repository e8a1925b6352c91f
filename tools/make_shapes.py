#!/usr/bin/env python3
"""Makes a small procedural colour data set with no download: coloured shapes on coloured
backgrounds, one subfolder per class (the layout `gan train --data FOLDER` reads as an image
folder with labels), PNG files of SIZE x SIZE RGB.

Classes: circle, square, triangle, cross, ring. Each image draws one shape of its class at a
random position, size and colour on a background of another random colour, optionally with pixel
noise (uniform in -NOISE..NOISE per channel; the default 0 keeps flat colours); --seed makes the
set reproducible (the same seed writes the same bytes).

--background dark (the default) draws backgrounds of dark colours (each channel 0..71), black
all black, any of any colour. The 32x32 DCGAN learns the dark set (coloured shapes within 4,000
steps) and not the last: with backgrounds of every colour D wins from the first hundred steps
and G collapses onto blobs, in PyTorch's own loop as in ours (bench/RESULTS.md, issue 18). Shapes are
drawn at --supersample times the size and averaged down (anti-aliased edges, as photographs
have); --supersample 1 draws hard edges (with --noise 0: exactly two colours per image).

usage: make_shapes.py OUT [--per-class 200] [--size 64] [--seed 1] [--noise 0] [--background dark|black|any]
                      [--supersample 4]
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("circle", "square", "triangle", "cross", "ring")


def draw(kind, size, rng, noise, backdrop, supersample):
    background = tuple(int(v) for v in rng.integers(0, {"dark": 72, "black": 1, "any": 256}[backdrop], 3))
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    # Keep the shape visible: push its colour away from the background's.
    if sum(abs(a - b) for a, b in zip(colour, background)) < 200:
        colour = tuple(255 - v for v in background)
    canvas = size * supersample
    image = Image.new("RGB", (canvas, canvas), background)
    pen = ImageDraw.Draw(image)
    radius = rng.uniform(0.18, 0.38) * canvas
    cx, cy = rng.uniform(radius, canvas - radius, 2)
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if kind == "circle":
        pen.ellipse(box, fill=colour)
    elif kind == "square":
        pen.rectangle(box, fill=colour)
    elif kind == "triangle":
        pen.polygon([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=colour)
    elif kind == "cross":
        bar = radius / 3
        pen.rectangle((cx - radius, cy - bar, cx + radius, cy + bar), fill=colour)
        pen.rectangle((cx - bar, cy - radius, cx + bar, cy + radius), fill=colour)
    else:  # ring
        pen.ellipse(box, outline=colour, width=max(2, int(radius / 3)))
    if supersample > 1:
        image = image.resize((size, size), Image.BOX)  # each pixel the mean of its block
    pixels = np.asarray(image, dtype=np.int16) + rng.integers(-noise, noise + 1, (size, size, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", type=int, default=0)
    parser.add_argument("--background", default="dark")
    parser.add_argument("--supersample", type=int, default=4)
    args = parser.parse_args()
    if (args.per_class < 1 or not 8 <= args.size <= 1024 or not 0 <= args.noise <= 127 or
            args.background not in ("dark", "black", "any") or not 1 <= args.supersample <= 8):
        print("make_shapes: --per-class >= 1, --size in 8..1024, --noise in 0..127, --background dark, black or any, "
              "--supersample in 1..8", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    digits = len(str(args.per_class - 1))
    for kind in CLASSES:
        folder = os.path.join(args.out, kind)
        os.makedirs(folder, exist_ok=True)
        for i in range(args.per_class):
            image = draw(kind, args.size, rng, args.noise, args.background, args.supersample)
            image.save(os.path.join(folder, f"{i:0{digits}d}.png"))
    print(f"make_shapes: wrote {len(CLASSES)} classes x {args.per_class} PNG files of {args.size}x{args.size} RGB "
          f"to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
