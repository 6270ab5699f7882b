"""The one interface every shipped network implements: (cover, secrets) <-> (stego, z).

In the spirit of FrEIA's ``InvertibleModule.forward(x, rev=...)``: ``forward`` hides, ``reverse``
reveals, and ``reverse`` without z is the keyless reveal with the constant z the networks are
trained towards. The engine (:mod:`stegcli.codecs.engine`) needs nothing else: each network's
config declares the side its inputs must divide by (``stride``) and how far an output pixel sees
(``receptive_radius``, None for a network that is not local), which set the tiles and their halo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import torch
from torch import nn

# Runs ``fn(*inputs)`` tile by tile: (fn, inputs, in_scales, out_scales, receptive radius, full-resolution
# (height, width)) -> outputs; scales as in :func:`stegcli.codecs.tiling.run_tiled`.
Tiler = Callable[[Callable[..., tuple[torch.Tensor, ...]], Sequence[torch.Tensor], Sequence[int], Sequence[int], int,
                  tuple[int, int]], tuple[torch.Tensor, ...]]


def untiled(fn, inputs, in_scales, out_scales, radius, size):
    """The :data:`Tiler` that runs in one piece (training, or no engine)."""
    return fn(*inputs)


class NetworkConfig(Protocol):
    """What the engine reads off a network's architecture config."""

    @property
    def stride(self) -> int: ...

    @property
    def receptive_radius(self) -> int | None: ...

    @property
    def secret_channels(self) -> int: ...


class HidingNetwork(nn.Module):
    """Base of the hiding networks: ``forward(cover, secrets) -> (stego, z)``, ``reverse(stego, z=None) -> (cover, secrets)``.

    Tensors are (B, C, H, W) in [0, 1] with sides divisible by ``config.stride``; secrets are stacked
    on the channel axis (``config.secret_channels``).
    """

    config: NetworkConfig
    # A network that is not local as a whole (receptive_radius None) runs its local stages through
    # this, so that memory follows the tile there too; the engine sets its own.
    tiler: Tiler = staticmethod(untiled)

    def forward(self, cover: torch.Tensor, secrets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def reverse(self, stego: torch.Tensor, z: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def z_shape(self, height: int, width: int) -> tuple[int, ...]:
        """Shape of z (without batch) for a stego of height x width."""
        raise NotImplementedError

    def constant_z(self, stego: torch.Tensor) -> torch.Tensor:
        """The z of the keyless reveal: zeros, the training target of z."""
        b, _, h, w = stego.shape
        return stego.new_zeros(b, *self.z_shape(h, w))
