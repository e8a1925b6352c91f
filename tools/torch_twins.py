"""The PyTorch twins of one of our runs' generator and discriminator, read from the shapes of its
tensors: a checkpoint's (named as the twins' state_dicts name them, generator.model.0.weight, ...)
or a parity trace's initial values (the same names under init.). tools/torch_parity.py and
tools/load_in_torch.py both build their models here, so that the two take the same model for the
same tensors.

    generator, discriminator, normalised = twins(tensors, latent, image_pixels, slope, prefix)

The model is the one whose tensors are present: pytorch/examples' DCGAN (generator.main.*, 32x32
or 64x64, grey or colour), the seed's 28x28 DCGAN (generator.project.*) or the seed's MLP; each
conditional when G has a label table (generator.label_emb.weight). D's layers that the tensors
store as <layer>.weight_orig (--spectral-norm) get torch.nn.utils.spectral_norm; `normalised`
names them. Both twins are float32 and untrained: load the tensors with load_state_dict.
"""
import re

import torch.nn as nn

from dcgan_model import (CanonicalDcganDiscriminator, CanonicalDcganGenerator, ConditionalCanonicalDcganDiscriminator,
                         ConditionalCanonicalDcganGenerator, ConditionalDcganDiscriminator, ConditionalDcganGenerator,
                         DcganDiscriminator, DcganGenerator)
from seed_model import ConditionalDiscriminator, ConditionalGenerator, Discriminator, Generator


def hidden_widths(tensors, network, first_in):
    """An MLP's hidden widths and its output width, from the shapes of <network>.model.<i>.weight;
    its first layer must take first_in inputs."""
    pattern = re.escape(network) + r"\.model\.(\d+)\.weight(?:_orig)?"
    shapes = [shape for _, shape in sorted((int(m.group(1)), t.shape) for name, t in tensors.items()
                                           for m in [re.fullmatch(pattern, name)] if m)]
    if not shapes or shapes[0][1] != first_in:
        raise ValueError(f"{network}: its first layer takes {shapes[0][1] if shapes else 'nothing'}, "
                         f"expected {first_in} inputs")
    return [s[0] for s in shapes[:-1]], shapes[-1][0]


def twins(tensors, latent, image_pixels, slope, prefix=""):
    g, d = f"{prefix}generator", f"{prefix}discriminator"
    table = tensors.get(f"{g}.label_emb.weight")
    classes, label_dim = (0, 0) if table is None else table.shape
    if f"{g}.main.0.weight" in tensors:  # pytorch/examples' DCGAN: D's first weight is [width, channels, 4, 4]
        first = f"{d}.main.0.weight"
        width, channels = tensors.get(first, tensors.get(first + "_orig")).shape[:2]
        size = int(round((image_pixels / channels) ** 0.5))
        if classes:  # --conditional: a label table, a projection D
            generator = ConditionalCanonicalDcganGenerator(classes, label_dim, latent, width, channels, size)
            discriminator = ConditionalCanonicalDcganDiscriminator(classes, width, channels, size, slope)
        else:
            generator = CanonicalDcganGenerator(latent, width, channels, size)
            discriminator = CanonicalDcganDiscriminator(width, channels, size, slope)
    elif f"{g}.project.weight" in tensors:  # the seed's 28x28 DCGAN
        c = (tensors[f"{g}.project.weight"].shape[0] // 49, tensors[f"{g}.net.2.weight"].shape[1])
        if classes:
            generator = ConditionalDcganGenerator(classes, label_dim, latent, c)
            discriminator = ConditionalDcganDiscriminator(classes, c, slope)
        else:
            generator = DcganGenerator(latent, c)
            discriminator = DcganDiscriminator(c, slope)
    else:  # the seed's MLP; conditional: cgan.py's tables, and D's label projection where it has one
        g_hidden, g_out = hidden_widths(tensors, g, latent + label_dim)
        d_hidden, _ = hidden_widths(tensors, d, image_pixels + label_dim)
        if classes:
            generator = ConditionalGenerator(classes, label_dim, latent, g_hidden, g_out, slope)
            projection = f"{d}.label_projection.weight" in tensors
            discriminator = ConditionalDiscriminator(classes, label_dim, image_pixels, d_hidden, slope, projection)
        else:
            generator = Generator(latent, g_hidden, g_out, slope)
            discriminator = Discriminator(image_pixels, d_hidden, slope)
    # --spectral-norm: D's normalised weights are stored as weight_orig, as spectral_norm() names them.
    normalised = [name for name, _ in discriminator.named_modules() if f"{d}.{name}.weight_orig" in tensors]
    for name, module in list(discriminator.named_modules()):
        if name in normalised:
            nn.utils.spectral_norm(module)
    return generator, discriminator, normalised
