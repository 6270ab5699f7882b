"""Choosing the torch device from ``--device auto|cpu|cuda``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stegcli.errors import UsageError

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else the CPU."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise UsageError("--device cuda was asked for but no CUDA device is available")
        return torch.device(name)
    raise UsageError(f"unknown device {name!r}; use one of {', '.join(DEVICE_CHOICES)}")
