"""The one DCT: the orthonormal n-point DCT-II matrix (JPEG's for n = 8, the mosaic's block bands for n = grid)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=None)
def dct_matrix(n: int) -> np.ndarray:
    """(n, n) float64 C with C @ x the DCT-II of x and C.T its inverse; row 0 is the constant 1/sqrt(n)."""
    k, i = np.mgrid[:n, :n]
    matrix = np.sqrt(2 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    matrix[0] /= np.sqrt(2)
    matrix.flags.writeable = False
    return matrix
