"""stegcli: deep-learning image steganography with invertible neural networks.

Python API (the ``steg`` command is a thin layer over it)::

    from stegcli import BitsCodec, read_image
    codec = BitsCodec.from_name("bits-1")
    result = codec.embed_keyless(read_image("cover.png"), b"hello", passphrase=b"correct horse")
    codec.extract_keyless(result.stego, passphrase=b"correct horse") == b"hello"   # no key file
    keyed = BitsCodec.from_name("bits-3").embed(read_image("cover.png"), b"hello")  # the seed's keyed mode

    from stegcli import open_codec
    isn = open_codec("isn-2")                      # an ImageCodec
    hidden = isn.hide(read_image("cover.png"), [read_image("a.png"), read_image("b.png")])
    revealed = isn.reveal(hidden.stego)            # keyless; isn.reveal(hidden.stego, key=hidden.key) with the key

    robust = open_codec("robust-1")                # a RobustCodec: survives JPEG; no key
    hidden = robust.hide(read_image("cover.png"), [read_image("a.png")])
    (revealed,) = robust.reveal(hidden.stego, size="auto")

Names are imported on first use, so ``import stegcli`` (and ``steg --help``) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "BitsCodec": "stegcli.codecs.bits", "EmbedResult": "stegcli.codecs.bits", "KeylessResult": "stegcli.codecs.bits",
    "embed_bits": "stegcli.codecs.bits", "extract_bits": "stegcli.codecs.bits",
    "HideResult": "stegcli.codecs.engine", "ImageCodec": "stegcli.codecs.images", "RobustCodec": "stegcli.codecs.robust",
    "CapacityError": "stegcli.errors", "InputError": "stegcli.errors", "IntegrityError": "stegcli.errors",
    "ModelError": "stegcli.errors", "StegError": "stegcli.errors", "UsageError": "stegcli.errors",
    "read_image": "stegcli.io.images", "load_model": "stegcli.models.weights",
    "open_codec": "stegcli.models.registry", "registered_models": "stegcli.models.registry",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stegcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
