"""The one engine: a :class:`~stegcli.nn.interface.HidingNetwork` on real 8-bit images.

Every codec runs its network through this: the stride-aligned region (or padding), tiles with a
halo wider than the network sees (memory follows the tile, not the image), 8-bit rounding as a PNG
stores it, and the key (z and the rounding residual) with its checks. The codecs turn their payload
into a secret tensor and back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.codecs.tiling import run_tiled
from stegcli.errors import CapacityError, InputError, IntegrityError
from stegcli.io.files import MIN_SIDE
from stegcli.io.keys import StegoKey, stego_digest
from stegcli.io.tensors import aligned_shape, from_tensor, round_up, to_tensor
from stegcli.nn.interface import HidingNetwork

TILE = 1024  # full-resolution tile side: bounds peak memory on large images, same result


def check_rgb8(image: np.ndarray, what: str) -> None:
    """Refuse what is not an (H, W, 3) uint8 RGB array, as :func:`~stegcli.io.images.read_image` gives: a float
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


@dataclass(frozen=True)
class HideResult:
    """What hiding images gives, for every image codec: the 8-bit stego and, for keyed models, its key."""

    stego: np.ndarray  # (H, W, 3) uint8
    key: StegoKey | None = None


def pad_to(x: torch.Tensor, stride: int) -> torch.Tensor:
    """Reflect-pad the bottom and right so both sides divide by ``stride``."""
    h, w = x.shape[-2:]
    ph, pw = -h % stride, -w % stride
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect" if ph < h and pw < w else "replicate")
    return x


class StegoEngine:
    """A network bound to a name and a device.

    ``pad=False`` (keyed models): the network works on the largest stride-aligned region and the
    rows and columns past it stay the cover's, so that the inverse with the key is exact (padding
    would need pixels a saved stego lacks). ``pad=True`` (keyless models that must read any crop):
    the image is reflect-padded to the stride and cropped back.
    """

    def __init__(self, model: HidingNetwork, name: str, device: torch.device | str = "cpu", tile: int = TILE,
                 pad: bool = False) -> None:
        self.model, self.name, self.pad = model.eval(), name, pad
        self.device = torch.device(device)
        stride, radius = model.config.stride, model.config.receptive_radius
        self.stride = stride
        self.tile = tile - tile % stride
        self.halo = None if radius is None else round_up(radius, stride)  # None: one pass, no tiles
        self.progress: Callable[[int, int], None] | None = None  # told (tiles done, tiles) as a pass runs
        model.tiler = self._tiled  # the local stages of a network that is not local as a whole

    def _tiled(self, fn, inputs, in_scales, out_scales, radius: int, size: tuple[int, int] | None = None):
        """``fn(*inputs)`` in tiles whose edges and halo (``radius`` rounded up) fall on whole blocks of
        every scale and of the stride."""
        step = math.lcm(self.stride, *in_scales, *out_scales)
        return run_tiled(fn, inputs, in_scales, out_scales, self.tile - self.tile % step, round_up(radius, step),
                         self.progress, size)

    def _run(self, fn, inputs: list[torch.Tensor], in_scales: tuple[int, ...], out_scales: tuple[int, ...]):
        if self.halo is None:  # not local as a whole: its own stages tile through ``model.tiler``
            outputs = fn(*inputs)
            if self.progress is not None:
                self.progress(1, 1)
            return outputs
        return self._tiled(fn, inputs, in_scales, out_scales, self.model.config.receptive_radius)

    @property
    def secret_channels(self) -> int:
        return self.model.config.secret_channels

    def region(self, image: np.ndarray, what: str) -> tuple[int, int]:
        """The (h, w) the model works on (stride-aligned unless padding); refuses what :func:`check_image` refuses."""
        check_image(image, what)
        if self.pad:
            return image.shape[:2]
        return aligned_shape(*image.shape[:2], self.stride)

    @torch.no_grad()
    def hide(self, cover: np.ndarray, secret: torch.Tensor) -> HideResult:
        """Hide ``secret`` (1, C, h, w) in ``cover``: the 8-bit stego, with its key unless padding (keyless)."""
        h, w = self.region(cover, "cover")
        cover_t, secret = to_tensor(cover[:h, :w], self.device), secret.to(self.device)
        if self.pad:
            stride = self.stride
            (stego_t,) = self._run(lambda c, s: (self.model(pad_to(c, stride), pad_to(s, stride))[0][..., :c.shape[-2], :c.shape[-1]],),
                                   [cover_t, secret], (1, 1), (1,))
            return HideResult(from_tensor(stego_t))
        stego_t, z = self._run(self.model, [cover_t, secret], (1, 1), (1, 2))
        stego = cover.copy()
        stego[:h, :w] = from_tensor(stego_t)  # rows/columns past the stride stay untouched
        residual = stego_t[0].float() - to_tensor(stego[:h, :w], self.device)[0]
        key = StegoKey(self.name, stego_digest(stego), z[0].float().contiguous().cpu().numpy(),
                       residual.half().cpu().numpy())
        return HideResult(stego, key)

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
    def reveal(self, stego: np.ndarray, key: StegoKey | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(cover, secrets) of the inverse pass over the region, (1, 3, h, w) and (1, C, h, w); the
        constant z without a key. No key checks (:meth:`check_key`)."""
        h, w = self.region(stego, "stego")
        stego_t = to_tensor(stego[:h, :w], self.device)
        if self.pad:
            stride = self.stride

            def read(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                cover, secrets = self.model.reverse(pad_to(x, stride))
                return cover[..., :x.shape[-2], :x.shape[-1]], secrets[..., :x.shape[-2], :x.shape[-1]]

            return self._run(read, [stego_t], (1,), (1, 1))
        if key is None:
            z = self.model.constant_z(stego_t)
        else:
            z = torch.from_numpy(key.z)[None].to(self.device)
            stego_t = stego_t + torch.from_numpy(key.residual).to(self.device).float()[None]
        return self._run(self.model.reverse, [stego_t, z], (1, 2), (1, 1))
