"""Real image distortions: what happens to a stego image after it leaves stegcli.

These are the attacks of ``steg attack`` (and the robustness evaluation): real
Pillow JPEG encoding, real resampling, real blur and noise on 8-bit images.
They are not the differentiable simulators used in training, on purpose: a
model is judged on what the world does to its images, not on its own training
proxy.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, fields

import numpy as np
from PIL import Image, ImageFilter

from stegcli.errors import UsageError
from stegcli.io.files import is_jpeg
from stegcli.io.images import encode_image, jpeg_bytes

MAX_BLUR_SIGMA = 256.0  # pixels; far past any blur that leaves a picture


def jpeg(image: np.ndarray, quality: int, full_chroma: bool = False) -> np.ndarray:
    """JPEG-compress and decode again."""
    with Image.open(io.BytesIO(jpeg_bytes(image, quality, full_chroma))) as img:
        return np.asarray(img.convert("RGB"))


def gaussian_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add N(0, sigma^2) noise, sigma in [0, 1] units (0.05 is about 13 grey levels), then round and clip."""
    noise = np.random.default_rng(seed).normal(0.0, sigma * 255.0, image.shape)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8)


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels."""
    return np.asarray(Image.fromarray(image, "RGB").filter(ImageFilter.GaussianBlur(radius=sigma)))


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bicubic resampling (antialiased when shrinking, as Pillow does); an image already that size is returned as is."""
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image, "RGB").resize((width, height), Image.BICUBIC))


def rescale(image: np.ndarray, factor: float) -> np.ndarray:
    """Scale both sides by ``factor`` (bicubic); refuses a result larger than stegcli reads."""
    height, width = image.shape[:2]
    if height * width * factor * factor > Image.MAX_IMAGE_PIXELS:
        raise UsageError(f"--scale {factor}: a {width}x{height} image would grow past "
                         f"{Image.MAX_IMAGE_PIXELS} pixels")
    return resize(image, max(1, round(height * factor)), max(1, round(width * factor)))


def center_crop(image: np.ndarray, keep: float) -> np.ndarray:
    """Keep the central ``keep`` fraction of each side."""
    height, width = image.shape[:2]
    h, w = max(1, round(height * keep)), max(1, round(width * keep))
    y, x = (height - h) // 2, (width - w) // 2
    return image[y : y + h, x : x + w].copy()


@dataclass(frozen=True)
class AttackSpec:
    """A chain of attacks, applied in field order: crop, scale, blur, noise, then JPEG."""

    crop: float | None = None  # fraction of each side kept, (0, 1]
    scale: float | None = None  # resize factor, > 0
    blur: float | None = None  # Gaussian sigma in pixels, > 0
    noise: float | None = None  # Gaussian sigma in [0, 1] units, > 0
    jpeg: int | None = None  # quality 1-95

    def __post_init__(self) -> None:
        if self.crop is not None and not 0 < self.crop <= 1:
            raise UsageError(f"--crop {self.crop}: keep a fraction of each side in (0, 1]")
        for name, most in (("scale", math.inf), ("blur", MAX_BLUR_SIGMA), ("noise", 1.0)):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0 < value <= most):
                limit = "" if math.isinf(most) else f" and at most {most:g}"
                raise UsageError(f"--{name} {value}: must be positive, finite{limit}")
        if self.jpeg is not None and not 1 <= self.jpeg <= 95:
            raise UsageError(f"--jpeg {self.jpeg}: quality must be 1 to 95")

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def describe(self) -> str:
        parts = [f"{f.name} {getattr(self, f.name)}" for f in fields(self) if getattr(self, f.name) is not None]
        return ", ".join(parts) or "none"


def apply_attacks(image: np.ndarray, spec: AttackSpec, seed: int = 0, skip_jpeg: bool = False) -> np.ndarray:
    """``image`` after the chain of ``spec``; ``skip_jpeg`` leaves the JPEG step to the caller's encoder."""
    if spec.crop is not None:
        image = center_crop(image, spec.crop)
    if spec.scale is not None:
        image = rescale(image, spec.scale)
    if spec.blur is not None:
        image = gaussian_blur(image, spec.blur)
    if spec.noise is not None:
        image = gaussian_noise(image, spec.noise, seed)
    if spec.jpeg is not None and not skip_jpeg:
        image = jpeg(image, spec.jpeg)
    return image


def encode_attacked(image: np.ndarray, spec: AttackSpec, dest: str, seed: int = 0) -> bytes:
    """The attacked image encoded for ``dest``: a JPEG destination is the JPEG attack itself (one encode)."""
    if is_jpeg(dest) and spec.jpeg is None:
        raise UsageError(f"{dest}: a JPEG output is a JPEG attack; say its quality with --jpeg Q")
    return encode_image(apply_attacks(image, spec, seed, skip_jpeg=is_jpeg(dest)), dest, spec.jpeg)
