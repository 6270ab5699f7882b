"""The invertible robust hiding network: an ISN trained through the robust attack layer.

Same invertible network as the ``isn-N`` models (:class:`~stegcli.nn.stego_inn.StegoINN`), but
trained so that its keyless reverse (constant z) reads the secrets back from a stego that went
through JPEG, blur or rescaling (``benchmarks/robust_inn.py``, docs/robust-training.md). There is
no key: z is thrown away when hiding, and the stego alone carries the secrets. On a CPU it learns
a robust code in thousands of steps where the U-Net pipeline (:class:`~stegcli.nn.robust.RobustNet`)
needs tens of thousands.

An attacked stego reverses into the secrets plus structured errors (JPEG blocks, lost detail). An
optional refinement U-Net (``refine`` > 0, the seed's revealing network in small) sees what the
reverse gave (secrets, cover) and the image it read, and adds a correction to the secrets. It
starts as zero, so a model that gains one still reveals exactly as before until it is trained.

With ``luma_only`` the stego's change from the cover is moved into the luma (JFIF Y) before it is
written: its chroma is the cover's, which JPEG quantises coarsely even at quality 90
(``benchmarks/robust_jpeg_probe.py``), so the whole code lies where JPEG keeps the most.
``chroma_blur`` is the middle way: the change's chroma is low-passed instead of dropped, so the
code keeps the coarse chroma that JPEG keeps too.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from stegcli.nn.config import ArchConfig
from stegcli.nn.filters import gaussian_radius, low_pass_chroma, luma_change
from stegcli.nn.stego_inn import INNConfig, StegoINN
from stegcli.nn.unet import BranchedUNet, pad_to, unet_radius, unet_stride

REFINE_LEVELS = 3  # the refinement U-Net's levels (stride 4)


@dataclass(frozen=True)
class RobustINNConfig(ArchConfig):
    secrets: int
    blocks: int = 4
    growth: int = 16
    clamp: float = 2.0
    refine: int = 0  # width of the refinement U-Net after the reverse; 0: none
    luma_only: bool = False  # the stego differs from the cover in luma only
    chroma_blur: float = 0.0  # sigma (pixels) of the low-pass on the chroma of the stego's change; 0: none

    def __post_init__(self) -> None:
        if self.chroma_blur < 0 or (self.luma_only and self.chroma_blur):
            raise ValueError("chroma_blur must be >= 0, and 0 with luma_only (which drops the chroma)")

    @property
    def inn(self) -> INNConfig:
        return INNConfig(secret_channels=3 * self.secrets, blocks=self.blocks, growth=self.growth, clamp=self.clamp)

    @property
    def secret_channels(self) -> int:
        return 3 * self.secrets

    @property
    def stride(self) -> int:
        return unet_stride(REFINE_LEVELS) if self.refine else INNConfig.stride  # a multiple of the INN's 2

    @property
    def reveal_radius(self) -> int:
        """How far (pixels) hiding or revealing sees: one pass of the invertible network either way,
        then the chroma low-pass (hiding) or the refinement U-Net (revealing) if any."""
        blur = gaussian_radius(self.chroma_blur) if self.chroma_blur else 0
        return self.inn.receptive_radius + blur + (unet_radius(REFINE_LEVELS) if self.refine else 0)


class RobustINN(nn.Module):
    def __init__(self, config: RobustINNConfig) -> None:
        super().__init__()
        self.config = config
        self.inn = StegoINN(config.inn)
        self.refine: BranchedUNet | None = None
        if config.refine:
            n = config.secret_channels
            self.refine = BranchedUNet(1, n + 6, n, config.refine, REFINE_LEVELS)
            nn.init.zeros_(self.refine.out.weight)  # starts as no correction at all
            nn.init.zeros_(self.refine.out.bias)

    def written(self, stego: torch.Tensor, cover: torch.Tensor) -> torch.Tensor:
        """The stego as it is written: the forward pass's, or its change moved into the luma
        (``luma_only``) or with its chroma low-passed (``chroma_blur``)."""
        if self.config.luma_only:
            return cover + luma_change(stego - cover)
        if self.config.chroma_blur:
            return cover + low_pass_chroma(stego - cover, self.config.chroma_blur)
        return stego

    def embed(self, cover: torch.Tensor, secrets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(stego as written, z) at sides that are multiples of 2."""
        stego, z = self.inn(cover, secrets)
        return self.written(stego, cover), z

    def hide(self, cover: torch.Tensor, secrets: torch.Tensor) -> torch.Tensor:
        """Stego (B, 3, H, W) before rounding, any size; z, which the stego cannot carry, is dropped."""
        stride = INNConfig.stride  # the refinement's coarser stride is for reveal only
        (cover, (h, w)), (secrets, _) = pad_to(cover, stride), pad_to(secrets, stride)
        return self.embed(cover, secrets)[0][..., :h, :w]

    def reveal(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(secrets, cover) read from a possibly attacked stego by the keyless reverse (and the refinement)."""
        image, (h, w) = pad_to(image, self.config.stride)
        cover, secrets = self.inn.reverse(image, self.inn.constant_z(image))
        if self.refine is not None:
            secrets = secrets + self.refine(torch.cat([secrets, cover, image], 1))
        return secrets[..., :h, :w], cover[..., :h, :w]
