#!/usr/bin/env python3
"""Trains the seed's GAN with the seed's own PyTorch code (its section 5: the MLP G and D,
BCELoss on Sigmoid outputs, two Adam optimisers, DataLoader(batch 128, shuffle=True)) on our
IDX data, and saves the result as one of our checkpoints, so that `gan eval` can score it
beside a model trained by `gan train`.

usage: train_seed_torch.py --out RUN_DIR [--data data/mnist] [--epochs 20] [--beta1 0.9]
                           [--beta2 0.999] [--lr 2e-4] [--seed 0] [--threads 1]
Writes RUN_DIR/last.safetensors (our format) and RUN_DIR/samples/torch_final.png.
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_model import Discriminator, Generator  # noqa: E402


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic != 0x803:
        raise ValueError(f"{path}: not an IDX images file")
    rows, cols = struct.unpack(">II", data[8:16])
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(count, rows, cols)


def write_checkpoint(path, generator, discriminator, g_opt, d_opt, config, step, epoch, data_count, h, w,
                     trainer="tools/train_seed_torch.py"):
    """Our checkpoint format (host/train/checkpoint.h): names, Adam moments, running statistics,
    metadata. Also used by bench/torch_dcgan_folder.py."""
    tensors = []
    for net, module, opt in (("generator", generator, g_opt), ("discriminator", discriminator, d_opt)):
        names = [k for k, _ in module.named_parameters()]
        params = [p for _, p in module.named_parameters()]
        tensors += [(f"{net}.{k}", p.detach()) for k, p in zip(names, params)]
        for moment in ("exp_avg", "exp_avg_sq"):
            tensors += [(f"optimizer.{net}.{moment}.{k}", opt.state[p][moment].detach()) for k, p in zip(names, params)]
        # BatchNorm's running statistics (a DCGAN; the MLP has none), under their state_dict names.
        tensors += [(f"{net}.{k}", b.detach()) for k, b in module.named_buffers() if not k.endswith("num_batches_tracked")]
    header, offset, blobs = {}, 0, []
    for name, t in tensors:
        blob = t.float().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    adam_step = int(g_opt.state[next(generator.parameters())]["step"])
    header["__metadata__"] = {
        "format": "gan-checkpoint-1", "step": str(step), "epoch": str(epoch), "epoch_position": "0",
        "noise_stream": "0", "generator_adam_step": str(adam_step), "discriminator_adam_step": str(adam_step),
        "rng": f"torch (trained by {trainer})", "seed": str(config["seed"]),
        "data_count": str(data_count), "image_height": str(h), "image_width": str(w), "config": json.dumps(config),
    }
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--beta1", type=float, default=0.9)
    parser.add_argument("--beta2", type=float, default=0.999)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte"))
    count, h, w = images.shape
    # ToTensor + Normalize((0.5,), (0.5,)), as the seed's transform does.
    dataset = torch.utils.data.TensorDataset(((torch.from_numpy(images.copy()).float() / 255.0 - 0.5) / 0.5).view(count, -1))
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    latent_dim = 100
    generator, discriminator = Generator(latent_dim, (256, 512, 1024), h * w), Discriminator(h * w, (512, 256))
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(args.beta1, args.beta2))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(args.beta1, args.beta2))
    criterion = nn.BCELoss()
    step, start = 0, time.time()
    for epoch in range(args.epochs):
        for (real_imgs,) in loader:
            # ---- the seed's loop body, section 5.6 ----
            discriminator.zero_grad()
            real_validity = discriminator(real_imgs)
            real_loss = criterion(real_validity, torch.ones_like(real_validity))
            z = torch.randn(real_imgs.size(0), latent_dim)
            fake_validity = discriminator(generator(z))
            fake_loss = criterion(fake_validity, torch.zeros_like(fake_validity))
            d_loss = real_loss + fake_loss
            d_loss.backward()
            d_optimizer.step()
            generator.zero_grad()
            z = torch.randn(real_imgs.size(0), latent_dim)
            fake_validity = discriminator(generator(z))
            g_loss = criterion(fake_validity, torch.ones_like(fake_validity))
            g_loss.backward()
            g_optimizer.step()
            step += 1
        print(f"epoch {epoch + 1}/{args.epochs}  d_loss {d_loss.item():.4f}  g_loss {g_loss.item():.4f}  "
              f"D(x) {real_validity.mean().item():.3f}  D(G(z)) {fake_validity.mean().item():.3f}  "
              f"{time.time() - start:.0f}s", flush=True)
    os.makedirs(os.path.join(args.out, "samples"), exist_ok=True)
    config = {"data": args.data, "epochs": args.epochs, "lr": args.lr, "beta1": args.beta1, "beta2": args.beta2,
              "seed": args.seed, "batch": 128}
    write_checkpoint(os.path.join(args.out, "last.safetensors"), generator, discriminator, g_optimizer, d_optimizer,
                     config, step, args.epochs, count, h, w)
    print(f"train_seed_torch: {step} steps in {time.time() - start:.0f}s; checkpoint {args.out}/last.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
