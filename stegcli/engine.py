"""Running a StegoINN on real images: 8-bit stego out, key out, inverse with or without the key.

Shared by every payload type (bits, images): the payload modules turn their
payload into a secret tensor and back; this module owns the model, the
stride-aligned region, rounding, the key and its checks.
"""

from __future__ import annotations

import numpy as np
import torch

from stegcli.errors import CapacityError, InputError, IntegrityError
from stegcli.key import StegoKey, stego_digest
from stegcli.nn import MosaicINN, StegoINN
from stegcli.tensors import aligned_shape, from_tensor, round_up, to_tensor
from stegcli.tiling import run_tiled

MIN_SIDE = 16
TILE = 1024  # full-resolution tile side: bounds peak memory on large images, same result


def check_rgb8(image: np.ndarray, what: str) -> None:
    """Refuse what is not an (H, W, 3) uint8 RGB array, as :func:`~stegcli.imageio.read_image` gives: a float
    or RGBA array would otherwise be hidden wrongly without a word."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        kind = f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise InputError(f"{what}: expected an (H, W, 3) uint8 RGB array (stegcli.read_image gives one), got a {kind}")


def check_image(image: np.ndarray, what: str) -> None:
    """:func:`check_rgb8`, and refuse images under MIN_SIDE pixels on a side (every model needs some room)."""
    check_rgb8(image, what)
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise CapacityError(f"{what} is {width}x{height}; at least {MIN_SIDE}x{MIN_SIDE} pixels are needed")


class StegoEngine:
    def __init__(self, model: StegoINN | MosaicINN, name: str, device: torch.device | str = "cpu", tile: int = TILE) -> None:
        self.model, self.name = model.eval(), name
        self.device = torch.device(device)
        stride, radius = model.config.stride, model.config.receptive_radius
        self.tile = tile - tile % stride
        self.halo = None if radius is None else round_up(radius, stride)  # None: one pass, no tiles

    def _run(self, fn, inputs: list[torch.Tensor], in_scales: tuple[int, ...], out_scales: tuple[int, ...]):
        if self.halo is None:
            return fn(*inputs)
        return run_tiled(fn, inputs, in_scales, out_scales, self.tile, self.halo)

    @property
    def secret_channels(self) -> int:
        return self.model.config.secret_channels

    def region(self, image: np.ndarray, what: str) -> tuple[int, int]:
        """The stride-aligned (h, w) the model works on; refuses what :func:`check_image` refuses."""
        check_image(image, what)
        return aligned_shape(*image.shape[:2], self.model.config.stride)

    @torch.no_grad()
    def forward(self, cover: np.ndarray, secret: torch.Tensor) -> tuple[np.ndarray, StegoKey]:
        """Hide ``secret`` (1, C, h, w) in ``cover``: the 8-bit stego and its key."""
        h, w = self.region(cover, "cover")
        stego_t, z = self._run(self.model, [to_tensor(cover[:h, :w], self.device), secret.to(self.device)], (1, 1), (1, 2))
        stego = cover.copy()
        stego[:h, :w] = from_tensor(stego_t)  # rows/columns past the stride stay untouched
        residual = stego_t[0].float() - to_tensor(stego[:h, :w], self.device)[0]
        key = StegoKey(self.name, stego_digest(stego), z[0].float().cpu().numpy(), residual.half().cpu().numpy())
        return stego, key

    def check_key(self, key: StegoKey, stego: np.ndarray) -> None:
        """The key must come from this model and this stego, with z and residual of the right shape."""
        if key.model != self.name:
            raise InputError(f"key was made by model {key.model!r}, not {self.name!r} (use --model {key.model})")
        h, w = self.region(stego, "stego")
        expected = self.model.z_shape(h, w)
        if key.z.shape != expected:
            raise InputError(f"key z has shape {key.z.shape}, {self.name} expects {expected} for this stego")
        if key.residual.shape != (3, h, w):
            raise InputError(f"key residual has shape {key.residual.shape}, expected {(3, h, w)} for this stego")
        if key.digest != stego_digest(stego):
            raise IntegrityError("key belongs to a different stego image (or the stego was modified)")

    @torch.no_grad()
    def reverse(self, stego: np.ndarray, key: StegoKey | None) -> torch.Tensor:
        """The secret tensor (1, C, h, w) of the inverse pass; constant z without a key. No key checks."""
        h, w = self.region(stego, "stego")
        stego_t = to_tensor(stego[:h, :w], self.device)
        if key is None:
            z = self.model.constant_z(stego_t)
        else:
            z = torch.from_numpy(key.z)[None].to(self.device)
            stego_t = stego_t + torch.from_numpy(key.residual).to(self.device).float()[None]
        return self._run(self.model.reverse, [stego_t, z], (1, 2), (1, 1))[1]
