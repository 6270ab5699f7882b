"""The invertible steganography network: (cover, secret) <-> (stego, z)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from stegcli.nn.config import ArchConfig
from stegcli.nn.coupling import CouplingBlock
from stegcli.nn.interface import HidingNetwork
from stegcli.nn.subnets import channels_last, subnet_constructor
from stegcli.nn.wavelet import haar_dwt, haar_iwt


@dataclass(frozen=True)
class INNConfig(ArchConfig):
    """Architecture of a :class:`StegoINN`; stored verbatim in weight metadata."""

    secret_channels: int
    cover_channels: int = 3
    blocks: int = 8
    growth: int = 32
    clamp: float = 2.0
    subnet: str = "dense"  # stegcli.nn.subnets.SUBNETS; growth is its width

    @property
    def z_channels(self) -> int:
        """Channels of the lost-information branch z (wavelet domain)."""
        return 4 * self.secret_channels

    stride = 2  # one Haar level: inputs need even height and width

    @property
    def receptive_radius(self) -> int:
        """Full-resolution pixels a stego/z value depends on in each direction (forward or reverse).

        Per block two subnets run one after the other (phi, then rho/eta), each five 3x3 convolutions
        at half resolution: 2 * 5 * 2 full-resolution pixels a block.
        """
        return 20 * self.blocks


class StegoINN(HidingNetwork):
    """Wavelet front end + a chain of coupling blocks.

    ``forward(cover, secret)`` returns the stego image (pixel domain) and z,
    the information the stego cannot carry (wavelet domain, half resolution).
    ``reverse(stego, z)`` returns the cover and secret back; feeding a
    constant z instead of the key (or none) is "keyless" reveal.
    Any number of secret channels works: secrets are stacked on the channel axis.
    """

    def __init__(self, config: INNConfig) -> None:
        super().__init__()
        self.config = config
        subnet = subnet_constructor(config.subnet, config.growth)
        self.blocks = nn.ModuleList(
            CouplingBlock(4 * config.cover_channels, 4 * config.secret_channels, subnet, config.clamp)
            for _ in range(config.blocks)
        )

    def forward(self, cover: torch.Tensor, secret: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b1, b2 = channels_last(haar_dwt(cover), haar_dwt(secret))
        for block in self.blocks:
            b1, b2 = block(b1, b2)
        return haar_iwt(b1), b2

    def reverse(self, stego: torch.Tensor, z: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        b1, b2 = channels_last(haar_dwt(stego), self.constant_z(stego) if z is None else z)
        for block in reversed(self.blocks):
            b1, b2 = block(b1, b2, rev=True)
        return haar_iwt(b1), haar_iwt(b2)

    def z_shape(self, height: int, width: int) -> tuple[int, ...]:
        return (self.config.z_channels, height // 2, width // 2)
