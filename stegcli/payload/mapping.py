"""The mapping module of the lossless INN steganography paper.

Bits become a "secret image" with values in {0, BIT_HIGH}; extraction
thresholds at the midpoint. Using 0.5 instead of 1 halves the energy the
network has to hide, and keeping ones in the minority (see
:mod:`stegcli.payload.framing`) lowers it further.
"""

from __future__ import annotations

import numpy as np

BIT_HIGH = 0.5
THRESHOLD = BIT_HIGH / 2


def bits_to_signal(bits: np.ndarray) -> np.ndarray:
    """Array of 0/1 -> float32 array of 0/BIT_HIGH, same shape."""
    return bits.astype(np.float32) * np.float32(BIT_HIGH)


def signal_to_bits(signal: np.ndarray) -> np.ndarray:
    """Threshold a recovered signal back to 0/1 (uint8)."""
    return (signal > THRESHOLD).astype(np.uint8)


def bit_margins(signal):
    """How far each recovered value lies past the threshold, on the side of the bit it reads as:
    0 at the threshold, +-1 at the ideal values (works on arrays and tensors alike). The keyless decoder's
    soft output: training's margin loss, the hide-time optimisation and erasure decoding all read it."""
    return (signal - THRESHOLD) / THRESHOLD


def bits_to_planes(bits: np.ndarray, planes: int, height: int, width: int) -> np.ndarray:
    """Lay a flat bit string out as a (planes, height, width) 0/1 array.

    Raster order, all samples of one pixel before the next pixel, so a short
    message occupies the top rows and the rest of the image stays 0.
    """
    if bits.size != planes * height * width:
        raise ValueError(f"{bits.size} bits do not fill {planes}x{height}x{width}")
    return np.ascontiguousarray(bits.reshape(height, width, planes).transpose(2, 0, 1))


def planes_to_bits(planes: np.ndarray) -> np.ndarray:
    """Inverse of :func:`bits_to_planes`."""
    return np.ascontiguousarray(planes.transpose(1, 2, 0)).reshape(-1)
