#!/usr/bin/env python3
"""The seed's GAN and training step in PyTorch, timed: the peer our trainer is measured against.

The model, loss and optimisers are the seed's code (an MLP G and D, BCELoss on Sigmoid outputs,
two Adam optimisers at lr 2e-4). Modes, each a step further from the seed's code:
  as_written  the seed's loop: torchvision MNIST dataset + DataLoader(batch 128, shuffle=True)
  resident    the whole dataset as one normalised tensor on the device, batches by index
  fused       resident, plus Adam(fused=True) (CUDA only)
  graph       resident, plus the whole step captured in one CUDA graph and replayed, with
              Adam(capturable=True) (CUDA only)
The dataset for torchvision is built from our IDX files (plain or .gz, copied into a temporary
MNIST/raw folder), so nothing downloads.

usage: torch_seed.py [--data data/mnist] [--device cpu] [--mode as_written] [--steps 100]
                     [--warmup 10] [--batch 128 | --batches "64 128 ..."] [--threads N] [--block K]
                     [--epochs E] [--json FILE]
Prints one JSON object per batch size: median/p10/p90 ms per step over --steps timed steps after
--warmup, each written to --json (its {batch} replaced by the size) as soon as it is measured.
On CUDA, steps are timed in blocks of --block (default 50) between synchronisations, as
bench_step times ours; on the CPU each step alone. With --epochs E it instead times E whole
epochs end to end (wall time, the DataLoader's start-up included) and reports seconds per epoch.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.optim as optim

from torch_timing import graph_step, time_steps  # bench/, beside this file


class Generator(nn.Module):  # the seed's code, section 5.2
    def __init__(self, latent_dim):
        super().__init__()
        self.latent_dim = latent_dim
        self.model = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, 512), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z):
        img = self.model(z)
        return img.view(img.size(0), 1, 28, 28)


class Discriminator(nn.Module):  # the seed's code, section 5.3
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(784, 512), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 256), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, img):
        return self.model(img.view(img.size(0), -1))


def torchvision_mnist(data_dir):
    """torchvision's MNIST dataset over our IDX files (it wants train and t10k files in
    ROOT/MNIST/raw; the t10k names point at the training files, which it never reads here)."""
    import torchvision
    import torchvision.transforms as transforms
    import gzip
    import shutil
    root = tempfile.mkdtemp(prefix="gan-torchvision-")
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw)
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        plain = os.path.abspath(os.path.join(data_dir, f"train-{kind}"))
        target = os.path.join(raw, f"train-{kind}")
        if os.path.exists(plain):
            os.symlink(plain, target)
        else:  # torchvision wants the raw files uncompressed
            with gzip.open(plain + ".gz", "rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        os.symlink(target, os.path.join(raw, f"t10k-{kind}"))
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    return torchvision.datasets.MNIST(root=root, train=True, download=False, transform=transform)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mode", default="as_written", choices=["as_written", "resident", "fused", "graph"])
    parser.add_argument("--block", type=int, default=0, help="steps per timed block (default: 50 on CUDA, 1 on the CPU)")
    parser.add_argument("--epochs", type=int, default=0, help="time this many whole epochs instead")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--batches", help="several batch sizes in this one process (\"64 128 512\"); --json FILE "
                        "then names each result's file with {batch}")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    batch_sizes = [int(b) for b in args.batches.replace(",", " ").split()] if args.batches else [args.batch]
    if len(batch_sizes) > 1 and args.json and "{batch}" not in args.json:
        parser.error("--batches with several sizes needs {batch} in --json's file name")
    for batch in batch_sizes:  # one process for every size: PyTorch's start-up is paid once
        result = measure(args, parser, batch)
        print(json.dumps(result, indent=2), flush=True)
        if args.json:  # written the moment it is measured, so a time-out loses only what was not
            with open(args.json.replace("{batch}", str(batch)), "w") as f:
                json.dump(result, f, indent=2)
    return 0


def measure(args, parser, batch):
    """One batch size in args.mode: a result's fields (timed steps, or whole epochs)."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    latent_dim = 100
    generator = Generator(latent_dim).to(device)
    discriminator = Discriminator().to(device)
    if args.mode in ("fused", "graph") and device.type != "cuda":
        parser.error(f"--mode {args.mode} needs --device cuda")
    adam_options = {"fused": {"fused": True}, "graph": {"capturable": True}}.get(args.mode, {})
    g_optimizer = optim.Adam(generator.parameters(), lr=0.0002, **adam_options)
    d_optimizer = optim.Adam(discriminator.parameters(), lr=0.0002, **adam_options)
    criterion = nn.BCELoss()

    def batches():
        if args.mode == "as_written":
            loader = torch.utils.data.DataLoader(torchvision_mnist(args.data), batch_size=batch, shuffle=True)
            while True:
                for real_imgs, _ in loader:
                    yield real_imgs.to(device)
        else:
            dataset = torchvision_mnist(args.data)
            all_images = ((dataset.data.float() / 255.0 - 0.5) / 0.5).to(device)
            while True:
                order = torch.randperm(all_images.size(0), device=device)
                for start in range(0, all_images.size(0), batch):
                    yield all_images[order[start:start + batch]]

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def seed_step(real_imgs):
        # ---- the seed's loop body, section 5.6 ----
        discriminator.zero_grad()
        real_imgs = real_imgs.view(-1, 784)
        real_validity = discriminator(real_imgs)
        real_loss = criterion(real_validity, torch.ones_like(real_validity))
        z = torch.randn(real_imgs.size(0), latent_dim, device=device)
        fake_imgs = generator(z)
        fake_validity = discriminator(fake_imgs)
        fake_loss = criterion(fake_validity, torch.zeros_like(fake_validity))
        d_loss = real_loss + fake_loss
        d_loss.backward()
        d_optimizer.step()
        generator.zero_grad()
        z = torch.randn(real_imgs.size(0), latent_dim, device=device)
        fake_imgs = generator(z)
        fake_validity = discriminator(fake_imgs)
        g_loss = criterion(fake_validity, torch.ones_like(fake_validity))
        g_loss.backward()
        g_optimizer.step()
        return d_loss, g_loss

    source = batches()
    step = graph_step(seed_step, next(source)) if args.mode == "graph" else seed_step

    block = args.block or (50 if device.type == "cuda" else 1)
    if args.epochs:
        start = time.perf_counter()
        dataset_size = len(torchvision_mnist(args.data))
        steps = args.epochs * -(-dataset_size // batch)
        for _ in range(steps):
            d_loss, g_loss = step(next(source))
        sync()
        seconds = time.perf_counter() - start
        result = {"peer": "pytorch " + torch.__version__, "mode": args.mode, "device": str(device),
                  "batch": batch, "epochs": args.epochs, "steps": steps, "images": dataset_size,
                  "seconds": seconds, "seconds_per_epoch": seconds / args.epochs,
                  "final_d_loss": float(d_loss), "final_g_loss": float(g_loss)}
        return result

    timing, (d_loss, g_loss) = time_steps(step, source, device, args.warmup, args.steps, block)
    result = {
        "peer": "pytorch " + torch.__version__,
        "mode": args.mode,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "batch": batch,
        **timing,
        "final_d_loss": float(d_loss),
        "final_g_loss": float(g_loss),
    }
    result["images_per_s"] = batch / (result["ms_per_step_median"] / 1000.0)
    return result


if __name__ == "__main__":
    sys.exit(main())
