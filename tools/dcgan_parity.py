#!/usr/bin/env python3
"""Checks our convolutional GAN's CPU forward passes against tools/dcgan_model.py.

The file (written by tests/test_dcgan.cpp) holds our initial parameters and buffers under their
state_dict names ("generator.project.weight", ...), a noise batch "z", a batch of images "real",
and our training-mode outputs: "ours.image" = G(z), "ours.logits" = D(real), and the running
statistics after those passes ("ours.generator.net.0.running_mean", ...). This loads the same
parameters into the PyTorch model (strict, but for num_batches_tracked, which we do not store),
runs the same passes in training mode, and compares: norm-wise relative error under 1e-5.

usage: dcgan_parity.py FILE      exit status: 0 pass, 1 fail, 2 bad input
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gan_safetensors  # noqa: E402
from dcgan_model import DcganDiscriminator, DcganGenerator  # noqa: E402


def load(module, prefix, tensors):
    state = {name[len(prefix):]: torch.tensor(value) for name, value in tensors.items()
             if name.startswith(prefix)}
    missing, unexpected = module.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{prefix}: missing {missing}, unexpected {unexpected}")


def relative(ours, theirs):
    theirs = theirs.detach().double().numpy()
    return float(np.linalg.norm(ours.astype(np.float64) - theirs) / max(np.linalg.norm(theirs), 1e-30))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    try:
        tensors, _ = gan_safetensors.read(sys.argv[1])
    except (OSError, ValueError, KeyError) as e:
        print(f"dcgan_parity: {e}", file=sys.stderr)
        return 2
    z = torch.tensor(tensors["z"])
    g, d = DcganGenerator(latent_dim=z.shape[1]), DcganDiscriminator()
    load(g, "generator.", tensors)
    load(d, "discriminator.", tensors)
    g.train()
    d.train()
    with torch.no_grad():
        image = g(z)
        logits = d(torch.tensor(tensors["real"]))
    rows = [("G(z)", relative(tensors["ours.image"], image)),
            ("D(real) logits", relative(tensors["ours.logits"], logits))]
    for module, prefix in ((g, "generator."), (d, "discriminator.")):
        for name, value in module.state_dict().items():
            if "running" in name:
                rows.append((prefix + name, relative(tensors["ours." + prefix + name], value)))
    worst = max(error for _, error in rows)
    for name, error in rows:
        print(f"{name:44} {error:10.2e}  {'ok' if error < 1e-5 else 'FAIL'}")
    print("PASS" if worst < 1e-5 else "FAIL", f"(worst {worst:.2e}, bound 1e-5)")
    return 0 if worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
