"""The invertible mosaic network (InvMIHNet): up to grid x grid secrets in one cover.

Each secret is downscaled by the grid factor with the rescaling INN (IIR); the
small images are spliced into one mosaic of the cover's size, which a stego INN
(IIH, the same network as ``isn-1``) hides in the cover. The key's z is the
IIH's z and every secret's high bands, flattened into one vector: exactly as
many numbers as the secrets have samples, which is what near-lossless reveal
needs. Without the key both are the constant zero the training pushes them to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from stegcli.nn.config import ArchConfig
from stegcli.nn.interface import HidingNetwork
from stegcli.nn.rescale import RescaleConfig, RescaleINN
from stegcli.nn.stego_inn import INNConfig, StegoINN


def splice(tiles: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, 3*grid*grid, h, w) -> (B, 3, grid*h, grid*w); tile i goes to row i // grid, column i % grid."""
    b, kc, h, w = tiles.shape
    c = kc // (grid * grid)
    return tiles.reshape(b, grid, grid, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, grid * h, grid * w)


def split(mosaic: torch.Tensor, grid: int) -> torch.Tensor:
    """Inverse of :func:`splice`."""
    b, c, hh, ww = mosaic.shape
    h, w = hh // grid, ww // grid
    return mosaic.reshape(b, c, grid, h, grid, w).permute(0, 2, 4, 1, 3, 5).reshape(b, grid * grid * c, h, w)


@dataclass(frozen=True)
class MosaicConfig(ArchConfig):
    grid: int
    rescale_blocks: int = 4
    rescale_growth: int = 16
    hide_blocks: int = 4
    hide_growth: int = 16
    clamp: float = 2.0

    @property
    def secrets(self) -> int:
        return self.grid * self.grid

    @property
    def secret_channels(self) -> int:
        return 3 * self.secrets

    @property
    def stride(self) -> int:
        """Sides must split into grid tiles and into Haar blocks."""
        return math.lcm(2, self.grid)

    receptive_radius = None  # the mosaic moves whole secrets around: not a local network, no tiling

    @property
    def hide(self) -> INNConfig:
        return INNConfig(secret_channels=3, blocks=self.hide_blocks, growth=self.hide_growth, clamp=self.clamp)

    @property
    def rescale(self) -> RescaleConfig:
        return RescaleConfig(factor=self.grid, blocks=self.rescale_blocks, growth=self.rescale_growth, clamp=self.clamp)


class MosaicINN(HidingNetwork):
    """The :class:`~stegcli.nn.interface.HidingNetwork` interface over a rescaling INN and a stego INN."""

    def __init__(self, config: MosaicConfig) -> None:
        super().__init__()
        self.config = config
        self.rescale = RescaleINN(config.rescale)
        self.hide = StegoINN(config.hide)

    # -- the two halves, for training losses that look inside ------------------------------
    def shrink(self, secrets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3k, H, W) -> tiles (B, 3k, H/g, W/g) and high bands (B*k, 3(g*g-1), H/g, W/g)."""
        b, kc, h, w = secrets.shape
        low, high = self.rescale(secrets.reshape(b * kc // 3, 3, h, w))
        return low.reshape(b, kc, *low.shape[-2:]), high

    def grow(self, tiles: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`shrink`."""
        b, kc, h, w = tiles.shape
        secrets = self.rescale.reverse(tiles.reshape(b * kc // 3, 3, h, w), high)
        return secrets.reshape(b, kc, *secrets.shape[-2:])

    def _pack(self, z_hide: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        b = z_hide.shape[0]
        return torch.cat([z_hide.reshape(b, -1), high.reshape(b, -1)], dim=1)

    def _unpack(self, z: torch.Tensor, stego: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, _, h, w = stego.shape
        g, n_hide = self.config.grid, 3 * h * w
        z_hide = z[:, :n_hide].reshape(b, self.config.hide.z_channels, h // 2, w // 2)
        high = z[:, n_hide:].reshape(b * self.config.secrets, 3 * (g * g - 1), h // g, w // g)
        return z_hide, high

    # -- the HidingNetwork interface -------------------------------------------------------------
    # Only the splice is global: shrinking, hiding and growing are local and run through ``self.tiler``.
    def forward(self, cover: torch.Tensor, secrets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g, size = self.config.grid, tuple(cover.shape[-2:])
        tiles, high = self.tiler(self.shrink, [secrets], (1,), (g, g), self.config.rescale.receptive_radius, size)
        stego, z_hide = self.tiler(self.hide, [cover, splice(tiles, g)], (1, 1), (1, 2),
                                   self.config.hide.receptive_radius, size)
        return stego, self._pack(z_hide, high)

    def reverse(self, stego: torch.Tensor, z: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        g, size = self.config.grid, tuple(stego.shape[-2:])
        z_hide, high = self._unpack(self.constant_z(stego) if z is None else z, stego)
        cover, mosaic = self.tiler(self.hide.reverse, [stego, z_hide], (1, 2), (1, 1),
                                   self.config.hide.receptive_radius, size)
        (secrets,) = self.tiler(lambda t, h: (self.grow(t, h),), [split(mosaic, g), high], (g, g), (1,),
                                self.config.rescale.receptive_radius, size)
        return cover, secrets

    def z_shape(self, height: int, width: int) -> tuple[int, ...]:
        """One flat vector: the IIH's z, then every secret's high bands (both trained towards zero)."""
        return (3 * self.config.secrets * height * width,)
