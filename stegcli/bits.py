"""Bytes in images, bit-exact: the public API behind ``steg embed-bits``/``extract-bits``.

A message is framed (:mod:`stegcli.payload.framing`), laid out as ``3 * bpp``
bit planes of the cover's size, mapped to {0, 0.5} and pushed through the
INN's forward pass. The stego is rounded to 8 bits; the z branch is the key.
Extraction runs the inverse on the stego with the key (or the constant z
without one), thresholds, and checks the frame's CRC32.

``bpp`` counts bits per colour sample: an RGB cover of H x W pixels at
``bpp`` carries ``3 * bpp * H * W`` raw bits, framing included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from stegcli.engine import MIN_SIDE, StegoEngine
from stegcli.errors import IntegrityError
from stegcli.key import StegoKey
from stegcli.nn import StegoINN
from stegcli.payload.framing import frame_message, max_message_bytes, parse_frame
from stegcli.payload.mapping import (
    bits_to_planes,
    bits_to_signal,
    planes_to_bits,
    signal_to_bits,
)
from stegcli.tensors import aligned_shape
from stegcli.zoo import load_model

DEFAULT_BITS_MODEL = "bits-3"


def capacity_bits(height: int, width: int, bpp: int, stride: int = 2) -> int:
    """Raw bits (framing included) a cover of this size carries at ``bpp``."""
    h, w = aligned_shape(height, width, stride)
    return 3 * bpp * h * w


def capacity_bytes(height: int, width: int, bpp: int, stride: int = 2) -> int:
    """Largest message (bytes) a cover of this size holds at ``bpp``."""
    if min(height, width) < MIN_SIDE:
        return 0
    return max_message_bytes(capacity_bits(height, width, bpp, stride))


@dataclass(frozen=True)
class EmbedResult:
    stego: np.ndarray  # (H, W, 3) uint8, ready to save losslessly
    key: StegoKey  # z branch, bound to the model and the stego's pixels
    keyless_ok: bool  # extraction without the key gives the message back
    message_bytes: int
    capacity_bytes: int


class BitsCodec:
    """A loaded bit-payload model; reuse it for many embeds/extracts."""

    def __init__(self, model: StegoINN, bpp: int, name: str, device: torch.device | str = "cpu") -> None:
        if model.config.secret_channels != 3 * bpp:
            raise ValueError(f"{name}: {model.config.secret_channels} secret channels do not match bpp {bpp}")
        self.engine = StegoEngine(model, name, device)
        self.bpp, self.name = bpp, name

    @classmethod
    def from_name(cls, name: str = DEFAULT_BITS_MODEL, device: torch.device | str = "cpu") -> "BitsCodec":
        model, meta = load_model(name, device, kind="bits")
        return cls(model, int(meta["config"]["bpp"]), name, device)

    def capacity_bits(self, height: int, width: int) -> int:
        return capacity_bits(height, width, self.bpp, self.engine.model.config.stride)

    def capacity_bytes(self, height: int, width: int) -> int:
        return capacity_bytes(height, width, self.bpp, self.engine.model.config.stride)

    def encode(self, cover: np.ndarray, message: bytes) -> tuple[np.ndarray, StegoKey]:
        """The forward pass alone: 8-bit stego and key, no self-check (see :meth:`embed`)."""
        h, w = self.engine.region(cover, "cover")
        planes = 3 * self.bpp
        signal = bits_to_signal(bits_to_planes(frame_message(message, planes * h * w), planes, h, w))
        return self.engine.forward(cover, torch.from_numpy(signal)[None])

    def embed(self, cover: np.ndarray, message: bytes) -> EmbedResult:
        """Encode, then check that the saved stego really gives the message back."""
        stego, key = self.encode(cover, message)
        if self.try_extract(stego, key) != message:
            raise IntegrityError(
                f"self-check failed: the 8-bit stego does not give the message back even with the key "
                f"(cover too saturated for {self.name}?); try a smaller message or another cover"
            )
        keyless_ok = self.try_extract(stego, None) == message
        return EmbedResult(stego, key, keyless_ok, len(message), self.capacity_bytes(*cover.shape[:2]))

    def extract(self, stego: np.ndarray, key: StegoKey | None = None) -> bytes:
        """The exact message, or IntegrityError; never wrong bytes."""
        self.engine.region(stego, "stego")
        if key is not None:
            self.engine.check_key(key, stego)
        return parse_frame(self.raw_bits(stego, key)).message

    def raw_bits(self, stego: np.ndarray, key: StegoKey | None) -> np.ndarray:
        """Thresholded bits of the inverse pass (constant z without a key); no checks."""
        signal = self.engine.reverse(stego, key)
        return planes_to_bits(signal_to_bits(signal[0].float().cpu().numpy()))

    def try_extract(self, stego: np.ndarray, key: StegoKey | None) -> bytes | None:
        """The message, or None where its frame does not check out (self-checks, evaluation)."""
        return message_or_none(self.raw_bits(stego, key))


def message_or_none(bits: np.ndarray) -> bytes | None:
    """The framed message in ``bits``, or None where the frame does not check out."""
    try:
        return parse_frame(bits).message
    except IntegrityError:
        return None


def embed_bits(cover: np.ndarray, message: bytes, model: str = DEFAULT_BITS_MODEL, device: str = "cpu") -> EmbedResult:
    """Hide ``message`` in ``cover`` ((H, W, 3) uint8). See :class:`BitsCodec`."""
    return BitsCodec.from_name(model, device).embed(cover, message)


def extract_bits(stego: np.ndarray, key: StegoKey | None = None, model: str | None = None, device: str = "cpu") -> bytes:
    """Get the exact message back from a stego, with or without its key (the model: ``model``, else the key's,
    else the default)."""
    name = model or (key.model if key is not None else DEFAULT_BITS_MODEL)
    return BitsCodec.from_name(name, device).extract(stego, key)
