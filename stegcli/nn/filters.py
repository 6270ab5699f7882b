"""A fixed differentiable Gaussian blur (the training attack layer's)."""

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
