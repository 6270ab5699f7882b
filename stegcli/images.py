"""Images in images: the public API behind ``steg hide`` / ``steg reveal``.

Secrets are stacked on the channel axis and pushed through the network's
forward pass together with the cover (ISN models stack them into the INN,
mosaic models splice shrunken copies into one mosaic first); reveal runs the
inverse on the stego, with the key for a near-lossless result or with the
constant z the models are trained towards (keyless, the primary mode).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from stegcli.engine import StegoEngine, check_rgb8
from stegcli.errors import InputError, UsageError
from stegcli.key import StegoKey
from stegcli.nn import MosaicINN, StegoINN
from stegcli.tensors import from_tensor, to_tensor
from stegcli.zoo import get_spec, load_model

log = logging.getLogger("stegcli")

MAX_ISN_SECRETS = 5
MAX_SECRETS = 16
IMAGE_KINDS = ("isn", "mosaic")
NEUTRAL_LEVEL = 128  # fills the unused tiles of a partly used mosaic


def model_for(count: int) -> str:
    """The default model for ``count`` secrets: ``isn-N`` up to 5, else the smallest mosaic grid that holds them."""
    if not 1 <= count <= MAX_SECRETS:
        raise UsageError(f"{count} secrets: stegcli hides 1 to {MAX_SECRETS} images "
                         f"(isn-1..isn-{MAX_ISN_SECRETS}, then mosaic-9 and mosaic-16)")
    if count <= MAX_ISN_SECRETS:
        return f"isn-{count}"
    return f"mosaic-{math.ceil(math.sqrt(count)) ** 2}"


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


@dataclass(frozen=True)
class HideResult:
    stego: np.ndarray  # (H, W, 3) uint8
    key: StegoKey


class ImageCodec:
    """A loaded image-hiding model: ``secrets`` images per cover (mosaic models: up to ``secrets``)."""

    def __init__(self, model: StegoINN | MosaicINN, secrets: int, name: str, device: torch.device | str = "cpu") -> None:
        if model.config.secret_channels != 3 * secrets:
            raise ValueError(f"{name}: {model.config.secret_channels} secret channels do not hold {secrets} images")
        self.engine = StegoEngine(model, name, device)
        self.secrets, self.name = secrets, name
        self.partial = isinstance(model, MosaicINN)  # unused tiles are filled, so fewer secrets fit too

    @classmethod
    def from_name(cls, name: str, device: torch.device | str = "cpu") -> "ImageCodec":
        model, meta = load_model(get_spec(name, IMAGE_KINDS).name, device, kind=IMAGE_KINDS)
        return cls(model, int(meta["config"]["secrets"]), name, device)

    def check_count(self, count: int, what: str) -> None:
        """Refuse a secret count this model cannot hide or reveal (``what`` names it in the message)."""
        if self.partial and not 1 <= count <= self.secrets:
            raise UsageError(f"{what} does not fit {self.name}, which hides 1 to {self.secrets} images")
        if not self.partial and count != self.secrets:
            raise UsageError(f"{what} does not match {self.name}, which hides {self.secrets} image(s)")

    def hide(self, cover: np.ndarray, secrets: list[np.ndarray]) -> HideResult:
        check_secret_list(secrets)
        self.check_count(len(secrets), f"{len(secrets)} secret image(s)")
        h, w = self.engine.region(cover, "cover")
        height, width = cover.shape[:2]
        fitted = [fit_to(s, height, width, f"secret {i + 1}")[:h, :w] for i, s in enumerate(secrets)]
        fitted += [np.full((h, w, 3), NEUTRAL_LEVEL, np.uint8)] * (self.secrets - len(fitted))
        secret_t = torch.cat([to_tensor(s) for s in fitted], dim=1)
        stego, key = self.engine.forward(cover, secret_t)
        return HideResult(stego, key)

    def reveal(self, stego: np.ndarray, key: StegoKey | None = None, count: int | None = None) -> list[np.ndarray]:
        """The first ``count`` hidden images (default: all the model holds) at the stego's size; keyless without ``key``."""
        count = self.secrets if count is None else count
        self.check_count(count, f"{count} image(s)")
        if key is not None:
            self.engine.check_key(key, stego)
        secret_t = self.engine.reverse(stego, key)
        height, width = stego.shape[:2]
        out = []
        for chunk in torch.split(secret_t, 3, dim=1)[:count]:
            image = from_tensor(chunk)
            pad = ((0, height - image.shape[0]), (0, width - image.shape[1]), (0, 0))
            out.append(np.pad(image, pad, mode="edge"))  # the odd last row/column carries nothing
        return out
