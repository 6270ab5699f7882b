"""The one colour transform: JFIF (JPEG) YCbCr, on uint8 arrays and on [0, 1] tensors.

JPEG quantises this Y, Cb and Cr; the BT.601 studio-range luma that papers quote for PSNR-Y is the
same Y scaled into [16, 235] (:func:`studio_luma`).
"""

from __future__ import annotations

import numpy as np
import torch

JFIF_LUMA = (0.299, 0.587, 0.114)  # Y from RGB; an equal change of R, G and B moves Y alone
JFIF_CB = (-0.168736, -0.331264, 0.5)
JFIF_CR = (0.5, -0.418688, -0.081312)


def luma(image: np.ndarray) -> np.ndarray:
    """JFIF Y (float64) of an RGB image (H, W, 3) in 0..255, or of a difference of two."""
    return np.asarray(image, dtype=np.float64) @ np.array(JFIF_LUMA)


def studio_luma(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma in [16, 235], as most steganography papers take PSNR-Y."""
    return 16 + luma(image) * (219 / 255)


def rgb_to_ycbcr(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] RGB (B, 3, H, W) -> JFIF YCbCr in 0..255."""
    r, g, b = (x * 255).unbind(1)
    y = JFIF_LUMA[0] * r + JFIF_LUMA[1] * g + JFIF_LUMA[2] * b
    cb = JFIF_CB[0] * r + JFIF_CB[1] * g + JFIF_CB[2] * b + 128
    cr = JFIF_CR[0] * r + JFIF_CR[1] * g + JFIF_CR[2] * b + 128
    return torch.stack([y, cb, cr], 1)


def ycbcr_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_ycbcr`."""
    y, cb, cr = x[:, 0], x[:, 1] - 128, x[:, 2] - 128
    r = y + 1.402 * cr
    g = y - 0.344136 * cb - 0.714136 * cr
    b = y + 1.772 * cb
    return torch.stack([r, g, b], 1) / 255
