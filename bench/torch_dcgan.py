#!/usr/bin/env python3
"""The DCGAN step (issue 10) in PyTorch, timed: the peer of `bench_step --model dcgan`.

The model is tools/dcgan_model.py (the one our checkpoints load into), the step ours: D step
BCE(D(x), 1) + BCE(D(G(z)), 0) with D(real) and D(fake) as two passes, then the G step
BCE(D(G(z)), 1), BCE on logits, Adam(lr 2e-4, betas 0.5, 0.999) for both. The data set is
resident on the device as one normalised tensor, read from our IDX files (no torchvision).
Modes:
  eager      plain PyTorch (cudnn.benchmark off: cuDNN's heuristics pick the algorithms)
  benchmark  torch.backends.cudnn.benchmark = True: PyTorch times the algorithms and keeps the
             fastest (CUDA only)
  graph      benchmark, plus the whole step captured in one CUDA graph and replayed, with
             Adam(capturable=True) (CUDA only)
TF32 stays off in convolutions and matmuls (torch.backends.*.allow_tf32 = False) unless --tf32,
so the peer computes in FP32 as ours does by default.

With --size 32 or 64 the model is pytorch/examples' dcgan instead (tools/dcgan_model.py's
CanonicalDcgan*: the peer of `bench_step --model dcgan --image-size 64 --channels 3`), of base
width --width and --colour channels, on 1,024 random resident images (the step's time does not
depend on the pixels).

usage: torch_dcgan.py [--data data/mnist] [--device cpu] [--mode eager] [--steps 100] [--warmup 10]
                      [--batch 128] [--channels 128,64] [--threads N] [--block K] [--tf32] [--json FILE]
                      [--size 28|32|64] [--width 64] [--colour 3]
Prints one JSON object: median/p10/p90 ms per step, timed as torch_seed.py times (blocks of
--block steps between synchronisations on CUDA, default 50; each step alone on the CPU).
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tools"))
from dcgan_model import (CanonicalDcganDiscriminator, CanonicalDcganGenerator, DcganDiscriminator,  # noqa: E402
                         DcganGenerator)
from torch_timing import graph_step, time_steps  # noqa: E402  (bench/, beside this file)


def read_idx_images(data_dir):
    """The training images of an IDX folder (plain or .gz) as a uint8 array [N, 28, 28]."""
    path = os.path.join(data_dir, "train-images-idx3-ubyte")
    opener = open
    if not os.path.exists(path):
        path, opener = path + ".gz", gzip.open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in range(0, 16, 4))
    if magic != 2051 or len(raw) != 16 + count * rows * cols:
        raise SystemExit(f"torch_dcgan: {path} is not an IDX image file of {count} images")
    if (rows, cols) != (28, 28):
        raise SystemExit(f"torch_dcgan: the DCGAN needs 28x28 images, {path} holds {rows}x{cols}")
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mode", default="eager", choices=["eager", "benchmark", "graph"])
    parser.add_argument("--block", type=int, default=0, help="steps per timed block (default: 50 on CUDA, 1 on the CPU)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--channels", default="128,64")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--tf32", action="store_true")
    parser.add_argument("--json")
    parser.add_argument("--size", type=int, default=28, choices=[28, 32, 64])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--colour", type=int, default=3, choices=[1, 3])
    args = parser.parse_args()

    device = torch.device(args.device)
    if args.mode != "eager" and device.type != "cuda":
        parser.error(f"--mode {args.mode} needs --device cuda")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = args.mode != "eager"
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    channels = tuple(int(c) for c in args.channels.split(","))
    latent_dim = 100
    if args.size == 28:
        generator = DcganGenerator(latent_dim, channels).to(device)
        discriminator = DcganDiscriminator(channels).to(device)
    else:
        generator = CanonicalDcganGenerator(latent_dim, args.width, args.colour, args.size).to(device)
        discriminator = CanonicalDcganDiscriminator(args.width, args.colour, args.size).to(device)
    adam_options = {"capturable": True} if args.mode == "graph" else {}
    g_optimizer = optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), **adam_options)
    d_optimizer = optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), **adam_options)
    criterion = nn.BCEWithLogitsLoss()

    if args.size == 28:
        images = torch.from_numpy(read_idx_images(args.data).copy())
        all_images = ((images.float() / 255.0 - 0.5) / 0.5).view(-1, 1, 28, 28).to(device)
    else:
        all_images = (torch.rand(1024, args.colour, args.size, args.size) * 2 - 1).to(device)
    if all_images.size(0) < args.batch:
        parser.error(f"--batch {args.batch} is larger than the data's {all_images.size(0)} images")

    def batches():
        while True:
            order = torch.randperm(all_images.size(0), device=device)
            for start in range(0, all_images.size(0) - args.batch + 1, args.batch):  # full batches only
                yield all_images[order[start:start + args.batch]]

    def dcgan_step(real):
        d_optimizer.zero_grad(set_to_none=False)
        real_logits = discriminator(real)
        z = torch.randn(real.size(0), latent_dim, device=device)
        fake_logits = discriminator(generator(z).detach())
        d_loss = (criterion(real_logits, torch.ones_like(real_logits)) +
                  criterion(fake_logits, torch.zeros_like(fake_logits)))
        d_loss.backward()
        d_optimizer.step()
        g_optimizer.zero_grad(set_to_none=False)
        z = torch.randn(real.size(0), latent_dim, device=device)
        fake_logits = discriminator(generator(z))
        g_loss = criterion(fake_logits, torch.ones_like(fake_logits))
        g_loss.backward()
        g_optimizer.step()
        return d_loss, g_loss

    source = batches()
    # cudnn.benchmark picks its algorithms in graph_step's warm-up, before the capture.
    step = graph_step(dcgan_step, next(source)) if args.mode == "graph" else dcgan_step
    block = args.block or (50 if device.type == "cuda" else 1)
    timing, (d_loss, g_loss) = time_steps(step, source, device, args.warmup, args.steps, block)
    result = {
        "peer": "pytorch " + torch.__version__,
        "model": "dcgan" if args.size == 28 else f"dcgan {args.size}x{args.size}x{args.colour} width {args.width}",
        "channels": list(channels) if args.size == 28 else [args.width],
        "mode": args.mode,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "tf32": args.tf32,
        "batch": args.batch,
        **timing,
        "final_d_loss": float(d_loss),
        "final_g_loss": float(g_loss),
    }
    result["images_per_s"] = args.batch / (result["ms_per_step_median"] / 1000.0)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
