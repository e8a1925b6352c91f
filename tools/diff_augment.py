"""DiffAugment (Zhao et al., 2020) as the authors' DiffAugment_pytorch.py computes it, with the
random draws passed in rather than taken from torch.rand / torch.randint, so that a replay can
feed it gan's draws (a parity trace's step<i>.augment_* tensors: [B, 7] each, see
host/model/augment.h): brightness, saturation and contrast factors in [0, 1), the row and column
shifts in -s..s (s = int(size * 0.125 + 0.5)), the cutout's centre row and column in
0 .. size - (c % 2) (c = int(size * 0.5 + 0.5)). The transforms run in the order color,
translation, cutout, as the original does when its policy lists them so."""
import torch
import torch.nn.functional as F

TRANSFORMS = ("color", "translation", "cutout")


def parse_policy(text):
    """'color,translation' -> ('color', 'translation'); 'none' or '' -> (). The list must be in
    the order color, translation, cutout (gan's one order; the original applies its list as written)."""
    names = [] if text in ("", "none") else text.split(",")
    canonical = [n for n in TRANSFORMS if n in names]
    if names != canonical:
        raise ValueError(f"augment policy {text!r}: a list of {', '.join(TRANSFORMS)}, in that order, without repeats")
    return tuple(names)


def sizes(height, width):
    """The translation's largest shifts and the cutout's sides, as DiffAugment_pytorch.py."""
    return (int(height * 0.125 + 0.5), int(width * 0.125 + 0.5)), (int(height * 0.5 + 0.5), int(width * 0.5 + 0.5))


def check_draws(draws, height, width):
    """Raises ValueError unless every draw lies where the original's torch.rand / randint put it."""
    (shift_h, shift_w), (cut_h, cut_w) = sizes(height, width)
    d = draws.double()
    bounds = [(0, 1, False), (0, 1, False), (0, 1, False), (-shift_h, shift_h, True), (-shift_w, shift_w, True),
              (0, height - cut_h % 2, True), (0, width - cut_w % 2, True)]
    for k, (low, high, integer) in enumerate(bounds):
        column = d[:, k]
        inside = (column >= low) & ((column <= high) if integer else (column < high))
        if not bool(inside.all()) or (integer and not bool((column == column.round()).all())):
            raise ValueError(f"augment draw {k} outside the original's range [{low}, {high}]")


def diff_augment(x, draws, policy, channels, height, width):
    """x (any shape holding [B, channels, height, width] images) through the policy's transforms."""
    if not policy:
        return x
    shape = x.shape
    x = x.reshape(shape[0], channels, height, width)
    d = draws.to(device=x.device)
    batch = x.shape[0]

    def factor(k):
        return d[:, k].to(x.dtype).view(-1, 1, 1, 1)

    def integer(k):
        return d[:, k].long().view(-1, 1, 1)

    def arange(n):
        return torch.arange(n, dtype=torch.long, device=x.device)

    if "color" in policy:
        x = x + (factor(0) - 0.5)  # rand_brightness
        x_mean = x.mean(dim=1, keepdim=True)
        x = (x - x_mean) * (factor(1) * 2) + x_mean  # rand_saturation
        x_mean = x.mean(dim=[1, 2, 3], keepdim=True)
        x = (x - x_mean) * (factor(2) + 0.5) + x_mean  # rand_contrast
    if "translation" in policy:  # rand_translation, ratio 0.125
        grid_batch, grid_x, grid_y = torch.meshgrid(arange(batch), arange(height), arange(width), indexing="ij")
        grid_x = torch.clamp(grid_x + integer(3) + 1, 0, height + 1)
        grid_y = torch.clamp(grid_y + integer(4) + 1, 0, width + 1)
        x_pad = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
        x = x_pad.permute(0, 2, 3, 1).contiguous()[grid_batch, grid_x, grid_y].permute(0, 3, 1, 2)
    if "cutout" in policy:  # rand_cutout, ratio 0.5
        _, (cut_h, cut_w) = sizes(height, width)
        grid_batch, grid_x, grid_y = torch.meshgrid(arange(batch), arange(cut_h), arange(cut_w), indexing="ij")
        grid_x = torch.clamp(grid_x + integer(5) - cut_h // 2, min=0, max=height - 1)
        grid_y = torch.clamp(grid_y + integer(6) - cut_w // 2, min=0, max=width - 1)
        mask = torch.ones(batch, height, width, dtype=x.dtype, device=x.device)
        mask[grid_batch, grid_x, grid_y] = 0
        x = x * mask.unsqueeze(1)
    return x.contiguous().reshape(shape)
