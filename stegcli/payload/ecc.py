"""Reed-Solomon error correction over GF(2^8), from the ``reedsolo`` package.

A keyless decoder reads a few bits wrong; a code of ``nsym`` parity bytes per 255-byte codeword
corrects up to ``nsym // 2`` wrong bytes in each (twice as many where the decoder says which bytes are
doubtful: erasures). The layout (:mod:`stegcli.payload.layout`) scatters each codeword's bits over the
whole image, so the errors of one textured region spread over many codewords instead of sinking one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import reedsolo

from stegcli.errors import IntegrityError

CODEWORD = 255


def coded_length(data_bytes: int, nsym: int) -> int:
    """Bytes that ``data_bytes`` bytes take once each chunk of ``255 - nsym`` has its ``nsym`` parity bytes."""
    chunk = CODEWORD - nsym
    full, rest = divmod(data_bytes, chunk)
    return full * CODEWORD + (rest + nsym if rest else 0)


def data_length(coded_bytes: int, nsym: int) -> int:
    """The largest ``data_bytes`` whose :func:`coded_length` fits in ``coded_bytes``."""
    full, rest = divmod(coded_bytes, CODEWORD)
    return full * (CODEWORD - nsym) + max(rest - nsym, 0)


def codeword_index(coded_bytes: int) -> np.ndarray:
    """Which codeword each byte of a coded stream belongs to (reedsolo codes consecutive 255-byte chunks)."""
    return np.arange(coded_bytes) // CODEWORD


@lru_cache(maxsize=8)
def _codec(nsym: int) -> reedsolo.RSCodec:
    return reedsolo.RSCodec(nsym, nsize=CODEWORD)  # builds generator tables: worth keeping


def encode(data: bytes, nsym: int) -> bytes:
    return bytes(_codec(nsym).encode(data))


def decode(coded: bytes, nsym: int, erasures: list[int] | None = None) -> bytes:
    """The data bytes, corrected; IntegrityError where a codeword has more errors than the code can fix."""
    try:
        data, _, _ = _codec(nsym).decode(bytearray(coded), erase_pos=erasures or None)
    except reedsolo.ReedSolomonError:
        raise IntegrityError("payload has more bit errors than its error correction can fix") from None
    return bytes(data)
