"""Framing of a byte message into a fixed-size bit string and back.

Layout (big-endian), header never inverted::

    magic "SG" | version u8 | flags u8 | length u32 | crc32 u32 | body | zero padding

``flags`` bit 0 says the body bits are inverted: when ones are the majority
of the message bits they are flipped so that most embedded samples are 0.
The CRC32 is over the original message, so extraction returns the exact
bytes or raises :class:`IntegrityError`; it never returns wrong bytes silently.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from stegcli.errors import CapacityError, IntegrityError

MAGIC = b"SG"
VERSION = 1
FLAG_INVERTED = 0x01
_HEADER = struct.Struct(">2sBBII")
HEADER_BYTES = _HEADER.size


@dataclass(frozen=True)
class Frame:
    """What a parsed frame says about itself, besides the message."""

    message: bytes
    inverted: bool


def max_message_bytes(capacity_bits: int) -> int:
    """Largest message (bytes) a frame of ``capacity_bits`` bits can carry."""
    return max(capacity_bits // 8 - HEADER_BYTES, 0)


def frame_message(message: bytes, capacity_bits: int) -> np.ndarray:
    """Frame ``message`` into exactly ``capacity_bits`` bits (uint8 0/1)."""
    limit = max_message_bytes(capacity_bits)
    if len(message) > limit:
        raise CapacityError(
            f"message is {len(message)} bytes but this cover holds at most {limit} bytes"
        )
    body = np.unpackbits(np.frombuffer(message, dtype=np.uint8))
    inverted = bool(body.sum() * 2 > body.size)
    if inverted:
        body = 1 - body
    header = _HEADER.pack(MAGIC, VERSION, FLAG_INVERTED if inverted else 0, len(message), zlib.crc32(message))
    bits = np.zeros(capacity_bits, dtype=np.uint8)
    head_bits = np.unpackbits(np.frombuffer(header, dtype=np.uint8))
    bits[: head_bits.size] = head_bits
    bits[head_bits.size : head_bits.size + body.size] = body
    return bits


def parse_frame(bits: np.ndarray) -> Frame:
    """Inverse of :func:`frame_message`; raises IntegrityError on any mismatch."""
    if bits.size < HEADER_BYTES * 8:
        raise IntegrityError("no payload: the image is too small to hold a frame header")
    header = np.packbits(bits[: HEADER_BYTES * 8]).tobytes()
    magic, version, flags, length, crc = _HEADER.unpack(header)
    if magic != MAGIC:
        raise IntegrityError("no payload found (frame marker missing): wrong key, wrong model, or no message")
    if version != VERSION:
        raise IntegrityError(f"unsupported payload format version {version}")
    if flags & ~FLAG_INVERTED:
        raise IntegrityError("payload header is corrupt (unknown flags)")
    start = HEADER_BYTES * 8
    if length > max_message_bytes(bits.size):
        raise IntegrityError("payload header is corrupt (length larger than the image can hold)")
    body = bits[start : start + 8 * length]
    if flags & FLAG_INVERTED:
        body = 1 - body
    message = np.packbits(body).tobytes()
    if zlib.crc32(message) != crc:
        raise IntegrityError("payload integrity check failed (CRC32 mismatch): wrong key, wrong model, or damaged stego")
    return Frame(message=message, inverted=bool(flags & FLAG_INVERTED))
