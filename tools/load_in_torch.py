#!/usr/bin/env python3
"""Loads one of our checkpoints into its PyTorch twin with load_state_dict and draws an 8x8 grid
with it: proof that a user can take the weights over. The twin follows the checkpoint's model:
the seed's Generator (tools/seed_model.py) for the MLP, tools/dcgan_model.py's DcganGenerator for
the 28x28 DCGAN and CanonicalDcganGenerator (pytorch/examples' dcgan) at 32x32 and 64x64, grey or
colour; a conditional checkpoint (--conditional) loads into the conditional twin of each and
draws the run's grid of one row per class. D loads too, into its twin (with
torch.nn.utils.spectral_norm on the layers a --spectral-norm run normalised). The DCGANs draw in evaluation mode (BatchNorm's
running statistics), as our grids and `gan sample` do.

By default the noise is the run's own fixed noise (RUN/samples/fixed_noise.safetensors, beside
the checkpoint), so the grid should match the run's last samples/step_N.png pixel for pixel
(give or take one level of rounding); --compare checks exactly that.

A run with --ema keeps an average of G's parameters as generator_ema.<name>: loaded over G's own
(its BatchNorm statistics stay G's), as the run's grids and `gan sample` draw by default;
--live-weights loads G's own.

usage: load_in_torch.py CHECKPOINT [--noise FILE] [--out grid.png] [--compare OUR_GRID.png] [--live-weights]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gan_safetensors  # noqa: E402
from torch_twins import twins  # noqa: E402


def grid_image(images, height, width, channels=1, columns=8, padding=2, mean=0.5, std=0.5):
    """The same layout and pixel mapping as our sample grids (host/io/png.cpp): images [N, C*H*W]
    as channel planes; a grey canvas [rows, cols] or an RGB one [rows, cols, 3]."""
    count = images.shape[0]
    rows = (count + columns - 1) // columns
    shape = (rows * (height + padding) + padding, columns * (width + padding) + padding)
    canvas = np.full(shape + ((channels,) if channels > 1 else ()), 64, np.uint8)
    pixels = np.clip(np.round((images * std + mean) * 255.0), 0, 255).astype(np.uint8)
    for i in range(count):
        top, left = padding + (i // columns) * (height + padding), padding + (i % columns) * (width + padding)
        image = pixels[i].reshape(channels, height, width).transpose(1, 2, 0)  # planes -> interleaved
        canvas[top:top + height, left:left + width] = image if channels > 1 else image[:, :, 0]
    return canvas


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--noise", help="safetensors file with tensor z [N, latent] (default: the run's fixed noise)")
    parser.add_argument("--out", default="torch_grid.png")
    parser.add_argument("--compare", help="one of our grids drawn from the same noise: check it matches")
    parser.add_argument("--live-weights", action="store_true", help="G's own parameters, not their average (--ema)")
    args = parser.parse_args()
    if os.path.isdir(args.checkpoint):
        args.checkpoint = os.path.join(args.checkpoint, "last.safetensors")
    tensors, metadata = gan_safetensors.read(args.checkpoint)
    config = json.loads(metadata["config"])
    height, width = int(metadata["image_height"]), int(metadata["image_width"])

    conditional = "generator.label_emb.weight" in tensors
    classes = tensors["generator.label_emb.weight"].shape[0] if conditional else 0
    channels = config.get("channels", 1)  # checkpoints from before --channels are grey
    generator, discriminator, normalised = twins(tensors, config["latent_dim"], channels * height * width,
                                                 config["slope"])
    twin = ("the seed's " if config["model"] == "mlp" else "") + type(generator).__name__
    state = {k[len("generator."):]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith("generator.")}
    average = {k[len("generator_ema."):]: torch.from_numpy(v) for k, v in tensors.items()
               if k.startswith("generator_ema.")}
    weights = "G's weights"
    if average and not args.live_weights:
        state.update(average)  # the parameters only: the running statistics stay G's
        weights = "G's EMA weights"
    generator.load_state_dict(state, strict=True)  # fails loudly on any missing or misshapen tensor
    generator.eval()

    # D too: the same names, spectral norm's weight_orig, weight_u and weight_v included.
    d_state = {k[len("discriminator."):]: torch.from_numpy(v) for k, v in tensors.items()
               if k.startswith("discriminator.")}
    result = discriminator.load_state_dict(d_state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]  # a counter we do not keep
    if missing or result.unexpected_keys:
        print(f"load_in_torch: {args.checkpoint}: discriminator tensors missing {missing}, "
              f"unexpected {result.unexpected_keys}", file=sys.stderr)
        return 1
    print(f"load_in_torch: loaded {len(d_state)} discriminator tensors into {type(discriminator).__name__}"
          + (f" (spectral norm on {', '.join(normalised)})" if normalised else ""))

    noise_path = args.noise or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), "samples",
                                            "fixed_noise.safetensors")
    if os.path.exists(noise_path):
        z = torch.from_numpy(gan_safetensors.read(noise_path)[0]["z"])
    else:
        print(f"load_in_torch: {noise_path} not found; drawing torch.randn noise", file=sys.stderr)
        z = torch.randn(64, config["latent_dim"], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        if conditional:
            # The run's grids: a row per class (the first 32), the first 8 noises in every row.
            rows = min(classes, 32)
            labels = torch.arange(rows).repeat_interleave(8)
            images = generator(z[:8].repeat(rows, 1), labels)
        else:
            images = generator(z)
    images = images.reshape(images.shape[0], -1).numpy()
    canvas = grid_image(images, height, width, channels, mean=config["norm_mean"], std=config["norm_std"])
    Image.fromarray(canvas).save(args.out)
    print(f"load_in_torch: loaded {len(state)} generator tensors from {args.checkpoint} (step {metadata['step']}, "
          f"{weights}) into {twin}; wrote {args.out}")
    if args.compare:
        ours = np.asarray(Image.open(args.compare).convert("RGB" if channels > 1 else "L"), dtype=np.int16)
        if ours.shape != canvas.shape:
            print(f"load_in_torch: {args.compare} is {ours.shape}, ours from PyTorch is {canvas.shape}", file=sys.stderr)
            return 1
        worst = int(np.abs(ours - canvas.astype(np.int16)).max())
        print(f"load_in_torch: largest pixel difference from {args.compare}: {worst} (of 255)")
        return 0 if worst <= 1 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
