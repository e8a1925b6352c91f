"""The seed's Generator and Discriminator (its section 5.2 and 5.3), with the widths as
arguments so that checkpoints of other configurations load too, and their conditional versions
(`gan train --conditional`). State-dict names match ours: model.0.weight, model.0.bias,
model.2.*, ..., and label_emb.weight / label_embedding.weight first for the conditional ones
(label_projection.weight last in D when it has the projection term).
"""
import torch
import torch.nn as nn


def seed_layers(width, hidden, out, slope, last):
    """Linear + LeakyReLU for each hidden width, then Linear to `out` and the `last` module."""
    layers = []
    for h in hidden:
        layers += [nn.Linear(width, h), nn.LeakyReLU(slope, inplace=True)]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, out), last)


class Generator(nn.Module):
    def __init__(self, latent_dim=100, hidden=(256, 512, 1024), image_size=784, slope=0.2):
        super().__init__()
        self.model = seed_layers(latent_dim, hidden, image_size, slope, nn.Tanh())

    def forward(self, z):
        return self.model(z)


class Discriminator(nn.Module):
    def __init__(self, image_size=784, hidden=(512, 256), slope=0.2):
        super().__init__()
        self.model = seed_layers(image_size, hidden, 1, slope, nn.Sigmoid())

    def forward(self, img):
        return self.model(img.view(img.size(0), -1))


class ConditionalGenerator(nn.Module):
    """The seed's Generator conditioned as PyTorch-GAN's cgan.py conditions its own: the label's
    row of a [classes, label_dim] embedding concatenated before z. label_emb is defined first, so
    the state_dict starts with label_emb.weight, as ours does."""

    def __init__(self, classes, label_dim=None, latent_dim=100, hidden=(256, 512, 1024), image_size=784, slope=0.2):
        super().__init__()
        label_dim = label_dim or classes
        self.label_emb = nn.Embedding(classes, label_dim)
        self.model = seed_layers(label_dim + latent_dim, hidden, image_size, slope, nn.Tanh())

    def forward(self, z, labels):
        return self.model(torch.cat((self.label_emb(labels), z), -1))


class ConditionalDiscriminator(nn.Module):
    """The seed's Discriminator seeing cat(flattened image, label embedding), as cgan.py's. With
    projection (`gan train --conditional`'s default, --projection false to leave it out) the
    logit also gains the projection term of Miyato and Koyama: the inner product of the label's
    row of label_projection [classes, last hidden width] with the features entering the last
    Linear, the row starting U(-1/sqrt(width), 1/sqrt(width)) as that Linear's weight does."""

    def __init__(self, classes, label_dim=None, image_size=784, hidden=(512, 256), slope=0.2, projection=False):
        super().__init__()
        label_dim = label_dim or classes
        self.label_embedding = nn.Embedding(classes, label_dim)
        self.model = seed_layers(image_size + label_dim, hidden, 1, slope, nn.Sigmoid())
        self.label_projection = None
        if projection:
            features = self.model[-2].in_features
            self.label_projection = nn.Embedding(classes, features)
            nn.init.uniform_(self.label_projection.weight, -features ** -0.5, features ** -0.5)

    def forward(self, img, labels):
        x = torch.cat((img.view(img.size(0), -1), self.label_embedding(labels)), -1)
        if self.label_projection is None:
            return self.model(x)
        features = self.model[:-2](x)  # through the last hidden layer's LeakyReLU
        logits = self.model[-2](features) + (self.label_projection(labels) * features).sum(1, keepdim=True)
        return self.model[-1](logits)
