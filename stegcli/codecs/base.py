"""What every codec shares: its registry entry, its network in the engine, and how it is opened."""

from __future__ import annotations

from typing import Any

import torch

from stegcli.codecs.engine import TILE, StegoEngine
from stegcli.models.registry import ModelSpec, get_spec
from stegcli.models.weights import load_model
from stegcli.nn.interface import HidingNetwork


class Codec:
    """A loaded model: ``from_name("isn-2")`` or ``from_spec(spec)``; subclasses add hide and reveal."""

    families: tuple[str, ...] = ()  # the registry families this codec runs
    pad = False  # the engine pads instead of cropping to the stride (keyless models that read any crop)

    def __init__(self, model: HidingNetwork, spec: ModelSpec, device: torch.device | str = "cpu", tile: int = TILE) -> None:
        channels = 3 * (spec.secrets or spec.bpp)
        if model.config.secret_channels != channels:
            raise ValueError(f"{spec.name}: the network has {model.config.secret_channels} secret channels, "
                             f"the model needs {channels}")
        self.engine = StegoEngine(model, spec.name, device, tile, pad=self.pad)
        self.spec, self.name, self.secrets = spec, spec.name, spec.secrets

    @classmethod
    def reading_options(cls, spec: ModelSpec, reading: dict[str, Any]) -> dict[str, Any]:
        """Constructor options from the weights file's ``reading`` metadata (how to read its stegos)."""
        return {}

    @classmethod
    def from_spec(cls, spec: ModelSpec, device: torch.device | str = "cpu"):
        model, meta = load_model(spec.name, device, kind=spec.kind)
        return cls(model, spec, device, **cls.reading_options(spec, meta.get("reading", {})))

    @classmethod
    def from_name(cls, name: str, device: torch.device | str = "cpu"):
        return cls.from_spec(get_spec(name, cls.families), device)

    def check_count(self, count: int, what: str) -> None:
        """Refuse a secret count this model cannot hide or reveal (``what`` names it in the message)."""
        self.spec.check_count(count, what)
