#!/usr/bin/env python3
"""The convolutional GAN of the seed's section 4.4 (issue 10) in PyTorch: the model our
`--model dcgan` reproduces, state_dict name for state_dict name, so that its checkpoints load
here with load_state_dict (all but num_batches_tracked, a counter we do not keep), and
tools/torch_parity.py replays our DCGAN's training steps with it.

  G: z (latent) -> Linear to C0 x 7 x 7 -> view -> BatchNorm2d(C0) -> ReLU
       -> ConvTranspose2d(C0, C1, 4, 2, 1) (14 x 14) -> BatchNorm2d(C1) -> ReLU
       -> ConvTranspose2d(C1, 1, 4, 2, 1) (28 x 28) -> Tanh
  D: Conv2d(1, C1, 4, 2, 1) (14 x 14) -> LeakyReLU(0.2)
       -> Conv2d(C1, C0, 4, 2, 1) (7 x 7) -> BatchNorm2d(C0) -> LeakyReLU(0.2)
       -> flatten -> Linear(C0 x 7 x 7, 1): a logit (the Sigmoid is in the loss, BCE on logits)
with C0 = 128, C1 = 64 by default. The BatchNorm after G's projection normalises over the 128
channels of the viewed 7 x 7 map (BatchNorm2d), as DCGAN does, not over 6,272 features.
PyTorch's default initialisation throughout (Linear, Conv2d, ConvTranspose2d: kaiming-uniform
with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) where PyTorch's fan_in of a
ConvTranspose2d weight [Cin, Cout, K, K] is Cout * K * K; BatchNorm: weight 1, bias 0, running
mean 0, running var 1). D sees the real and the fake batch in two separate passes, as the seed's
D(real), D(fake) do, so its BatchNorm statistics never mix them.

The canonical DCGAN at 32x32 and 64x64 (`--model dcgan` on such data, colour or grey):
CanonicalDcganGenerator and CanonicalDcganDiscriminator, pytorch/examples' dcgan models.

The conditional twins (`--model dcgan --conditional`): ConditionalDcganGenerator puts a label
embedding in front of z; ConditionalDcganDiscriminator adds a projection term to the logit.

usage: dcgan_model.py --check     builds both, runs a batch through them, prints the state_dict
"""
import argparse
import sys

import torch
import torch.nn as nn


class DcganGenerator(nn.Module):
    def __init__(self, latent_dim=100, channels=(128, 64)):
        super().__init__()
        c0, c1 = channels
        self.c0 = c0
        self.project = nn.Linear(latent_dim, c0 * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(c0), nn.ReLU(),
            nn.ConvTranspose2d(c0, c1, 4, 2, 1), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.project(z).view(z.size(0), self.c0, 7, 7))


class DcganDiscriminator(nn.Module):
    def __init__(self, channels=(128, 64), slope=0.2):
        super().__init__()
        c0, c1 = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, 2, 1), nn.LeakyReLU(slope),
            nn.Conv2d(c1, c0, 4, 2, 1), nn.BatchNorm2d(c0), nn.LeakyReLU(slope),
            nn.Flatten(), nn.Linear(c0 * 7 * 7, 1))

    def forward(self, images):
        return self.net(images.view(images.size(0), 1, 28, 28))


class ConditionalDcganGenerator(nn.Module):
    """`--model dcgan --conditional`'s G: the label's row of a [classes, label_dim] embedding
    concatenated in front of z, then DcganGenerator's layers (project sees label_dim + latent
    inputs). label_emb is defined first, so the state_dict starts with it, as ours does."""

    def __init__(self, classes, label_dim=None, latent_dim=100, channels=(128, 64)):
        super().__init__()
        label_dim = label_dim or classes
        self.label_emb = nn.Embedding(classes, label_dim)
        body = DcganGenerator(label_dim + latent_dim, channels)
        self.c0, self.project, self.net = body.c0, body.project, body.net

    def forward(self, z, labels):
        x = torch.cat((self.label_emb(labels), z), -1)
        return self.net(self.project(x).view(z.size(0), self.c0, 7, 7))


class ConditionalDcganDiscriminator(nn.Module):
    """`--model dcgan --conditional`'s D: a projection discriminator (Miyato and Koyama, 2018).
    DcganDiscriminator's layers, plus the inner product of the label's row of a
    [classes, C0 x 7 x 7] embedding with the features entering the last Linear, added to the
    logit. The embedding starts as that Linear's weight does, U(-1/sqrt(F), 1/sqrt(F))."""

    def __init__(self, classes, channels=(128, 64), slope=0.2):
        super().__init__()
        self.net = DcganDiscriminator(channels, slope).net
        features = channels[0] * 7 * 7
        self.label_projection = nn.Embedding(classes, features)
        bound = features ** -0.5
        nn.init.uniform_(self.label_projection.weight, -bound, bound)

    def forward(self, images, labels):
        features = self.net[:-1](images.view(images.size(0), 1, 28, 28))  # through Flatten
        return self.net[-1](features) + (self.label_projection(labels) * features).sum(1, keepdim=True)


class CanonicalDcganGenerator(nn.Module):
    """`--model dcgan` at 32x32 and 64x64: pytorch/examples' dcgan Generator (Radford et al.),
    its Sequential `main` and its state_dict names, with `width` = ngf and `channels` = nc. z
    [B, latent] is viewed as [B, latent, 1, 1]."""

    def __init__(self, latent_dim=100, width=64, channels=3, size=64):
        super().__init__()
        stages = {32: 3, 64: 4}[size]
        layers, cin = [], latent_dim
        for i in range(stages):
            cout = width * 2 ** (stages - 1 - i)
            layers += [nn.ConvTranspose2d(cin, cout, 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False),
                       nn.BatchNorm2d(cout), nn.ReLU(True)]
            cin = cout
        self.main = nn.Sequential(*layers, nn.ConvTranspose2d(cin, channels, 4, 2, 1, bias=False), nn.Tanh())
        self.latent_dim = latent_dim

    def forward(self, z):
        return self.main(z.view(z.size(0), self.latent_dim, 1, 1))


class CanonicalDcganDiscriminator(nn.Module):
    """pytorch/examples' dcgan Discriminator without its final Sigmoid (the loss takes logits);
    `width` = ndf, `channels` = nc. Images [B, C*H*W] or [B, C, H, W]; logits [B, 1]."""

    def __init__(self, width=64, channels=3, size=64, slope=0.2):
        super().__init__()
        stages = {32: 3, 64: 4}[size]
        layers, cin = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(slope, True)], width
        for j in range(1, stages):
            cout = width * 2 ** j
            layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(slope, True)]
            cin = cout
        self.main = nn.Sequential(*layers, nn.Conv2d(cin, 1, 4, 1, 0, bias=False))
        self.shape = (channels, size, size)

    def forward(self, images):
        return self.main(images.view(images.size(0), *self.shape)).view(-1, 1)


class ConditionalCanonicalDcganGenerator(nn.Module):
    """`--model dcgan --conditional` at 32x32 and 64x64: the label's row of a [classes, label_dim]
    embedding in front of z, then CanonicalDcganGenerator's `main` (main.0 takes label_dim +
    latent channels). label_emb is defined first, so the state_dict starts with it, as ours does."""

    def __init__(self, classes, label_dim=None, latent_dim=100, width=64, channels=3, size=64):
        super().__init__()
        label_dim = label_dim or classes
        self.label_emb = nn.Embedding(classes, label_dim)
        self.main = CanonicalDcganGenerator(label_dim + latent_dim, width, channels, size).main
        self.input_dim = label_dim + latent_dim

    def forward(self, z, labels):
        x = torch.cat((self.label_emb(labels), z), -1)
        return self.main(x.view(z.size(0), self.input_dim, 1, 1))


class ConditionalCanonicalDcganDiscriminator(nn.Module):
    """The 32/64-pixel projection discriminator: CanonicalDcganDiscriminator's `main`, plus the
    inner product of the label's row of a [classes, F] embedding with the F = width*2^(n-1)*16
    features entering the last conv, added to the logit; the embedding starts U(+-1/sqrt(F))."""

    def __init__(self, classes, width=64, channels=3, size=64, slope=0.2):
        super().__init__()
        body = CanonicalDcganDiscriminator(width, channels, size, slope)
        self.main, self.shape = body.main, body.shape
        features = self.main[-1].in_channels * 16
        self.label_projection = nn.Embedding(classes, features)
        bound = features ** -0.5
        nn.init.uniform_(self.label_projection.weight, -bound, bound)

    def forward(self, images, labels):
        features = self.main[:-1](images.view(images.size(0), *self.shape))  # [B, F/16, 4, 4]
        logits = self.main[-1](features).view(-1, 1)
        return logits + (self.label_projection(labels) * features.flatten(1)).sum(1, keepdim=True)


def check():
    torch.manual_seed(0)
    g, d = DcganGenerator(), DcganDiscriminator()
    z = torch.randn(5, 100)
    images = g(z)
    logits = d(images)
    assert images.shape == (5, 1, 28, 28), images.shape
    assert logits.shape == (5, 1), logits.shape
    assert images.abs().max() <= 1.0
    for name, module in (("generator", g), ("discriminator", d)):
        for key, tensor in module.state_dict().items():
            print(f"{name}.{key:28} {tuple(tensor.shape)}")
    print(f"parameters: G {sum(p.numel() for p in g.parameters())}, D {sum(p.numel() for p in d.parameters())}")
    for size in (32, 64):
        g64, d64 = CanonicalDcganGenerator(size=size), CanonicalDcganDiscriminator(size=size)
        fake = g64(torch.randn(5, 100))
        assert fake.shape == (5, 3, size, size), fake.shape
        assert d64(fake).shape == (5, 1)
        print(f"canonical {size}x{size}:", ", ".join(f"{k} {tuple(t.shape)}" for k, t in list(g64.state_dict().items())[:2]))
    cg64, cd64 = ConditionalCanonicalDcganGenerator(5, size=32), ConditionalCanonicalDcganDiscriminator(5, size=32)
    assert cd64(cg64(torch.randn(5, 100), torch.arange(5)), torch.arange(5)).shape == (5, 1)
    assert list(cg64.state_dict())[0] == "label_emb.weight" and list(cd64.state_dict())[-1] == "label_projection.weight"
    cg, cd = ConditionalDcganGenerator(10), ConditionalDcganDiscriminator(10)
    labels = torch.arange(5)
    assert cd(cg(z, labels), labels).shape == (5, 1)
    print("conditional:", ", ".join(f"{k} {tuple(t.shape)}" for k, t in
                                     list(cg.state_dict().items())[:2] + list(cd.state_dict().items())[-1:]))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        return check()
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
