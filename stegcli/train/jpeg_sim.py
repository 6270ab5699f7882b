"""Differentiable JPEG simulators for training (the real codec is not differentiable).

All simulators share the JPEG pipeline (YCbCr, 4:2:0 chroma, 8x8 DCT, IJG
quantisation tables scaled by quality) and differ in how they stand in for the
rounding of the quantised coefficients:

* ``cubic``: ``round(x) + (x - round(x))**3`` (smooth, near-exact values);
* ``noise``: zero below 0.5, else ``x + U(-0.5, 0.5)`` (the rounding error as noise);
* ``real``: Pillow's encoder in the forward pass, identity gradient (straight through).

:func:`jpeg_mix` blends them with random convex weights per image, the robust-hiding
seed's way of keeping the networks from overfitting one simulator.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.eval.attacks import jpeg
from stegcli.nn.color import rgb_to_ycbcr, ycbcr_to_rgb
from stegcli.nn.dct import dct_matrix

# IJG (libjpeg) base tables, the ones Pillow scales by quality
LUMA_TABLE = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
CHROMA_TABLE = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, *[99] * 32,
]
SIMULATORS = ("cubic", "noise", "real")


def quant_tables(quality: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image (B, 8, 8) luma and chroma tables for qualities in 1..100 (IJG scaling)."""
    q = quality.float().clamp(1, 100)
    scale = torch.where(q < 50, 5000 / q, 200 - 2 * q)[:, None, None]
    tables = []
    for base in (LUMA_TABLE, CHROMA_TABLE):
        t = torch.tensor(base, dtype=torch.float32, device=quality.device).view(1, 8, 8)
        tables.append(torch.floor((t * scale + 50) / 100).clamp(1, 255))
    return tables[0], tables[1]


def _quantize_plane(plane: torch.Tensor, table: torch.Tensor, rounding) -> torch.Tensor:
    """(B, H, W) plane (H, W multiples of 8) through DCT, quantise with ``rounding``, inverse DCT."""
    b, h, w = plane.shape
    d = torch.from_numpy(dct_matrix(8).copy()).float().to(plane.device)
    blocks = (plane - 128).reshape(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)
    coeffs = d @ blocks @ d.T
    t = table[:, None, None]
    coeffs = rounding(coeffs / t) * t
    return (d.T @ coeffs @ d).permute(0, 1, 3, 2, 4).reshape(b, h, w) + 128


def round_cubic(x: torch.Tensor) -> torch.Tensor:
    r = torch.round(x)
    return r + (x - r) ** 3


def round_noise(x: torch.Tensor) -> torch.Tensor:
    """Coefficients that round to zero vanish (as in JPEG); the others get uniform rounding noise."""
    noisy = x + torch.empty_like(x).uniform_(-0.5, 0.5)
    return torch.where(x.abs() < 0.5, x - x.detach(), noisy)


def simulate_jpeg(x: torch.Tensor, quality: torch.Tensor, rounding=round_cubic) -> torch.Tensor:
    """Differentiable JPEG of (B, 3, H, W) images in [0, 1] at per-image ``quality``."""
    h, w = x.shape[-2:]
    x = F.pad(x, (0, -w % 16, 0, -h % 16), mode="replicate")
    luma_t, chroma_t = quant_tables(quality.to(x.device))
    ycc = rgb_to_ycbcr(x)
    y = _quantize_plane(ycc[:, 0], luma_t, rounding)
    chroma = F.avg_pool2d(ycc[:, 1:], 2)  # 4:2:0
    c = torch.stack([_quantize_plane(chroma[:, i], chroma_t, rounding) for i in range(2)], 1)
    c = F.interpolate(c, scale_factor=2, mode="bilinear", align_corners=False)
    out = ycbcr_to_rgb(torch.cat([y[:, None], c], 1))
    return out[..., :h, :w].clamp(0, 1)


def real_jpeg(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Pillow's JPEG (:func:`stegcli.eval.attacks.jpeg`) in the forward pass, identity gradient."""
    images = (x.detach().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    decoded = np.stack([jpeg(image, int(q)) for image, q in zip(images, quality.tolist())])
    decoded_t = torch.from_numpy(decoded).to(x.device).permute(0, 3, 1, 2).float() / 255
    return x + (decoded_t - x).detach()


def jpeg_mix(x: torch.Tensor, quality: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random convex blend (per image) of the three simulators at the same quality."""
    weights = torch.distributions.Dirichlet(torch.ones(len(SIMULATORS))).sample((x.shape[0],)).to(x.device)
    sims = [simulate_jpeg(x, quality, round_cubic), simulate_jpeg(x, quality, round_noise), real_jpeg(x, quality)]
    return sum(weights[:, i, None, None, None] * s for i, s in enumerate(sims))
