"""Invertible image rescaling (IIR, the first half of InvMIHNet): image <-> (small image, high bands).

A secret is downscaled by an integer factor f with an orthonormal f x f block
DCT (for f = 2 this is the Haar transform; the DCT also handles f = 3, which
repeated Haar levels cannot), then coupling blocks move information between
the low band (the small image, b1) and the high bands (b2). Training pushes the
high bands towards zero, so reveal can rebuild the full-size secret from the
small image and a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial

import torch
import torch.nn.functional as F
from torch import nn

from stegcli.nn.config import ArchConfig
from stegcli.nn.coupling import CouplingBlock
from stegcli.nn.dct import dct_matrix
from stegcli.nn.subnets import DenseSubnet, channels_last


@lru_cache(maxsize=None)
def _dct_basis(factor: int) -> torch.Tensor:
    """(f*f, f*f) orthonormal 2-D DCT-II basis; row 0 is the constant 1/f (the block mean times f)."""
    basis_1d = torch.from_numpy(dct_matrix(factor).copy())
    return torch.einsum("ki,lj->klij", basis_1d, basis_1d).reshape(factor * factor, factor * factor)


def block_dct(x: torch.Tensor, factor: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, f*f*C, H/f, W/f), band-major: the first C channels are the DC band."""
    b, c, h, w = x.shape
    if h % factor or w % factor:
        raise ValueError(f"block DCT by {factor} needs sides divisible by {factor}, got {h}x{w}")
    blocks = F.pixel_unshuffle(x, factor).reshape(b, c, factor * factor, h // factor, w // factor)
    basis = _dct_basis(factor).to(x)
    return torch.einsum("kp,bcphw->bkchw", basis, blocks).reshape(b, factor * factor * c, h // factor, w // factor)


def block_idct(y: torch.Tensor, factor: int) -> torch.Tensor:
    """Inverse of :func:`block_dct`."""
    b, kc, h, w = y.shape
    c = kc // (factor * factor)
    basis = _dct_basis(factor).to(y)
    blocks = torch.einsum("kp,bkchw->bcphw", basis, y.reshape(b, factor * factor, c, h, w))
    return F.pixel_shuffle(blocks.reshape(b, c * factor * factor, h, w), factor)


@dataclass(frozen=True)
class RescaleConfig(ArchConfig):
    factor: int
    blocks: int = 4
    growth: int = 16
    clamp: float = 2.0

    @property
    def receptive_radius(self) -> int:
        """Full-resolution pixels an output depends on each way: per block two subnets in turn, five
        3x3 convolutions each, at 1/factor resolution (tiles must start on whole factor x factor blocks)."""
        return 10 * self.factor * self.blocks


class RescaleINN(nn.Module):
    """``forward(x)`` -> (small image in [0, 1] units at 1/f size, high bands); ``reverse`` undoes it."""

    def __init__(self, config: RescaleConfig, channels: int = 3) -> None:
        super().__init__()
        self.config, self.channels = config, channels
        f2 = config.factor**2
        subnet = partial(DenseSubnet, growth=config.growth)
        self.blocks = nn.ModuleList(
            CouplingBlock(channels, (f2 - 1) * channels, subnet, config.clamp) for _ in range(config.blocks)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.config.factor
        bands = block_dct(x, f)
        low, high = bands[:, : self.channels] / f, bands[:, self.channels :]  # DC / f is the block mean
        low, high = channels_last(low, high)
        for block in self.blocks:
            low, high = block(low, high)
        return low, high

    def reverse(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        low, high = channels_last(low, high)
        for block in reversed(self.blocks):
            low, high = block(low, high, rev=True)
        return block_idct(torch.cat([low * self.config.factor, high], dim=1), self.config.factor)
