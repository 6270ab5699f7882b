"""The registered models: one entry per model with everything the CLI and the codecs decide by.

Like CompressAI's ``@register_model`` and timm's pretrained configs: a name maps to its family,
the codec that runs it, its payload (images or bytes), how many secrets or bits per sample, what
its stego may go through (``lossy``: JPEG and the rest) and whether hiding writes a key. Nothing
here imports torch, so ``steg --help`` and ``steg models`` start fast; the codec is imported when
a model is opened (:func:`open_codec`).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any

from stegcli.errors import UsageError

MAX_ISN_SECRETS = 5
MAX_SECRETS = 16
MAX_ROBUST_SECRETS = 3
DEFAULT_BITS_MODEL = "bits-3"  # keyed payloads (--key-out): the most bits per pixel
KEYLESS_BITS_MODEL = "bits-1"  # keyless payloads: the model whose stego alone carries its bits best
LICENSE = "MIT"  # the project's licence, which its shipped weights carry too


@dataclass(frozen=True)
class ModelSpec:
    """A registered model name (its weights may or may not be installed)."""

    name: str
    kind: str  # family: bits, isn, mosaic, robust
    summary: str
    codec: str  # "module:Class" of the codec that runs it
    architecture: str  # the weights file's config key: inn, mosaic or robust_inn
    payload: str  # "images" or "bytes"
    secrets: int = 0  # images it hides (mosaic models: up to this many)
    bpp: int = 0  # bits per colour sample (bytes models)
    keyed: bool = True  # hiding writes a key (z.npy) for a near-lossless reveal
    lossy: bool = False  # its stego survives JPEG, noise, blur, rescaling and cropping (and may be a JPEG)
    partial: bool = False  # hides 1 to ``secrets`` images, not exactly ``secrets``
    license: str = LICENSE

    @property
    def filename(self) -> str:
        return f"{self.name}.safetensors"

    def codec_class(self) -> type:
        module, _, cls = self.codec.partition(":")
        return getattr(importlib.import_module(module), cls)

    def check_count(self, count: int, what: str) -> None:
        """Refuse a secret count this model cannot hide or reveal (``what`` names it in the message)."""
        if self.partial and not 1 <= count <= self.secrets:
            raise UsageError(f"{what} does not fit {self.name}, which hides 1 to {self.secrets} images")
        if not self.partial and count != self.secrets:
            raise UsageError(f"{what} does not match {self.name}, which hides {self.secrets} image(s)")


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


_IMAGES, _ROBUST, _BITS = "stegcli.codecs.images:ImageCodec", "stegcli.codecs.robust:RobustCodec", "stegcli.codecs.bits:BitsCodec"
for _bpp in (1, 2, 3):
    register_model(ModelSpec(f"bits-{_bpp}", "bits", f"bytes in images, {_bpp} bit(s) per colour sample (INN + threshold mapping)",
                             _BITS, "inn", "bytes", bpp=_bpp))
for _n in range(1, MAX_ISN_SECRETS + 1):
    register_model(ModelSpec(f"isn-{_n}", "isn", f"{_n} secret image(s) in one cover (invertible steganography network)",
                             _IMAGES, "inn", "images", secrets=_n))
for _grid in (2, 3, 4):
    register_model(ModelSpec(f"mosaic-{_grid * _grid}", "mosaic",
                             f"up to {_grid * _grid} secret images as one {_grid}x{_grid} mosaic (InvMIHNet)",
                             _IMAGES, "mosaic", "images", secrets=_grid * _grid, partial=True))
for _n in range(1, MAX_ROBUST_SECRETS + 1):
    register_model(ModelSpec(f"robust-{_n}", "robust",
                             f"{_n} secret image(s), trained against JPEG, noise, blur, rescaling and cropping",
                             _ROBUST, "robust_inn", "images", secrets=_n, keyed=False, lossy=True))


Kinds = str | tuple[str, ...] | None  # one family, several, or any


def is_kind(spec: ModelSpec, kind: Kinds) -> bool:
    """Whether ``spec`` belongs to ``kind``: one family, one of several, or any (None)."""
    return kind is None or spec.kind == kind or (isinstance(kind, tuple) and spec.kind in kind)


def find_spec(name: str) -> ModelSpec | None:
    """The registered model of that name, or None (:func:`get_spec` refuses an unknown name instead)."""
    return _REGISTRY.get(name)


def registered_models(kind: Kinds = None) -> list[ModelSpec]:
    return [s for s in _REGISTRY.values() if is_kind(s, kind)]


def get_spec(name: str, kind: Kinds = None) -> ModelSpec:
    spec = find_spec(name)
    if spec is None or not is_kind(spec, kind):
        names = ", ".join(s.name for s in registered_models(kind))
        if spec is None:
            raise UsageError(f"unknown model {name!r}; known models: {names}")
        raise UsageError(f"{name!r} is a {spec.kind} model, not one for this command; use one of: {names}")
    return spec


def image_model_for(count: int, lossy: bool = False) -> str:
    """The default model for ``count`` secret images: ``robust-N`` when the stego must survive JPEG and
    more; else ``isn-N`` up to 5, then the smallest mosaic grid that holds them."""
    if lossy:
        if not 1 <= count <= MAX_ROBUST_SECRETS:
            raise UsageError(f"{count} secrets: robust models hide 1 to {MAX_ROBUST_SECRETS} images")
        return f"robust-{count}"
    if not 1 <= count <= MAX_SECRETS:
        raise UsageError(f"{count} secrets: stegcli hides 1 to {MAX_SECRETS} images "
                         f"(isn-1..isn-{MAX_ISN_SECRETS}, then mosaic-9 and mosaic-16)")
    if count <= MAX_ISN_SECRETS:
        return f"isn-{count}"
    return f"mosaic-{math.ceil(math.sqrt(count)) ** 2}"


def open_codec(name: str, device: Any = "cpu", kind: Kinds = None) -> Any:
    """The codec of a registered model, its weights loaded on ``device``."""
    spec = get_spec(name, kind)
    return spec.codec_class().from_spec(spec, device)
