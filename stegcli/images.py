"""Images in images: the public API behind ``steg hide`` / ``steg reveal`` (ISN models).

Secrets are stacked on the channel axis and pushed through the INN's
forward pass together with the cover; reveal runs the inverse on the stego,
with the key for a near-lossless result or with the constant z the models
are trained towards (keyless, the primary mode).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from stegcli.engine import StegoEngine
from stegcli.errors import UsageError
from stegcli.key import StegoKey
from stegcli.nn import StegoINN
from stegcli.tensors import from_tensor, to_tensor
from stegcli.zoo import get_spec, load_model

log = logging.getLogger("stegcli")

MAX_ISN_SECRETS = 5


def isn_model_for(count: int) -> str:
    """The ISN model hiding ``count`` secrets."""
    if not 1 <= count <= MAX_ISN_SECRETS:
        raise UsageError(f"{count} secrets: ISN models hide 1 to {MAX_ISN_SECRETS} images")
    return f"isn-{count}"


def fit_to(image: np.ndarray, height: int, width: int, label: str) -> np.ndarray:
    """Resize a secret to the cover's size (Lanczos), with a notice when it changes."""
    if image.shape[:2] == (height, width):
        return image
    log.info("%s: resized from %dx%d to the cover's %dx%d", label, image.shape[1], image.shape[0], width, height)
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


@dataclass(frozen=True)
class HideResult:
    stego: np.ndarray  # (H, W, 3) uint8
    key: StegoKey


class ImageCodec:
    """A loaded image-hiding model for a fixed number of secrets."""

    def __init__(self, model: StegoINN, secrets: int, name: str, device: torch.device | str = "cpu") -> None:
        if model.config.secret_channels != 3 * secrets:
            raise ValueError(f"{name}: {model.config.secret_channels} secret channels do not hold {secrets} images")
        self.engine = StegoEngine(model, name, device)
        self.secrets, self.name = secrets, name

    @classmethod
    def from_name(cls, name: str, device: torch.device | str = "cpu") -> "ImageCodec":
        model, meta = load_model(get_spec(name, "isn").name, device, kind="isn")
        return cls(model, int(meta["config"]["secrets"]), name, device)

    def hide(self, cover: np.ndarray, secrets: list[np.ndarray]) -> HideResult:
        if len(secrets) != self.secrets:
            raise UsageError(f"{self.name} hides {self.secrets} image(s), got {len(secrets)}")
        h, w = self.engine.region(cover, "cover")
        height, width = cover.shape[:2]
        fitted = [fit_to(s, height, width, f"secret {i + 1}")[:h, :w] for i, s in enumerate(secrets)]
        secret_t = torch.cat([to_tensor(s) for s in fitted], dim=1)
        stego, key = self.engine.forward(cover, secret_t)
        return HideResult(stego, key)

    def reveal(self, stego: np.ndarray, key: StegoKey | None = None) -> list[np.ndarray]:
        """The hidden images at the stego's size; keyless without ``key``."""
        if key is not None:
            self.engine.check_key(key, stego)
        secret_t = self.engine.reverse(stego, key)
        height, width = stego.shape[:2]
        out = []
        for chunk in torch.split(secret_t, 3, dim=1):
            image = from_tensor(chunk)
            pad = ((0, height - image.shape[0]), (0, width - image.shape[1]), (0, 0))
            out.append(np.pad(image, pad, mode="edge"))  # the odd last row/column carries nothing
        return out
