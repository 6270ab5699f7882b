"""The invertible robust hiding network: an ISN trained through the robust attack layer.

Same invertible network as the ``isn-N`` models (:class:`~stegcli.nn.stego_inn.StegoINN`), but
trained so that its keyless reverse (constant z) reads the secrets back from a stego that went
through JPEG, blur or rescaling (``benchmarks/robust_inn.py``, docs/robust-training.md). There is
no key: z is thrown away when hiding, and the stego alone carries the secrets. On a CPU it learns
a robust code in thousands of steps where the U-Net pipeline (:class:`~stegcli.nn.robust.RobustNet`)
needs tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from stegcli.nn.config import ArchConfig
from stegcli.nn.stego_inn import INNConfig, StegoINN
from stegcli.nn.unet import pad_to


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

    @property
    def stride(self) -> int:
        return INNConfig.stride

    @property
    def reveal_radius(self) -> int:
        """How far (pixels) hiding or revealing sees: one pass of the invertible network either way."""
        return self.inn.receptive_radius


class RobustINN(nn.Module):
    def __init__(self, config: RobustINNConfig) -> None:
        super().__init__()
        self.config = config
        self.inn = StegoINN(config.inn)

    def hide(self, cover: torch.Tensor, secrets: torch.Tensor) -> torch.Tensor:
        """Stego (B, 3, H, W) before rounding, any size; z, which the stego cannot carry, is dropped."""
        (cover, (h, w)), (secrets, _) = pad_to(cover, self.config.stride), pad_to(secrets, self.config.stride)
        return self.inn(cover, secrets)[0][..., :h, :w]

    def reveal(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(secrets, cover) read from a possibly attacked stego by the keyless reverse."""
        image, (h, w) = pad_to(image, self.config.stride)
        cover, secrets = self.inn.reverse(image, self.inn.constant_z(image))
        return secrets[..., :h, :w], cover[..., :h, :w]
