"""Loss helpers shared by the training tasks."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from stegcli.eval import metrics


def quantize_ste(x: torch.Tensor) -> torch.Tensor:
    """Clamp to [0, 1] and round to 8 bits, with a straight-through gradient.

    Training the reverse pass on what a PNG really stores is what makes
    reveal work on saved stego images.
    """
    clamped = x.clamp(0, 1)
    return clamped + ((clamped * 255).round() / 255 - clamped).detach()


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of tensors in [0, 1] (:func:`stegcli.eval.metrics.psnr` with peak 1)."""
    return metrics.psnr(a, b, peak=1.0)


def batched_means(count: int, row: Callable[[slice], dict[str, float]], batch: int = 8) -> dict[str, float]:
    """Mean of each metric that ``row`` reports for consecutive slices of a ``count``-item validation set."""
    stats: dict[str, list[float]] = {}
    for i in range(0, count, batch):
        for key, value in row(slice(i, i + batch)).items():
            stats.setdefault(key, []).append(value)
    return {k: float(np.mean(v)) for k, v in stats.items()}
