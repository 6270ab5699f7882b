"""The invertible robust hiding network: an ISN trained through the robust attack layer.

Same invertible network as the ``isn-N`` models (:class:`~stegcli.nn.stego_inn.StegoINN`), trained
so that its keyless reverse (constant z) reads the secrets back from a stego that went through
JPEG, blur or rescaling (:mod:`stegcli.train.robust_task`). There is no key: z is thrown away when
hiding, and the stego alone carries the secrets. Its own class (not a bare StegoINN) because its
weights file says how it is read (no key, any size: the engine pads instead of cropping).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from stegcli.nn.config import ArchConfig
from stegcli.nn.interface import HidingNetwork
from stegcli.nn.stego_inn import INNConfig, StegoINN


@dataclass(frozen=True)
class RobustINNConfig(ArchConfig):
    secrets: int
    blocks: int = 4
    growth: int = 16
    clamp: float = 2.0

    @property
    def inn(self) -> INNConfig:
        return INNConfig(secret_channels=3 * self.secrets, blocks=self.blocks, growth=self.growth, clamp=self.clamp)

    @property
    def secret_channels(self) -> int:
        return 3 * self.secrets

    stride = INNConfig.stride

    @property
    def receptive_radius(self) -> int:
        return self.inn.receptive_radius


class RobustINN(HidingNetwork):
    def __init__(self, config: RobustINNConfig) -> None:
        super().__init__()
        self.config = config
        self.inn = StegoINN(config.inn)

    def forward(self, cover: torch.Tensor, secrets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inn(cover, secrets)

    def reverse(self, stego: torch.Tensor, z: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inn.reverse(stego, z)

    def z_shape(self, height: int, width: int) -> tuple[int, ...]:
        return self.inn.z_shape(height, width)
