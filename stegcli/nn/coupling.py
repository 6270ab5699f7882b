"""The invertible coupling block shared by every model in stegcli."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

SubnetConstructor = Callable[[int, int], nn.Module]


class CouplingBlock(nn.Module):
    """Additive update of the cover branch, affine update of the secret branch.

    Forward::

        b1 = b1 + phi(b2)
        b2 = b2 * exp(s(rho(b1))) + eta(b1),   s(v) = clamp * tanh(v / 2)

    The soft clamp bounds the scale to ``exp(+-clamp)`` so the inverse stays
    well conditioned, which is what lets reveal survive 8-bit rounding.
    Both directions go through :meth:`forward` (``rev=True`` inverts), so
    they always share the same parameters.
    """

    def __init__(
        self,
        cover_channels: int,
        secret_channels: int,
        subnet: SubnetConstructor,
        clamp: float = 2.0,
    ) -> None:
        super().__init__()
        self.clamp = clamp
        self.phi = subnet(secret_channels, cover_channels)
        self.rho = subnet(cover_channels, secret_channels)
        self.eta = subnet(cover_channels, secret_channels)

    def _scale(self, b1: torch.Tensor) -> torch.Tensor:
        return self.clamp * torch.tanh(self.rho(b1) / 2)

    def forward(
        self, b1: torch.Tensor, b2: torch.Tensor, rev: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not rev:
            b1 = b1 + self.phi(b2)
            b2 = b2 * torch.exp(self._scale(b1)) + self.eta(b1)
        else:
            b2 = (b2 - self.eta(b1)) * torch.exp(-self._scale(b1))
            b1 = b1 - self.phi(b2)
        return b1, b2
