"""Conversions between uint8 images (H, W, 3) and model tensors (1, 3, H, W) in [0, 1]."""

from __future__ import annotations

import numpy as np
import torch


def aligned_shape(height: int, width: int, stride: int) -> tuple[int, int]:
    """The largest (h, w) <= (height, width) divisible by ``stride``.

    The model processes this region; the few rows/columns past it are copied
    from the cover unchanged. Cropping instead of padding keeps the inverse
    exact: padding would need the padded pixels, which a saved stego lacks.
    """
    return height - height % stride, width - width % stride


def round_up(value: int, stride: int) -> int:
    """The smallest multiple of ``stride`` that is >= ``value`` (tile halos must fall on whole blocks)."""
    return -(-value // stride) * stride


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.from_numpy(np.require(image, requirements=["C", "W"])).to(device).permute(2, 0, 1)[None].float().div(255)


def from_tensor(tensor: torch.Tensor) -> np.ndarray:
    """Round and clamp a (1, 3, H, W) tensor in [0, 1] to (H, W, 3) uint8, as a PNG stores it."""
    return tensor[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
