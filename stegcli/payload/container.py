"""The keyless payload: a message (sealed under a passphrase or CRC-checked) as error-corrected bits in a
keyed layout, and back.

Stream of bits, in layout order (:mod:`stegcli.payload.layout`)::

    header: RS(magic "SK" | version u8 | flags u8 | nsym u8 | reserved u8 | body length u32), 16 parity bytes
    body:   RS(sealed message)   with a passphrase (:func:`stegcli.payload.crypto.seal`)
            RS(crc32 u32 | message)  without one

The header's 10 bytes carry 16 parity bytes, so it survives 8 wrong bytes of 26; the body's code has
``nsym`` parity bytes per 255. A wrong passphrase reads the bits in another order, finds no header and
fails exactly as an image without a payload does (:data:`NO_PAYLOAD`). The CRC32 or the AEAD tag has the
last word: a payload is returned exactly or not at all.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from stegcli.errors import CapacityError, IntegrityError
from stegcli.payload import crypto, ecc
from stegcli.payload.layout import bit_positions

MAGIC = b"SK"
VERSION = 1
FLAG_SEALED = 0x01
_HEADER = struct.Struct(">2sBBBBI")
HEADER_NSYM = 16
HEADER_BITS = 8 * (_HEADER.size + HEADER_NSYM)
DEFAULT_NSYM = 64  # body parity bytes per 255: corrects 32 wrong bytes in each codeword
CRC_BYTES = 4
NO_PAYLOAD = "no payload found (or the passphrase is wrong)"
ERASE_BELOW = 0.2  # a byte with a bit this close to the threshold (1: at its ideal value) is a doubtful one
ERASE_SHARE = 0.75  # at most this share of a codeword's parity is spent on doubtful bytes


@dataclass(frozen=True)
class Layout:
    """The keyed order of a region's ``total`` bit positions: stream bit ``i`` lives at ``order[i]``."""

    order: np.ndarray

    @classmethod
    def for_passphrase(cls, passphrase: bytes | None, total: int) -> "Layout":
        return cls(bit_positions(crypto.layout_seed(passphrase), total))

    @property
    def total(self) -> int:
        return int(self.order.size)


def body_bytes(message_bytes: int, sealed: bool) -> int:
    return message_bytes + (crypto.SEAL_OVERHEAD if sealed else CRC_BYTES)


def stream_bits(message_bytes: int, sealed: bool, nsym: int = DEFAULT_NSYM) -> int:
    """Bits a message of this length takes in the image, header and parity included."""
    return HEADER_BITS + 8 * ecc.coded_length(body_bytes(message_bytes, sealed), nsym)


def max_message_bytes(total_bits: int, sealed: bool, nsym: int = DEFAULT_NSYM) -> int:
    """Largest message whose stream fits in ``total_bits`` positions."""
    room = (total_bits - HEADER_BITS) // 8
    if room <= 0:
        return 0
    return max(ecc.data_length(room, nsym) - body_bytes(0, sealed), 0)


def encode_stream(message: bytes, passphrase: bytes | None, total_bits: int, nsym: int = DEFAULT_NSYM) -> np.ndarray:
    """The payload's bits (uint8 0/1) in stream order; raises CapacityError where they exceed ``total_bits``."""
    sealed = passphrase is not None
    limit = max_message_bytes(total_bits, sealed, nsym)
    if len(message) > limit:
        raise CapacityError(f"message is {len(message)} bytes but this cover holds at most {limit} bytes keylessly")
    length = body_bytes(len(message), sealed)
    header = _HEADER.pack(MAGIC, VERSION, FLAG_SEALED if sealed else 0, nsym, 0, length)
    if sealed:
        body = crypto.seal(message, passphrase, header)
    else:
        body = struct.pack(">I", zlib.crc32(message)) + message
    coded = ecc.encode(header, HEADER_NSYM) + ecc.encode(body, nsym)
    return np.unpackbits(np.frombuffer(coded, dtype=np.uint8))


def place(stream: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Flat (bits, used) arrays over all positions: the stream's bits where the layout puts them."""
    bits = np.zeros(layout.total, dtype=np.uint8)
    used = np.zeros(layout.total, dtype=bool)
    where = layout.order[: stream.size]
    bits[where], used[where] = stream, True
    return bits, used


def doubtful_bytes(margins: np.ndarray, nsym: int) -> np.ndarray:
    """Which bytes of a coded stream to treat as erasures: per codeword, those with a bit closer than
    :data:`ERASE_BELOW` to the threshold, the least certain first, at most ``ERASE_SHARE * nsym`` of them.

    ``margins`` are per stream bit (how far past the threshold, 1 at the ideal value). A known wrong
    byte costs the code one parity byte instead of two, so a decoder that says where it doubts lets
    the code fix nearly twice as many errors; the embedder uses the same rule to know when to stop.
    """
    confidence = np.abs(margins).reshape(-1, 8).min(axis=1)
    doubtful = np.zeros(confidence.size, dtype=bool)
    cap = int(ERASE_SHARE * nsym)
    for start in range(0, confidence.size, ecc.CODEWORD):
        word = confidence[start : start + ecc.CODEWORD]
        weak = np.flatnonzero(word < ERASE_BELOW)
        doubtful[start + weak[np.argsort(word[weak], kind="stable")[:cap]]] = True
    return doubtful


def _decode(coded_bits: np.ndarray, margins: np.ndarray | None, nsym: int) -> bytes:
    """RS-decode stream bits, the decoder's doubtful bytes (where its margins are known) as erasures
    for the codewords that do not decode as they are."""
    doubtful = None if margins is None else doubtful_bytes(margins, nsym)
    return ecc.decode(np.packbits(coded_bits).tobytes(), nsym, doubtful)


def _read_header(bits: np.ndarray, margins: np.ndarray | None) -> tuple[int, int, int, bytes]:
    try:
        header = _decode(bits[:HEADER_BITS], None if margins is None else margins[:HEADER_BITS], HEADER_NSYM)
    except IntegrityError:
        raise IntegrityError(NO_PAYLOAD) from None
    magic, version, flags, nsym, _, length = _HEADER.unpack(header)
    if magic != MAGIC or flags & ~FLAG_SEALED or not 2 <= nsym <= 128 or version != VERSION:
        raise IntegrityError(NO_PAYLOAD)
    return flags, nsym, length, header


def decode_stream(flat: np.ndarray, passphrase: bytes | None, layout: Layout, margins: np.ndarray | None = None) -> bytes:
    """The message from thresholded bits over all positions (flat, (planes, h, w) C order); IntegrityError else.

    ``margins`` (flat, same order), where given, are the decoder's soft output: how far each bit is past
    the threshold; they let the error correction treat doubtful bytes as erasures.
    """
    bits = flat[layout.order]
    soft = None if margins is None else margins[layout.order]
    flags, nsym, length, header = _read_header(bits, soft)
    sealed = bool(flags & FLAG_SEALED)
    if sealed != (passphrase is not None):
        raise IntegrityError(NO_PAYLOAD)  # layouts differ, so this is a corrupt header in practice
    end = HEADER_BITS + 8 * ecc.coded_length(length, nsym)
    if end > layout.total:
        raise IntegrityError(NO_PAYLOAD)
    body = _decode(bits[HEADER_BITS:end], None if soft is None else soft[HEADER_BITS:end], nsym)
    if sealed:
        return crypto.unseal(body, passphrase, header)
    (crc,) = struct.unpack(">I", body[:CRC_BYTES])
    message = body[CRC_BYTES:]
    if zlib.crc32(message) != crc:
        raise IntegrityError("payload failed its integrity check (CRC32 mismatch): damaged stego")
    return message


def _within_reach(wrong_bytes: np.ndarray, doubtful: np.ndarray | None, nsym: int, slack: int) -> bool:
    """Whether RS with ``nsym`` parity bytes fixes each codeword of these wrong (and doubtful) bytes."""
    words = ecc.codeword_index(wrong_bytes.size)
    plain = np.bincount(words[wrong_bytes], minlength=words[-1] + 1 if words.size else 1)
    if plain.max(initial=0) <= nsym // 2 - slack:
        return True
    if doubtful is None:
        return False
    unflagged = np.bincount(words[wrong_bytes & ~doubtful], minlength=plain.size)
    flagged = np.bincount(words[doubtful], minlength=plain.size)
    # each codeword is decoded plainly first, with erasures where that fails
    ok = (plain <= nsym // 2 - slack) | (2 * unflagged + flagged <= nsym - 2 * slack)
    return bool(ok.all())


def correctable(wrong_bits: np.ndarray, stream_length: int, nsym: int = DEFAULT_NSYM, slack: int = 0,
                margins: np.ndarray | None = None) -> bool:
    """Whether the wrong stream bits (bool per stream bit) leave every codeword within its code's reach,
    with ``slack`` bytes to spare in each; with ``margins`` (per stream bit), as :func:`decode_stream`
    decodes them, doubtful bytes as erasures."""
    wrong_bytes = wrong_bits.reshape(-1, 8).any(axis=1)
    head = HEADER_BITS // 8
    if margins is None:
        head_doubt = body_doubt = None
    else:
        head_doubt = doubtful_bytes(margins[:HEADER_BITS], HEADER_NSYM)
        body_doubt = doubtful_bytes(margins[HEADER_BITS:stream_length], nsym)
    # the header's code is small (8 wrong bytes of 26): it keeps at most 2 in reserve
    return (_within_reach(wrong_bytes[:head], head_doubt, HEADER_NSYM, min(slack, 2))
            and _within_reach(wrong_bytes[head : stream_length // 8], body_doubt, nsym, slack))
