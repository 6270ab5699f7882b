"""Bundled demo inputs: a cover, a secret image and a text message.

The images are synthetic (made by :func:`make_landscape` with the seeds
below), so they carry no licence of anyone else and are reproducible.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np


def sample_path(name: str) -> Path:
    return Path(str(resources.files("stegcli.samples") / name))


def _fractal_noise(rng: np.random.Generator, shape: tuple[int, int], octaves: int = 6) -> np.ndarray:
    """Sum of upsampled random grids: a cheap 1/f texture in [0, 1]."""
    h, w = shape
    total = np.zeros(shape)
    for octave in range(octaves):
        cells = 2 ** (octave + 2)
        grid = rng.random((cells + 1, cells + 1))
        ys, xs = np.linspace(0, cells, h), np.linspace(0, cells, w)
        y0, x0 = np.minimum(ys.astype(int), cells - 1), np.minimum(xs.astype(int), cells - 1)
        fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
        fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
        g00, g01 = grid[y0][:, x0], grid[y0][:, x0 + 1]
        g10, g11 = grid[y0 + 1][:, x0], grid[y0 + 1][:, x0 + 1]
        total += ((g00 * (1 - fx) + g01 * fx) * (1 - fy) + (g10 * (1 - fx) + g11 * fx) * fy) / 2**octave
    return (total - total.min()) / (total.max() - total.min())


def make_landscape(seed: int, height: int = 256, width: int = 384) -> np.ndarray:
    """A synthetic landscape: sky, sun, two mountain ranges, textured meadow."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None, None]
    x = np.linspace(0, 1, width)[None, :, None]
    sky_top, sky_low = rng.uniform([0.15, 0.3, 0.6], [0.3, 0.45, 0.8]), rng.uniform([0.7, 0.75, 0.8], [0.95, 0.9, 0.95])
    img = sky_top + (sky_low - sky_top) * y
    img = img + 0.08 * (_fractal_noise(rng, (height, width))[..., None] - 0.5) * (y < 0.6)
    sun_x, sun_y = rng.uniform(0.2, 0.8), rng.uniform(0.12, 0.3)
    d = np.sqrt((x - sun_x) ** 2 * (width / height) ** 2 + (y - sun_y) ** 2)
    img = img + np.clip(0.06 - d, 0, None)[..., :1] * 12 * np.array([1.0, 0.9, 0.6])
    for level, colour in ((0.45, [0.35, 0.38, 0.48]), (0.6, [0.22, 0.3, 0.25])):
        ridge = level + 0.18 * (_fractal_noise(rng, (1, width))[0] - 0.5)
        rock = _fractal_noise(rng, (height, width))[..., None]
        mask = (y[..., 0] > ridge[None, :])[..., None]
        img = np.where(mask, np.array(colour) * (0.7 + 0.6 * rock), img)
    meadow = (y > 0.78)
    grass = _fractal_noise(rng, (height, width), octaves=7)[..., None]
    img = np.where(meadow, np.array([0.3, 0.5, 0.15]) * (0.6 + 0.8 * grass) + 0.05 * rng.standard_normal((height, width, 1)), img)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


COVER_SEED, SECRET_SEED = 7, 11
