"""stegcli: deep-learning image steganography with invertible neural networks.

Python API (the ``steg`` command is a thin layer over it)::

    from stegcli import BitsCodec, read_image
    codec = BitsCodec.from_name("bits-1")
    result = codec.embed_keyless(read_image("cover.png"), b"hello", passphrase=b"correct horse")
    codec.extract_keyless(result.stego, passphrase=b"correct horse") == b"hello"   # no key file
    keyed = BitsCodec.from_name("bits-3").embed(read_image("cover.png"), b"hello")  # the seed's keyed mode

    from stegcli import ImageCodec
    isn = ImageCodec.from_name("isn-2")
    hidden = isn.hide(read_image("cover.png"), [read_image("a.png"), read_image("b.png")])
    revealed = isn.reveal(hidden.stego)            # keyless; isn.reveal(hidden.stego, hidden.key) with the key

    from stegcli import RobustCodec
    robust = RobustCodec.from_name("robust-1")
    stego = robust.hide(read_image("cover.png"), [read_image("a.png")])   # survives JPEG; no key
    (revealed,) = robust.reveal(stego)
"""

from stegcli.bits import BitsCodec, EmbedResult, KeylessResult, embed_bits, extract_bits
from stegcli.errors import (
    CapacityError,
    InputError,
    IntegrityError,
    ModelError,
    StegError,
    UsageError,
)
from stegcli.imageio import read_image
from stegcli.images import HideResult, ImageCodec
from stegcli.robust import RobustCodec
from stegcli.zoo import load_model, registered_models

__version__ = "0.1.0"

__all__ = [
    "BitsCodec",
    "CapacityError",
    "EmbedResult",
    "HideResult",
    "ImageCodec",
    "InputError",
    "IntegrityError",
    "KeylessResult",
    "ModelError",
    "StegError",
    "RobustCodec",
    "UsageError",
    "__version__",
    "embed_bits",
    "extract_bits",
    "load_model",
    "read_image",
    "registered_models",
]
