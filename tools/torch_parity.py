#!/usr/bin/env python3
"""Replays a parity trace of `gan train --trace FILE` with the seed's own PyTorch loop and says
whether our training step is the seed's step, as exactly as PyTorch itself.

For a run with --spectral-norm (the trace has init.discriminator.<layer>.weight_orig, _u, _v),
torch.nn.utils.spectral_norm wraps those layers of D, and only the D step's first forward runs
them in training mode, so that PyTorch too iterates once per step (see spectral_norm_modules).

For a run with --augment (the trace's metadata names the policy, and step<i>.augment_real,
augment_d and augment_g hold the draws), every batch into D goes through tools/diff_augment.py's
copy of DiffAugment_pytorch.py with those draws (checked to lie in the original's ranges).

For a conditional run (`--conditional`: the trace has init.generator.label_emb.weight and
step<i>.labels_*) the models are the conditional twins (tools/seed_model.py's for the MLP,
tools/dcgan_model.py's for the DCGAN), fed the trace's labels.

The seed's Generator and Discriminator are built and loaded with the trace's init.* tensors;
then its loop (BCELoss on Sigmoid outputs, two Adam optimisers at the run's learning rates and
betas and eps, read from the trace's __metadata__ (lr 2e-4, betas 0.9, 0.999 and eps 1e-8 for a
trace without them; --lr, --d-lr and --betas override them), D step then G step
with fresh noise through the updated D) is replayed on exactly the trace's batches and noises,
once in float32 and once in float64. For every loss, every step-1 gradient and every final
parameter, it prints the norm-wise relative error |x - ref64| / |ref64| of ours and of
PyTorch's float32 run. It passes when every one of ours is within 10x PyTorch-float32's own
error plus 1e-5.

With --peer OTHER_TRACE (a trace of the same run by another trainer, e.g. the CPU trainer for a
GPU run), OTHER_TRACE's tensors take the place of PyTorch-float32: the check then says whether
TRACE is as close to the float64 truth as the peer is (within 10x its error plus 1e-5).
With --factor F the 10x becomes Fx (a looser bound, stated and justified where it is used).

With --device cuda --tf32 the float32 replay runs on the GPU with TF32 allowed in PyTorch's
matmuls and convolutions (allow_tf32): the peer for a trace of `gan train --tf32`, whose error is
then held to a multiple of PyTorch-TF32's own (the float64 reference stays on the CPU).

usage: torch_parity.py TRACE [--peer OTHER_TRACE] [--factor 10] [--device cpu] [--tf32] [--lr LR]
                       [--d-lr LR] [--betas B1 B2] [--verbose]
exit status: 0 pass, 1 fail, 2 bad input
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay_cache  # noqa: E402


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace")
    parser.add_argument("--lr", type=float, help="G's learning rate (default: the trace's, else 2e-4)")
    parser.add_argument("--d-lr", type=float, help="D's learning rate (default: the trace's, else G's)")
    parser.add_argument("--betas", type=float, nargs=2, help="Adam's betas (default: the trace's, else 0.9 0.999)")
    parser.add_argument("--slope", type=float, default=0.2)
    parser.add_argument("--verbose", action="store_true", help="print every row, not only the summary per group")
    parser.add_argument("--peer", help="another trainer's trace of the same run, in PyTorch-float32's place")
    parser.add_argument("--factor", type=float, default=10.0, help="the bound's multiple of the peer's error")
    parser.add_argument("--device", default="cpu", help="where the float32 replay runs (cpu or cuda)")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in the float32 replay (needs --device cuda)")
    args = parser.parse_args()
    if args.tf32 and args.device == "cpu":
        parser.error("--tf32 needs --device cuda")
    return args


def replay_inputs(args):
    """What a replay depends on besides the scripts (tools/replay_cache.py): the traces' bytes
    and every option but their paths."""
    options = {k: v for k, v in vars(args).items() if k not in ("trace", "peer")}
    return [args.trace] + ([args.peer] if args.peer else []), options


# A trace whose bytes passed before (the same scripts, options and PyTorch) is not replayed again,
# and needs no PyTorch loaded: decided before the imports below.
if __name__ == "__main__" and replay_cache.recall("torch_parity", *replay_inputs(parse_arguments())):
    sys.exit(0)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import gan_safetensors  # noqa: E402
from diff_augment import check_draws, diff_augment, parse_policy  # noqa: E402
from seed_model import ConditionalDiscriminator, Discriminator  # noqa: E402
from torch_twins import twins  # noqa: E402


def models(tensors, dtype, slope, device, loss="bce"):
    """The seed's MLP, or the DCGAN of tools/dcgan_model.py, loaded with the trace's init.* tensors
    (tools/torch_twins.py reads which from their shapes), and the loss on its output (BCELoss
    after the MLP's Sigmoid; BCE on the DCGAN's logits). Under the hinge loss the MLP's Sigmoid
    goes: the loss takes D's raw logit."""
    generator, discriminator, _ = twins(tensors, tensors["step1.z_d"].shape[1], tensors["step1.real"].shape[1],
                                        slope, prefix="init.")
    generator, discriminator = generator.to(dtype), discriminator.to(dtype)
    mlp = isinstance(discriminator, (Discriminator, ConditionalDiscriminator))
    criterion = nn.BCELoss() if mlp else nn.BCEWithLogitsLoss()
    for net, module in (("generator", generator), ("discriminator", discriminator)):
        state = module.state_dict()
        for k in state:
            if not k.endswith("num_batches_tracked"):  # a counter we do not keep
                state[k] = torch.tensor(tensors[f"init.{net}.{k}"], dtype=dtype)
        module.load_state_dict(state)
    if loss == "hinge" and mlp:
        discriminator.model[-1] = nn.Identity()  # the hinge loss takes the MLP's raw logit
    return generator.to(device), discriminator.to(device), criterion


def adversarial_losses(loss, criterion):
    """D's loss on the real outputs, D's on the fake, and G's, as gan's --loss: the seed's BCE
    (criterion against ones, zeros, ones), or the hinge loss on raw logits (relu(1 - x).mean(),
    relu(1 + x).mean(), -x.mean())."""
    if loss == "hinge":
        return (lambda v: torch.relu(1 - v).mean(), lambda v: torch.relu(1 + v).mean(), lambda v: -v.mean())
    return (lambda v: criterion(v, torch.ones_like(v)), lambda v: criterion(v, torch.zeros_like(v)),
            lambda v: criterion(v, torch.ones_like(v)))


def spectral_norm_modules(discriminator):
    """D's modules under spectral norm. Each starts in eval mode, where spectral_norm() computes
    W / sigma from the kept u and v without iterating; replay() lets the D step's first forward
    alone iterate, which is gan's schedule (one power iteration per step, cpu/spectral_norm.h).
    Only these modules change mode: BatchNorm stays in training mode, as in the seed's loop."""
    modules = [m for m in discriminator.modules() if hasattr(m, "weight_orig")]
    for m in modules:
        m.train(False)
    return modules


def ema_decay_at(decay, update):
    """gan's warm-up of G's average (kernels/ema_settings.h): min(decay, (1 + t) / (10 + t)), t = update - 1."""
    t = update - 1
    return min(decay, (1.0 + t) / (10.0 + t))


def replay(tensors, steps, dtype, lrs, betas, slope, device="cpu", eps=1e-8, ema_decay=0.0, loss="bce",
           augment=None):
    """The seed's loop on the trace's inputs; every result comes back to the CPU. With ema_decay > 0
    an exponential moving average of G's parameters follows every G update, as --ema keeps it;
    loss "hinge" swaps the seed's BCE for the hinge loss, as --loss hinge does. augment: (policy,
    channels, height, width) for a run with --augment: every batch into D goes through
    diff_augment with the trace's draws for it."""
    generator, discriminator, criterion = models(tensors, dtype, slope, device, loss)
    real_criterion, fake_criterion, generator_criterion = adversarial_losses(loss, criterion)
    average = {k: p.detach().clone() for k, p in generator.named_parameters()} if ema_decay > 0 else None
    normalised = spectral_norm_modules(discriminator)

    def given(name):
        return torch.tensor(tensors[name], dtype=dtype, device=device)

    conditional = "step1.labels_real" in tensors

    def seen(x, name):
        """x as D sees it: through DiffAugment with the trace's draws `name` under --augment."""
        if augment is None:
            return x
        return diff_augment(x, torch.tensor(tensors[name], dtype=torch.float64), *augment)

    def with_labels(module, name, x):
        """module(x), or module(x, labels) with the trace's labels of a conditional step."""
        if not conditional:
            return module(x)
        return module(x, torch.tensor(tensors[name], device=device).long())

    g_lr, d_lr = lrs
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=g_lr, betas=betas, eps=eps)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=d_lr, betas=betas, eps=eps)
    out = {}
    for i in range(1, steps + 1):
        real_imgs = given(f"step{i}.real")
        # ---- the seed's loop body (its section 5.6), with the trace's noise ----
        discriminator.zero_grad()
        for m in normalised:
            m.train(True)  # the step's one power iteration
        real_validity = with_labels(discriminator, f"step{i}.labels_real", seen(real_imgs, f"step{i}.augment_real"))
        for m in normalised:
            m.train(False)
        real_loss = real_criterion(real_validity)
        z = given(f"step{i}.z_d")
        fake_imgs = with_labels(generator, f"step{i}.labels_d", z)
        fake_validity = with_labels(discriminator, f"step{i}.labels_d", seen(fake_imgs, f"step{i}.augment_d"))
        fake_loss = fake_criterion(fake_validity)
        d_loss = real_loss + fake_loss
        d_loss.backward()
        if i == 1:
            for k, p in discriminator.named_parameters():
                out[f"step1.grad.discriminator.{k}"] = p.grad.detach().cpu().clone()
        d_optimizer.step()
        generator.zero_grad()
        z = given(f"step{i}.z_g")
        fake_imgs = with_labels(generator, f"step{i}.labels_g", z)
        fake_validity = with_labels(discriminator, f"step{i}.labels_g", seen(fake_imgs, f"step{i}.augment_g"))
        g_loss = generator_criterion(fake_validity)
        g_loss.backward()
        if i == 1:
            for k, p in generator.named_parameters():
                out[f"step1.grad.generator.{k}"] = p.grad.detach().cpu().clone()
        g_optimizer.step()
        if average is not None:
            decay = ema_decay_at(ema_decay, i)  # G's i-th update
            with torch.no_grad():
                for k, p in generator.named_parameters():
                    average[k].mul_(decay).add_(p, alpha=1.0 - decay)
        out[f"step{i}.d_loss"] = d_loss.detach().cpu().reshape(1)
        out[f"step{i}.g_loss"] = g_loss.detach().cpu().reshape(1)
    for net, module in (("generator", generator), ("discriminator", discriminator)):
        for k, p in module.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                out[f"final.{net}.{k}"] = p.detach().cpu().clone()
    for k, p in (average or {}).items():
        out[f"final.generator_ema.{k}"] = p.cpu().clone()
    return out


def relative_error(x, ref):
    x, ref = x.double(), ref.double()
    denominator = ref.norm().item()
    if denominator == 0:
        return (x - ref).norm().item()
    return (x - ref).norm().item() / denominator


def main():
    args = parse_arguments()
    files, options = replay_inputs(args)
    return replay_cache.run("torch_parity", files, options, lambda: check(args))


def check(args):
    """The replay of args.trace and its verdict (the exit status)."""
    if args.device != "cpu" and not torch.cuda.is_available():
        print(f"torch_parity: --device {args.device}, but PyTorch sees no CUDA device", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    try:
        tensors, metadata = gan_safetensors.read(args.trace)
        peer_tensors = gan_safetensors.read(args.peer)[0] if args.peer else None
        g_lr = args.lr if args.lr is not None else float(metadata.get("generator_lr", 2e-4))
        lrs = (g_lr, args.d_lr if args.d_lr is not None else float(metadata.get("discriminator_lr", g_lr)))
        betas = tuple(args.betas or (float(metadata.get("beta1", 0.9)), float(metadata.get("beta2", 0.999))))
        eps = float(metadata.get("eps", 1e-8))
        ema_decay = float(metadata.get("ema_decay", 0.0))
        loss = metadata.get("loss", "bce")  # traces written before --loss trained with BCE
        if loss not in ("bce", "hinge"):
            raise ValueError(f"{args.trace}: loss {loss!r} is neither bce nor hinge")
        policy = parse_policy(metadata.get("augment", "none"))  # traces before --augment had none
        augment = None
        if policy:
            shape = tuple(int(metadata[k]) for k in ("image_channels", "image_height", "image_width"))
            augment = (policy,) + shape
            for name in tensors:
                if re.fullmatch(r"step\d+\.augment_(real|d|g)", name):
                    check_draws(torch.tensor(tensors[name]), shape[1], shape[2])
    except (OSError, ValueError, KeyError) as e:
        print(f"torch_parity: {e}", file=sys.stderr)
        return 2
    normalised = sorted(name[len("init.discriminator."):-len(".weight_orig")] for name in tensors
                        if name.startswith("init.discriminator.") and name.endswith(".weight_orig"))
    print(f"Adam: lr {lrs[0]:g} (G), {lrs[1]:g} (D), betas {betas[0]:g}, {betas[1]:g}, eps {eps:g}"
          + (f"; G's average, decay {ema_decay:g}" if ema_decay > 0 else "") + f"; loss {loss}"
          + (f"; spectral norm on {', '.join(normalised)}" if normalised else "")
          + (f"; DiffAugment {','.join(policy)}" if policy else ""))
    steps = max(int(m.group(1)) for name in tensors for m in [re.fullmatch(r"step(\d+)\.d_loss", name)] if m)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    ref64 = replay(tensors, steps, torch.float64, lrs, betas, args.slope, eps=eps, ema_decay=ema_decay, loss=loss,
                   augment=augment)
    if peer_tensors is None:
        peer = replay(tensors, steps, torch.float32, lrs, betas, args.slope, args.device, eps, ema_decay, loss,
                      augment)
        peer_name, peer_label = "PyTorch-float32", "torch f32"
        if args.tf32:
            peer_name, peer_label = "PyTorch-TF32", "torch tf32"
    else:
        missing = [name for name in ref64 if name not in peer_tensors]
        if missing:
            print(f"torch_parity: {args.peer} lacks {', '.join(missing[:5])}", file=sys.stderr)
            return 2
        peer = {name: torch.tensor(peer_tensors[name]) for name in ref64}
        peer_name, peer_label = "peer trace", "peer"

    failures, rows = [], []
    for name in sorted(ref64):
        ours = torch.tensor(tensors[name])
        e_ours = relative_error(ours, ref64[name])
        e_torch = relative_error(peer[name], ref64[name])
        bound = args.factor * e_torch + 1e-5
        ok = e_ours <= bound
        rows.append((name, e_ours, e_torch, bound, ok))
        if not ok:
            failures.append(name)
    print(f"parity trace {args.trace}: {steps} steps, batch {tensors['step1.real'].shape[0]}, "
          f"{len(rows)} tensors compared against PyTorch {torch.__version__} in float64")
    print(f"{'tensor':58} {'ours':>10} {peer_label:>10} {'bound':>10}")
    groups = {}
    for row in rows:
        group = re.sub(r"^step\d+\.", "step*.", row[0]) if ".grad." not in row[0] else row[0]
        group = "final.*" if row[0].startswith("final.") and not args.verbose else group
        group = "step1.grad.*" if row[0].startswith("step1.grad.") and not args.verbose else group
        groups.setdefault(group if not args.verbose else row[0], []).append(row)
    for group, members in groups.items():
        worst = max(members, key=lambda r: r[1] / r[3])
        mark = "ok" if all(r[4] for r in members) else "FAIL"
        label = group if len(members) == 1 else f"{group} (worst: {worst[0]})"
        print(f"{label[:58]:58} {worst[1]:10.2e} {worst[2]:10.2e} {worst[3]:10.2e}  {mark}")
    if failures:
        print(f"FAIL: {len(failures)} tensors beyond {args.factor:g}x {peer_name}'s error + 1e-5: {', '.join(failures[:8])}")
        return 1
    print(f"PASS: every loss, step-1 gradient and final parameter is within {args.factor:g}x {peer_name}'s own error + 1e-5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
