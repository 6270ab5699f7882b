"""Images in images: the public API behind ``steg hide`` / ``steg reveal``.

Secrets are stacked on the channel axis and pushed through the network's
forward pass together with the cover (ISN models stack them into the INN,
mosaic models splice shrunken copies into one mosaic first); reveal runs the
inverse on the stego, with the key for a near-lossless result or with the
constant z the models are trained towards (keyless, the primary mode).
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from PIL import Image

from stegcli.codecs.base import Codec
from stegcli.codecs.engine import HideResult, check_rgb8
from stegcli.errors import InputError, UsageError
from stegcli.io.keys import StegoKey
from stegcli.io.tensors import from_tensor, to_tensor

log = logging.getLogger("stegcli")

NEUTRAL_LEVEL = 128  # fills the unused tiles of a partly used mosaic


def check_secret_list(secrets: list[np.ndarray]) -> None:
    """One array is not a list of one secret: its rows would be counted as secrets."""
    if not isinstance(secrets, (list, tuple)):
        raise InputError(f"secrets: expected a list of images, got a {type(secrets).__name__}")


def fit_to(image: np.ndarray, height: int, width: int, label: str) -> np.ndarray:
    """Resize a secret to the cover's size (Lanczos), with a notice when it changes."""
    check_rgb8(image, label)
    if image.shape[:2] == (height, width):
        return image
    log.info("%s: resized from %dx%d to the cover's %dx%d", label, image.shape[1], image.shape[0], width, height)
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


def secret_tensor(secrets: list[np.ndarray], height: int, width: int, h: int, w: int, slots: int,
                  device: torch.device) -> torch.Tensor:
    """The secrets fitted to the cover's size, cut to the region (h, w) and stacked on the channel axis;
    ``slots`` past the secrets given are filled with a neutral grey (a partly used mosaic)."""
    fitted = [fit_to(s, height, width, f"secret {i + 1}")[:h, :w] for i, s in enumerate(secrets)]
    fitted += [np.full((h, w, 3), NEUTRAL_LEVEL, np.uint8)] * (slots - len(fitted))
    return torch.cat([to_tensor(s, device) for s in fitted], dim=1)


class ImageCodec(Codec):
    """A loaded lossless image-hiding model (``isn-N``, ``mosaic-N``): a stego and a key per hide."""

    families = ("isn", "mosaic")

    def hide(self, cover: np.ndarray, secrets: list[np.ndarray]) -> HideResult:
        check_secret_list(secrets)
        self.check_count(len(secrets), f"{len(secrets)} secret image(s)")
        h, w = self.engine.region(cover, "cover")
        return self.engine.hide(cover, secret_tensor(secrets, *cover.shape[:2], h, w, self.secrets, self.engine.device))

    def reveal(self, stego: np.ndarray, *, key: StegoKey | None = None, count: int | None = None,
               size: tuple[int, int] | str | None = None, phase: tuple[int, int] | str | None = None) -> list[np.ndarray]:
        """The first ``count`` hidden images (default: all the model holds) at the stego's size; keyless without ``key``.

        ``size`` and ``phase`` are for robust models; these need the stego's exact pixels.
        """
        for given, what in ((size, "size"), (phase, "phase")):
            if given is not None:
                raise UsageError(f"a {what} to read at is for robust stegos; {self.name} needs the stego's exact pixels")
        count = self.secrets if count is None else count
        self.check_count(count, f"{count} image(s)")
        if key is not None:
            self.engine.check_key(key, stego)
        _, secret_t = self.engine.reveal(stego, key)
        height, width = stego.shape[:2]
        out = []
        for chunk in torch.split(secret_t, 3, dim=1)[:count]:
            image = from_tensor(chunk)
            pad = ((0, height - image.shape[0]), (0, width - image.shape[1]), (0, 0))
            out.append(np.pad(image, pad, mode="edge"))  # the odd last row/column carries nothing
        return out
