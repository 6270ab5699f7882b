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


def syndromes(word: bytes, nsym: int) -> list[int]:
    """reedsolo's syndrome polynomial of one codeword (``rs_calc_syndromes``: a leading 0, then the word
    evaluated at generator**i), computed with NumPy: it is most of a decode's time in pure Python."""
    _codec(nsym)  # the field's tables exist once a codec does
    exp, log = _tables()
    values = np.frombuffer(word, dtype=np.uint8).astype(np.int64)
    nonzero = values != 0
    powers = len(word) - 1 - np.flatnonzero(nonzero)  # the degree of each coefficient (first byte: highest)
    terms = exp[(log[values[nonzero]][None, :] + np.arange(nsym)[:, None] * powers[None, :]) % 255]
    return [0] + np.bitwise_xor.reduce(terms, axis=1, initial=0).tolist()


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    return np.array(reedsolo.gf_exp[:255], dtype=np.int64), np.array(reedsolo.gf_log, dtype=np.int64)


def _correct(word: bytes, nsym: int, erasures: list[int]) -> bytes:
    """One codeword through reedsolo's decoder (``rs_correct_msg``'s steps), with :func:`syndromes`."""
    msg = bytearray(word)
    for position in erasures:
        msg[position] = 0
    if len(erasures) > nsym:
        raise reedsolo.ReedSolomonError("Too many erasures to correct")
    synd = syndromes(bytes(msg), nsym)
    if max(synd) == 0:
        return bytes(msg[:-nsym])
    forney = reedsolo.rs_forney_syndromes(synd, erasures, len(msg), 2)
    locator = reedsolo.rs_find_error_locator(forney, nsym, erase_count=len(erasures))
    positions = reedsolo.rs_find_errors(locator[::-1], len(msg), 2)
    if positions is None:
        raise reedsolo.ReedSolomonError("Could not locate error")
    msg = reedsolo.rs_correct_errata(msg, synd, erasures + positions, 0, 2)
    if max(syndromes(bytes(msg), nsym)) > 0:
        raise reedsolo.ReedSolomonError("Could not correct message")
    return bytes(msg[:-nsym])


def decode(coded: bytes, nsym: int, doubtful: np.ndarray | None = None) -> bytes:
    """The data bytes, corrected; IntegrityError where a codeword has more errors than the code can fix.

    Each codeword is decoded as it is; where that fails and ``doubtful`` (a bool per byte of ``coded``)
    is given, it is decoded again with its doubtful bytes as erasures.
    """
    parts = []
    try:
        for start in range(0, len(coded), CODEWORD):
            word = coded[start : start + CODEWORD]
            try:
                parts.append(_correct(word, nsym, []))
            except reedsolo.ReedSolomonError:
                if doubtful is None:
                    raise
                parts.append(_correct(word, nsym, np.flatnonzero(doubtful[start : start + len(word)]).tolist()))
    except reedsolo.ReedSolomonError:
        raise IntegrityError("payload has more bit errors than its error correction can fix") from None
    return b"".join(parts)
