"""The attack layer of robust training: what may happen to a stego image, made differentiable.

Each image of a batch draws one attack. JPEG always comes first, as a random
blend of simulators (:func:`~stegcli.train.jpeg_sim.jpeg_mix`): at a random
quality in [50, 95] for the JPEG attack, at quality 90 before every other
attack (noise, blur, rescaling, crop-and-resize-back). ``none`` keeps the stego
as a PNG would (8-bit rounding only), so the clean case is trained as well.
The ranges follow the robust-hiding seed's public code; they are deliberately a
little wider than the ``steg eval`` attacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.nn.filters import blur
from stegcli.train.jpeg_sim import jpeg_mix
from stegcli.train.losses import quantize_ste

ATTACKS = ("none", "jpeg", "noise", "blur", "resize", "crop")


@dataclass
class AttackRanges:
    jpeg_quality: tuple[int, int] = (50, 95)
    base_quality: int = 90  # JPEG before the other attacks
    noise_sigma: tuple[float, float] = (0.0, 0.05)  # [0, 1] units
    blur_sigma: tuple[float, float] = (0.5, 1.5)  # pixels
    resize_factor: tuple[float, float] = (0.5, 1.5)
    crop_keep: tuple[float, float] = (0.8, 1.0)  # fraction of each side, resized back
    weights: dict[str, float] = field(default_factory=lambda: {
        "none": 0.2, "jpeg": 0.35, "noise": 0.1, "blur": 0.1, "resize": 0.15, "crop": 0.1})


def parse_attack_mix(text: str) -> dict[str, float]:
    """``"none=0.3,jpeg=0.5,resize=0.2"`` -> attack weights (``steg train robust --attack-mix``); unnamed attacks get 0."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in ATTACKS:
            raise ValueError(f"{part!r}: expected NAME=WEIGHT with NAME one of {', '.join(ATTACKS)}")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"{part!r}: {value.strip()!r} is not a number") from None
        if not weight >= 0 or name in mix:
            raise ValueError(f"{part!r}: each attack once, with a weight >= 0")
        mix[name] = weight
    if sum(mix.values()) <= 0:
        raise ValueError(f"attack mix {text!r} has no positive weight")
    return {name: mix.get(name, 0.0) for name in ATTACKS}


def resize_and_back(x: torch.Tensor, factor: float) -> torch.Tensor:
    h, w = x.shape[-2:]
    size = (max(8, round(h * factor)), max(8, round(w * factor)))
    small = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=factor < 1)
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False, antialias=factor > 1)


def crop_and_back(x: torch.Tensor, keep: float, rng: np.random.Generator) -> torch.Tensor:
    h, w = x.shape[-2:]
    ch, cw = max(8, round(h * keep)), max(8, round(w * keep))
    y0, x0 = int(rng.integers(h - ch + 1)), int(rng.integers(w - cw + 1))
    return F.interpolate(x[..., y0 : y0 + ch, x0 : x0 + cw], size=(h, w), mode="bilinear", align_corners=False)


class AttackLayer:
    def __init__(self, ranges: AttackRanges | None = None) -> None:
        self.r = ranges or AttackRanges()
        self.names = list(self.r.weights)
        p = np.array([self.r.weights[n] for n in self.names], dtype=np.float64)
        self.p = p / p.sum()

    def draw(self, rng: np.random.Generator, count: int) -> list[str]:
        return [self.names[i] for i in rng.choice(len(self.names), size=count, p=self.p)]

    def __call__(self, stego: torch.Tensor, rng: np.random.Generator, kinds: list[str] | None = None,
                 ) -> tuple[torch.Tensor, list[str]]:
        """Attacked 8-bit images (straight-through rounding) and the attack each image got."""
        kinds = kinds or self.draw(rng, stego.shape[0])
        x = quantize_ste(stego)
        lo, hi = self.r.jpeg_quality
        quality = torch.tensor([int(rng.integers(lo, hi + 1)) if k == "jpeg" else self.r.base_quality for k in kinds])
        jpeg_rows = [i for i, k in enumerate(kinds) if k != "none"]
        if jpeg_rows:
            idx = torch.tensor(jpeg_rows, device=x.device)
            x = x.index_copy(0, idx, jpeg_mix(x[idx], quality[jpeg_rows]))
        rows = []
        for i, kind in enumerate(kinds):
            xi = x[i : i + 1]
            if kind == "noise":
                xi = xi + torch.randn_like(xi) * float(rng.uniform(*self.r.noise_sigma))
            elif kind == "blur":
                xi = blur(xi, float(rng.uniform(*self.r.blur_sigma)))
            elif kind == "resize":
                xi = resize_and_back(xi, float(rng.uniform(*self.r.resize_factor)))
            elif kind == "crop":
                xi = crop_and_back(xi, float(rng.uniform(*self.r.crop_keep)), rng)
            rows.append(xi)
        return quantize_ste(torch.cat(rows)), kinds
