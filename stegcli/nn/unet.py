"""U-Nets for robust hiding: one encoder per input, a shared decoder; and a PatchGAN critic.

Robust hiding is not invertible: a U-Net embeds, attacks happen, other U-Nets
recover. :class:`BranchedUNet` gives every input image (the cover, each
secret) its own encoder with unshared weights, as the robust-hiding seed does,
and feeds the skips of all branches to one decoder. A plain U-Net is the
one-branch case.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """Two 3x3 convolutions with LeakyReLU: the unit of every level."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
    )


def level_widths(width: int, levels: int) -> list[int]:
    """Channels per level: doubling, capped at 4x the base width (keeps deep levels affordable)."""
    return [width * min(2**i, 4) for i in range(levels)]


def unet_stride(levels: int) -> int:
    """Image sides a U-Net of ``levels`` levels takes are multiples of this (one pooling per level below the top)."""
    return 2 ** (levels - 1)


def unet_radius(levels: int) -> int:
    """A bound on how far (pixels) a U-Net of ``levels`` levels sees: 3x3 convs, pooling and upsampling at every level."""
    return 6 * 2**levels


class Encoder(nn.Module):
    """Feature maps at every level, finest first; each level after the first halves the size."""

    def __init__(self, c_in: int, widths: list[int]) -> None:
        super().__init__()
        chans = [c_in, *widths]
        self.levels = nn.ModuleList(conv_block(a, b) for a, b in zip(chans[:-1], chans[1:]))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for i, level in enumerate(self.levels):
            x = level(x if i == 0 else F.avg_pool2d(x, 2))
            feats.append(x)
        return feats


class BranchedUNet(nn.Module):
    """``branches`` inputs of ``c_in`` channels each -> ``c_out`` channels at the input's size.

    Sides must be divisible by :attr:`stride` (callers pad; see :func:`pad_to`).
    """

    def __init__(self, branches: int, c_in: int, c_out: int, width: int = 32, levels: int = 4) -> None:
        super().__init__()
        widths = level_widths(width, levels)
        self.branches, self.c_in, self.stride = branches, c_in, unet_stride(levels)
        self.encoders = nn.ModuleList(Encoder(c_in, widths) for _ in range(branches))
        self.ups = nn.ModuleList(nn.Conv2d(branches * widths[i + 1] if i == levels - 2 else widths[i + 1], widths[i], 3, padding=1)
                                 for i in range(levels - 1))
        self.merges = nn.ModuleList(conv_block(branches * widths[i] + widths[i], widths[i]) for i in range(levels - 1))
        self.out = nn.Conv2d(widths[0], c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, self.c_in, dim=1)
        if len(parts) != self.branches:
            raise ValueError(f"expected {self.branches * self.c_in} input channels, got {x.shape[1]}")
        feats = [enc(p) for enc, p in zip(self.encoders, parts)]
        skips = [torch.cat(level, dim=1) for level in zip(*feats)]  # every branch at every level
        y = skips[-1]
        for i in reversed(range(len(self.merges))):
            y = self.ups[i](F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False))
            y = self.merges[i](torch.cat([skips[i], F.leaky_relu(y, 0.2)], dim=1))
        return self.out(y)

    @torch.no_grad()
    def grow_from(self, source: "BranchedUNet") -> None:
        """Take a trained U-Net with fewer branches (or output channels) as the start of this one.

        Shared parts are copied; every new branch starts as a copy of the source's last encoder
        whose features the decoder does not see yet (zero weights), so the grown net computes
        exactly what the source did; extra output channels repeat the source's last ones.
        Why: a model with more secrets then starts from a working hiding code instead of from
        zero, where it hardly gets going (docs/robust-training.md).
        """
        if (source.c_in, source.stride, len(source.merges)) != (self.c_in, self.stride, len(self.merges)) \
                or source.branches > self.branches or source.out.out_channels > self.out.out_channels:
            raise ValueError("grow_from needs a source U-Net with the same levels and at most as many branches and outputs")
        old, new = source.branches, self.branches
        for k, encoder in enumerate(self.encoders):
            encoder.load_state_dict(source.encoders[min(k, old - 1)].state_dict())

        def widen(dst: nn.Conv2d, src: nn.Conv2d, width: int) -> None:
            """Input channels are [branch 0 .. branch n-1 (width each), rest]: copy old branches and rest."""
            dst.weight.zero_()
            dst.weight[:, : old * width] = src.weight[:, : old * width]
            dst.weight[:, new * width :] = src.weight[:, old * width :]
            dst.bias.copy_(src.bias)

        for i, (up, merge) in enumerate(zip(self.ups, self.merges)):
            if i == len(self.ups) - 1:  # the deepest level sees every branch
                widen(up, source.ups[i], up.in_channels // new)
            else:
                up.load_state_dict(source.ups[i].state_dict())
            width = merge[0].out_channels
            widen(merge[0], source.merges[i][0], width)
            merge[2].load_state_dict(source.merges[i][2].state_dict())
        have = source.out.out_channels
        for start in range(0, self.out.out_channels, have):
            rows = slice(start, min(start + have, self.out.out_channels))
            count = rows.stop - rows.start
            self.out.weight[rows] = source.out.weight[have - count :]
            self.out.bias[rows] = source.out.bias[have - count :]


def pad_to(x: torch.Tensor, stride: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Reflect-pad the bottom/right so both sides divide by ``stride``; returns the original size."""
    h, w = x.shape[-2:]
    ph, pw = -h % stride, -w % stride
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)


class PatchDiscriminator(nn.Module):
    """PatchGAN critic: one real/fake score per overlapping patch (70x70 receptive field at 3 strided levels)."""

    def __init__(self, c_in: int = 3, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(c_in, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        c = width
        for stride in (2, 2, 1):
            layers += [nn.Conv2d(c, c * 2, 4, stride, 1), nn.GroupNorm(8, c * 2), nn.LeakyReLU(0.2, inplace=True)]
            c *= 2
        layers.append(nn.Conv2d(c, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
