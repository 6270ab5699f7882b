"""Orthonormal Haar wavelet transform, exactly invertible.

The INN works in the wavelet domain (as in HiNet/ISN): one level of the Haar
transform turns an image of C channels into 4C half-resolution channels.
The output is ordered band-major, ``[LL(C), LH(C), HL(C), HH(C)]``, so the
first C channels are always the low-frequency band.
"""

from __future__ import annotations

import torch


def haar_dwt(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) with even H, W -> (B, 4C, H/2, W/2)."""
    if x.shape[-1] % 2 or x.shape[-2] % 2:
        raise ValueError(f"Haar DWT needs even height and width, got {tuple(x.shape[-2:])}")
    a = x[..., 0::2, 0::2]
    b = x[..., 0::2, 1::2]
    c = x[..., 1::2, 0::2]
    d = x[..., 1::2, 1::2]
    ll = (a + b + c + d) / 2
    lh = (a - b + c - d) / 2
    hl = (a + b - c - d) / 2
    hh = (a - b - c + d) / 2
    return torch.cat([ll, lh, hl, hh], dim=1)


def haar_iwt(y: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`haar_dwt`: (B, 4C, h, w) -> (B, C, 2h, 2w)."""
    if y.shape[1] % 4:
        raise ValueError(f"inverse Haar DWT needs a multiple of 4 channels, got {y.shape[1]}")
    ll, lh, hl, hh = torch.chunk(y, 4, dim=1)
    bsz, ch, h, w = ll.shape
    out = y.new_empty(bsz, ch, 2 * h, 2 * w)
    out[..., 0::2, 0::2] = (ll + lh + hl + hh) / 2
    out[..., 0::2, 1::2] = (ll - lh + hl - hh) / 2
    out[..., 1::2, 0::2] = (ll + lh - hl - hh) / 2
    out[..., 1::2, 1::2] = (ll - lh - hl + hh) / 2
    return out
