"""Image quality metrics on uint8 RGB arrays (what a saved PNG holds)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.nn.color import studio_luma


def psnr(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor, peak: float = 255.0) -> float:
    """PSNR in dB over all samples; inf when identical. uint8 images have ``peak`` 255, tensors in
    [0, 1] (training) ``peak`` 1."""
    if isinstance(a, torch.Tensor):
        mse = float(torch.mean((a.double() - b.double()) ** 2))
    else:
        mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)


def flat_guess(image: np.ndarray) -> np.ndarray:
    """The image filled with its own mean colour: what a reveal that carried no detail could still match.

    Its PSNR against the image is the floor a revealed secret must clear to show the stego carried it.
    """
    return np.broadcast_to(np.round(image.mean(axis=(0, 1))).astype(np.uint8), image.shape).copy()


def psnr_y(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of the Y channel (the number papers usually quote)."""
    return psnr(studio_luma(a), studio_luma(b))


def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _blur(x: torch.Tensor) -> torch.Tensor:
    """The 11x11 Gaussian window as two 1-D passes (the window is separable): same values, 5x fewer operations."""
    g = _gaussian_1d()
    return F.conv2d(F.conv2d(x, g[None, None, :, None]), g[None, None, None, :])


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004; 11x11 Gaussian, sigma 1.5) over the RGB channels."""
    x = torch.from_numpy(a.astype(np.float64)).permute(2, 0, 1)[:, None]
    y = torch.from_numpy(b.astype(np.float64)).permute(2, 0, 1)[:, None]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_x, mu_y = _blur(x), _blur(y)
    var_x = _blur(x * x) - mu_x**2
    var_y = _blur(y * y) - mu_y**2
    cov = _blur(x * y) - mu_x * mu_y
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(s.mean())
