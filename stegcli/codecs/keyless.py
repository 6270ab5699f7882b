"""Hide-time optimisation of a stego against the keyless decoder (as in Fixed Neural Network
Steganography and LISO).

The INN's forward pass leaves part of the payload in z, which a receiver without the key does not
have, so a few per cent of bits read wrong from the stego alone. Starting from the forward pass, this
takes Adam steps on the stego's pixels (from the forward pass's float output, so that roundings flip
one at a time) through straight-through 8-bit rounding: a squared hinge pushes each used bit past the
decoder's threshold by a margin, a fidelity term keeps the stego near the forward pass's.
Because the rounding is exact in the forward direction, the decoder's output in each step *is* what a
receiver reads from the saved PNG, so the loop stops as soon as the payload's error correction can fix
what is still wrong, or gives up early when the count of wrong bits stops falling.

The stealth setting (:func:`refine_sparse`) starts from the cover itself instead and changes few
samples by whole grey levels: each step moves the samples where the decoder's gradient is largest
for the least texture cost (:func:`texture_cost`, after HILL), so the change lies where the
cover's own texture hides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.nn import StegoINN
from stegcli.payload.mapping import bit_margins
from stegcli.train.losses import quantize_ste


@dataclass(frozen=True)
class RefineSettings:
    """Chosen on validation crops with ``benchmarks/keyless_payload.py`` (docs/models.md)."""

    max_steps: int = 40
    lr: float = 0.001  # a quarter of a grey level a step: larger steps flip many roundings at once
    eps: float = 1e-6  # Adam's floor: pixels with a negligible gradient stay where they are
    margin: float = 0.3  # a bit counts as safe this far past the threshold (1: at its ideal value)
    fidelity: float = 4.0  # weight of the MSE to the forward pass's stego (times 255^2 / 1e3)
    strength: float = 0.7  # start from cover + strength * (forward stego - cover): a cleaner stego, a few more steps
    patience: int = 12  # give up when this many steps have not cut the wrong bits to 95% of their best


@dataclass(frozen=True)
class RefineOutcome:
    stego: torch.Tensor  # (1, 3, h, w), exactly 8-bit values
    steps: int
    wrong: np.ndarray  # flat bool over all bit positions: used bits a keyless reader gets wrong


def _read(model: StegoINN, x: torch.Tensor, z: torch.Tensor, target: torch.Tensor,
          used: torch.Tensor) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """The keyless decoder's margins on ``x``, and as flat arrays the used bits it gets wrong
    (thresholded as a reader does) and every bit's margin."""
    margins = bit_margins(model.reverse(x, z)[1])
    wrong = (((margins > 0) != target) & used).reshape(-1).cpu().numpy()
    return margins, wrong, margins.detach().reshape(-1).cpu().numpy()


def _frozen(model: StegoINN) -> StegoINN:
    model = model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def refine(model: StegoINN, stego: torch.Tensor, bits: torch.Tensor, used: torch.Tensor,
           accept: Callable[[np.ndarray, np.ndarray], bool], settings: RefineSettings = RefineSettings(),
           progress: Callable[[int, int], None] | None = None) -> RefineOutcome:
    """Optimise ``stego`` (1, 3, h, w) until ``accept(wrong)`` says the wrong bits are correctable.

    ``bits`` (1, C, h, w) are the 0/1 targets, ``used`` (1, C, h, w) bool where the payload lies.
    ``accept`` sees flat arrays over all positions: which used bits read wrong, and every bit's margin
    (how far past the threshold, 1 at its ideal value). Stops after ``max_steps`` steps either way.
    """
    model = _frozen(model)
    target, sign = bits.bool(), bits * 2 - 1
    weight = used.float() / used.float().sum().clamp(min=1)
    anchor = stego.detach().clone()
    x = stego.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=settings.lr, eps=settings.eps)
    z = model.constant_z(stego)
    fidelity = settings.fidelity * 255**2 / 1e3
    best, best_step = None, 0
    for step in range(settings.max_steps + 1):
        q = quantize_ste(x)
        margins, wrong_np, margins_np = _read(model, q, z, target, used)
        count = int(wrong_np.sum())
        if progress is not None:
            progress(step, count)  # before the checks: a bar's last state is the outcome
        if best is None or count < 0.95 * best:
            best, best_step = count, step
        if (accept(wrong_np, margins_np) or step == settings.max_steps
                or step - best_step >= settings.patience):
            return RefineOutcome(q.detach(), step, wrong_np)
        loss = (F.relu(settings.margin - sign * margins).pow(2) * weight).sum() + fidelity * F.mse_loss(q, anchor)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class SparseSettings:
    """The stealth setting's optimisation, chosen on validation crops (docs/models.md)."""

    max_steps: int = 240
    share: float = 0.002  # share of the samples changed by one grey level a step
    margin: float = 0.3
    cap: int = 3  # no sample moves more than this many grey levels while the optimisation can do without
    capped_steps: int = 80  # steps under the cap before it is lifted (a smooth cover may need larger changes)
    patience: int = 10  # steps without a 5% cut in the wrong bits after which the share per step doubles
    max_share: float = 0.05
    min_psnr: float = 45.0  # the distortion bound: give up (and refuse) before the stego falls below it


_HIGH_PASS = torch.tensor([[-1.0, 2.0, -1.0], [2.0, -4.0, 2.0], [-1.0, 2.0, -1.0]]) / 4  # the KB filter


def texture_cost(image: torch.Tensor) -> torch.Tensor:
    """A cost per sample (1, 3, h, w) of changing ``image`` (values 0..255), low where texture hides a change.

    After HILL (Li, Wang, Huang and Ni, 2014): the magnitude of a high-pass residual, averaged over 3x3,
    inverted and spread over 15x15, so that smooth areas and their borders are dear.
    """
    channels = image.shape[1]
    kernel = _HIGH_PASS.to(image).view(1, 1, 3, 3).repeat(channels, 1, 1, 1)
    residual = F.conv2d(F.pad(image, (1, 1, 1, 1), mode="reflect"), kernel, groups=channels).abs()
    residual = F.avg_pool2d(F.pad(residual, (1, 1, 1, 1), mode="reflect"), 3, 1)
    return F.avg_pool2d(F.pad(1 / (residual + 1e-10), (7, 7, 7, 7), mode="reflect"), 15, 1)


def refine_sparse(model: StegoINN, cover: torch.Tensor, bits: torch.Tensor, used: torch.Tensor,
                  accept: Callable[[np.ndarray, np.ndarray], bool], settings: SparseSettings = SparseSettings(),
                  progress: Callable[[int, int], None] | None = None) -> RefineOutcome:
    """Change few samples of ``cover`` (1, 3, h, w, exact 8-bit values) by whole grey levels until
    ``accept(wrong, margins)``, as :func:`refine` but from the cover, and cheapest where it is textured.

    Each step changes the ``share`` of samples with the largest squared-hinge gradient per
    :func:`texture_cost`, by one level against the gradient; for ``capped_steps`` no sample moves
    more than ``cap`` levels from the cover. It gives up, unaccepted, before the stego's PSNR to the
    cover would fall below ``min_psnr``: a stealth stego that shows is worse than a refusal.
    """
    model = _frozen(model)
    target, sign = bits.bool(), bits * 2 - 1
    weight = used.float() / used.float().sum().clamp(min=1)
    z = model.constant_z(cover)
    cost = texture_cost(cover * 255)
    share, x = settings.share, cover.clone()
    budget = cover.numel() * 255**2 / 10 ** (settings.min_psnr / 10)  # the largest sum of squared level changes
    best, best_step = None, 0
    for step in range(settings.max_steps + 1):
        probe = x.clone().requires_grad_(True)
        margins, wrong, margins_np = _read(model, probe, z, target, used)
        if progress is not None:
            progress(step, int(wrong.sum()))
        if accept(wrong, margins_np) or step == settings.max_steps:
            return RefineOutcome(x, step, wrong)
        if best is None or wrong.sum() < 0.95 * best:
            best, best_step = int(wrong.sum()), step
        elif step - best_step >= settings.patience:  # stuck: a smooth cover needs more change a step
            share, best_step = min(2 * share, settings.max_share), step
        count = max(1, int(share * cover.numel()))
        loss = (F.relu(settings.margin - sign * margins).pow(2) * weight).sum()
        (gradient,) = torch.autograd.grad(loss, probe)
        moved = ((x * 255).round() - torch.sign(gradient)) / 255  # on the 8-bit grid: what a PNG stores
        room = (moved >= 0) & (moved <= 1) & (gradient != 0)
        if step < settings.capped_steps:
            room &= ((moved - cover) * 255).round().abs() <= settings.cap
        score = torch.where(room, gradient.abs() / cost, torch.zeros_like(gradient)).reshape(-1)
        chosen = torch.topk(score, count).indices
        chosen = chosen[score[chosen] > 0]
        candidate = x.reshape(-1).index_copy(0, chosen, moved.reshape(-1)[chosen]).reshape(x.shape)
        if float((((candidate - cover) * 255).round() ** 2).sum()) > budget:
            return RefineOutcome(x, step, wrong)  # over the bound: unaccepted, the caller refuses
        x = candidate
    raise AssertionError("unreachable")
