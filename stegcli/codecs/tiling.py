"""Run a convolutional network over a large image in overlapping tiles, with the same result.

An INN made of convolutions only sees a bounded neighbourhood of each pixel
(its receptive field). Cutting the image into tiles with a halo at least that
wide, running each tile and keeping only its centre gives the output of one
pass over the whole image, while peak memory follows the tile size instead of
the image size. This is what lets a 2-core, 24 GB machine hide in 50-megapixel
photographs.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

TensorFn = Callable[..., tuple[torch.Tensor, ...]]


def run_tiled(fn: TensorFn, inputs: Sequence[torch.Tensor], in_scales: Sequence[int], out_scales: Sequence[int],
              tile: int, halo: int, progress: Callable[[int, int], None] | None = None,
              size: tuple[int, int] | None = None) -> tuple[torch.Tensor, ...]:
    """``fn(*inputs)`` computed tile by tile.

    Every tensor is (B, C, H / scale, W / scale) for the full-resolution size (H, W): ``size``, else
    that of the first input with scale 1; ``tile`` and ``halo`` are in full-resolution pixels and must
    be multiples of every scale (and of the network's stride), so that tile edges fall on whole
    wavelet blocks. ``progress(done, total)`` is told after each tile.
    """
    height, width = size if size is not None else inputs[in_scales.index(1)].shape[-2:]
    for step in (*in_scales, *out_scales):
        if tile % step or halo % step:
            raise ValueError(f"tile {tile} and halo {halo} must be multiples of {step}")
    outputs: list[torch.Tensor] | None = None
    total, done = -(-height // tile) * -(-width // tile), 0
    for y0 in range(0, height, tile):
        for x0 in range(0, width, tile):
            y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
            ya, xa, yb, xb = max(0, y0 - halo), max(0, x0 - halo), min(height, y1 + halo), min(width, x1 + halo)
            parts = fn(*(t[..., ya // s : yb // s, xa // s : xb // s] for t, s in zip(inputs, in_scales, strict=True)))
            if outputs is None:
                outputs = [p.new_empty(*p.shape[:-2], height // s, width // s) for p, s in zip(parts, out_scales, strict=True)]
            for out, part, s in zip(outputs, parts, out_scales, strict=True):
                out[..., y0 // s : y1 // s, x0 // s : x1 // s] = part[
                    ..., (y0 - ya) // s : (y1 - ya) // s, (x0 - xa) // s : (x1 - xa) // s
                ]
            done += 1
            if progress is not None:
                progress(done, total)
    assert outputs is not None
    return tuple(outputs)
