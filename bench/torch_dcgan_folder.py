#!/usr/bin/env python3
"""The PyTorch peer of the stabilisers' ablation (bench/stabilisers.sh): the same 32/64-pixel
DCGAN (tools/dcgan_model.py's CanonicalDcgan*, PyTorch's default init, as gan's), trained by a
plain PyTorch loop on exactly the images gan trains on, and saved as one of our checkpoints so
that `gan eval` scores it with the same yardstick.

The images come from gan's decoded cache of the folder (DIR/.gan-cache-<key>.bin, written by any
`gan train --data DIR --image-size S --channels C`): the same resize and crop, byte for byte.
The loop is the seed's: D step BCE(D(x), 1) + BCE(D(G(z)), 0), then G step BCE(D(G(z)), 1)
through the updated D, BCE on logits, Adam for both; a fresh permutation every epoch, the last
batch smaller; torch.manual_seed(--seed) draws everything.

usage: torch_dcgan_folder.py --data DIR --out RUN [--size 32] [--channels 3] [--width 32]
                             [--steps 3000] [--batch 64] [--lr 2e-4] [--beta1 0.5] [--seed 1] [--threads 2]
"""
import argparse
import glob
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from dcgan_model import CanonicalDcganDiscriminator, CanonicalDcganGenerator  # noqa: E402
from train_seed_torch import write_checkpoint  # noqa: E402


def read_cache(folder, size, channels):
    """(images [N, C*S*S] uint8, count) from gan's cache of the folder at this size and channels
    (host/data/image_folder.cpp: magic, key, count, size, channels, skipped, has_labels, class
    names, pixels, labels, FNV checksum)."""
    for path in sorted(glob.glob(os.path.join(folder, ".gan-cache-*.bin"))):
        data = open(path, "rb").read()
        if data[:8] != b"GANIMGS1":
            continue
        count, file_size, file_channels = struct.unpack_from("<qii", data, 16)
        if (file_size, file_channels) != (size, channels):
            continue
        at = 8 + 8 + 8 + 4 + 4 + 8
        has_labels = data[at]
        classes = struct.unpack_from("<I", data, at + 1)[0]
        at += 5
        for _ in range(classes):
            length = struct.unpack_from("<I", data, at)[0]
            at += 4 + length
        per_image = size * size * channels
        pixels = np.frombuffer(data, dtype=np.uint8, count=count * per_image, offset=at).reshape(count, per_image)
        assert len(data) == at + count * per_image + (count if has_labels else 0) + 8, f"{path}: unexpected length"
        return pixels, count
    raise SystemExit(f"torch_dcgan_folder: no gan cache of {folder} at {size}x{size}x{channels}; run "
                     f"`gan train --data {folder} --image-size {size} --channels {channels} --steps 1` first")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--beta1", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    pixels, count = read_cache(args.data, args.size, args.channels)
    images = (torch.from_numpy(pixels.astype(np.float32)) / 255.0 - 0.5) / 0.5
    latent = 100
    generator = CanonicalDcganGenerator(latent, args.width, args.channels, args.size)
    discriminator = CanonicalDcganDiscriminator(args.width, args.channels, args.size, 0.2)
    betas = (args.beta1, 0.999)
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=betas)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=betas)
    criterion = nn.BCEWithLogitsLoss()
    step, epoch, start = 0, 0, time.time()
    while step < args.steps:
        order = torch.randperm(count)
        epoch += 1
        for first in range(0, count, args.batch):
            if step == args.steps:
                break
            real = images[order[first:first + args.batch]]
            b = real.shape[0]
            discriminator.zero_grad()
            real_logits = discriminator(real)
            fake_logits = discriminator(generator(torch.randn(b, latent)))
            d_loss = criterion(real_logits, torch.ones_like(real_logits)) + \
                criterion(fake_logits, torch.zeros_like(fake_logits))
            d_loss.backward()
            d_optimizer.step()
            generator.zero_grad()
            fake_logits = discriminator(generator(torch.randn(b, latent)))
            g_loss = criterion(fake_logits, torch.ones_like(fake_logits))
            g_loss.backward()
            g_optimizer.step()
            step += 1
            if step % 500 == 0:
                print(f"step {step}/{args.steps}  d_loss {d_loss.item():.4f}  g_loss {g_loss.item():.4f}  "
                      f"{time.time() - start:.0f}s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    config = {"model": "dcgan", "data": args.data, "image_size": args.size, "channels": args.channels,
              "dcgan_channels": [args.width], "latent_dim": latent, "batch": args.batch, "steps": args.steps,
              "lr": args.lr, "beta1": args.beta1, "seed": args.seed}
    write_checkpoint(os.path.join(args.out, "last.safetensors"), generator, discriminator, g_optimizer, d_optimizer,
                     config, step, epoch, count, args.size, args.size, trainer="bench/torch_dcgan_folder.py")
    print(f"torch_dcgan_folder: {step} steps in {time.time() - start:.0f}s; checkpoint {args.out}/last.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
