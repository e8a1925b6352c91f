"""The seed's Generator and Discriminator (its section 5.2 and 5.3), with the widths as
arguments so that checkpoints of other configurations load too. State-dict names match ours:
model.0.weight, model.0.bias, model.2.*, ...
"""
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim=100, hidden=(256, 512, 1024), image_size=784, slope=0.2):
        super().__init__()
        layers, width = [], latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(slope, inplace=True)]
            width = h
        layers += [nn.Linear(width, image_size), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, z):
        return self.model(z)


class Discriminator(nn.Module):
    def __init__(self, image_size=784, hidden=(512, 256), slope=0.2):
        super().__init__()
        layers, width = [], image_size
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(slope, inplace=True)]
            width = h
        layers += [nn.Linear(width, 1), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)

    def forward(self, img):
        return self.model(img.view(img.size(0), -1))
