"""Subnetworks used inside coupling blocks (phi, rho, eta in the papers)."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def channels_last(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The coupling branches in channels-last memory, where oneDNN's CPU convolutions of these layer
    shapes run 1.5-2.6 times faster than in the default layout (``benchmarks/speed.py`` measures both)."""
    return tuple(t.contiguous(memory_format=torch.channels_last) for t in tensors)


class DenseSubnet(nn.Module):
    """Five 3x3 convolutions with dense connections (ESRGAN/HiNet style).

    The last convolution starts at zero, so a freshly built coupling block is
    the identity map: training starts from "stego = cover" and moves away only
    as far as the loss asks.
    """

    def __init__(self, in_channels: int, out_channels: int, growth: int = 32) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels + i * growth, growth, 3, padding=1) for i in range(4)
        )
        self.out = nn.Conv2d(in_channels + 4 * growth, out_channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for conv in self.convs:
            features.append(self.act(conv(torch.cat(features, dim=1))))
        return self.out(torch.cat(features, dim=1))


class PlainSubnet(nn.Module):
    """Five 3x3 convolutions of one width, without the dense connections.

    On the CPU the dense subnet spends about as long concatenating feature maps as convolving them
    (``benchmarks/speed.py --profile``); this one reads each map once. Its last convolution starts
    at zero too, so a fresh block is the identity.
    """

    def __init__(self, in_channels: int, out_channels: int, width: int = 32) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels if i == 0 else width, width, 3, padding=1) for i in range(4)
        )
        self.out = nn.Conv2d(width, out_channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = self.act(conv(x))
        return self.out(x)


# subnet kind (as stored in an INN config) -> class taking (in_channels, out_channels, width); the classes
# also tell a subnet apart from other modules (``train.recipes.is_fresh``)
SUBNETS: dict[str, type[nn.Module]] = {"dense": DenseSubnet, "plain": PlainSubnet}


def subnet_constructor(kind: str, width: int) -> Callable[[int, int], nn.Module]:
    """The coupling blocks' subnet of ``kind`` and ``width`` (a dense subnet's growth)."""
    if kind not in SUBNETS:
        raise ValueError(f"unknown subnet {kind!r}; known: {', '.join(SUBNETS)}")
    cls = SUBNETS[kind]
    return lambda in_channels, out_channels: cls(in_channels, out_channels, width)
