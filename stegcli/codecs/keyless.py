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


def refine(model: StegoINN, stego: torch.Tensor, bits: torch.Tensor, used: torch.Tensor,
           accept: Callable[[np.ndarray, np.ndarray], bool], settings: RefineSettings = RefineSettings(),
           progress: Callable[[int, int], None] | None = None) -> RefineOutcome:
    """Optimise ``stego`` (1, 3, h, w) until ``accept(wrong)`` says the wrong bits are correctable.

    ``bits`` (1, C, h, w) are the 0/1 targets, ``used`` (1, C, h, w) bool where the payload lies.
    ``accept`` sees flat arrays over all positions: which used bits read wrong, and every bit's margin
    (how far past the threshold, 1 at its ideal value). Stops after ``max_steps`` steps either way.
    """
    model = model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
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
        margins = bit_margins(model.reverse(q, z)[1])
        wrong_np = (((margins > 0) != target) & used).reshape(-1).cpu().numpy()  # thresholded as a reader does
        count = int(wrong_np.sum())
        if progress is not None:
            progress(step, count)  # before the checks: a bar's last state is the outcome
        if best is None or count < 0.95 * best:
            best, best_step = count, step
        if (accept(wrong_np, margins.detach().reshape(-1).cpu().numpy()) or step == settings.max_steps
                or step - best_step >= settings.patience):
            return RefineOutcome(q.detach(), step, wrong_np)
        loss = (F.relu(settings.margin - sign * margins).pow(2) * weight).sum() + fidelity * F.mse_loss(q, anchor)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    raise AssertionError("unreachable")
