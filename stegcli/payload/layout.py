"""Where a payload's bits go: a seeded permutation of every bit position of the image.

The permutation scatters consecutive bits (one error-correcting codeword, one header) over the whole
image and every colour plane, so the few regions a decoder reads badly (flat sky, clipped highlights)
cost each codeword a few bits instead of one codeword many. Keyed by a passphrase
(:func:`stegcli.payload.crypto.layout_seed`), it also means that without the passphrase the bits are
read in the wrong order and no header is found.
"""

from __future__ import annotations

import hashlib

import numpy as np


def bit_positions(seed: bytes, total: int) -> np.ndarray:
    """A permutation of ``range(total)``: stream bit ``i`` lives at flat position ``result[i]``.

    Flat positions index a (planes, height, width) array in C order. The order is an argsort of PCG64's
    raw 64-bit outputs: the raw stream of a seeded bit generator is fixed across NumPy versions, while
    ``Generator.permutation`` makes no such promise, and a stego must stay readable after an upgrade.
    """
    state = int.from_bytes(hashlib.sha256(seed + total.to_bytes(8, "big")).digest(), "big")
    keys = np.random.PCG64(state).random_raw(total)
    return np.argsort(keys, kind="stable")
