"""Fixed differentiable filters shared by the networks and the training attack layer."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def gaussian_radius(sigma: float) -> int:
    """How far (pixels) :func:`blur` reaches: its kernel is cut at three standard deviations."""
    return max(1, math.ceil(3 * sigma))


def gaussian_kernel(sigma: float, device: torch.device) -> torch.Tensor:
    radius = gaussian_radius(sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with reflected borders."""
    k = gaussian_kernel(sigma, x.device)
    r, c = len(k) // 2, x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


JFIF_LUMA = (0.299, 0.587, 0.114)  # JPEG's Y from RGB; an equal change of R, G and B moves Y alone


def luma_change(change: torch.Tensor) -> torch.Tensor:
    """An RGB change (B, 3, H, W) moved into the luma: its JFIF Y, added to R, G and B alike.

    JPEG's Cb and Cr have coefficients summing to zero, so the result leaves them exactly as
    they were; JPEG quantises them far more coarsely than Y.
    """
    weights = torch.tensor(JFIF_LUMA, dtype=change.dtype, device=change.device).view(1, 3, 1, 1)
    return (change * weights).sum(1, keepdim=True).expand_as(change)


def low_pass_chroma(change: torch.Tensor, sigma: float) -> torch.Tensor:
    """An RGB change (B, 3, H, W) with its chroma (JFIF Cb, Cr) blurred at ``sigma`` pixels, its luma kept.

    JPEG keeps the lowest frequencies of its subsampled chroma and quantises the rest away; the part
    of the change without luma is blurred (the blur is linear, so it stays without luma).
    """
    luma = luma_change(change)
    return luma + blur(change - luma, sigma)
