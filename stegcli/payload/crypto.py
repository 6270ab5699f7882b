"""Passphrase protection of a payload: scrypt keys, ChaCha20-Poly1305 sealing, a passphrase-keyed layout seed.

Nothing here is home-made cryptography: the key derivation (scrypt, memory-hard) and the authenticated
cipher (ChaCha20-Poly1305) come from the ``cryptography`` package. Two keys come from a passphrase:

- the **layout seed** (:func:`layout_seed`), which decides where in the image the payload's bits go.
  It is derived with a fixed, public salt because it must be known before anything can be read from
  the image; it hides where the bits are, not what they say.
- the **sealing key**, derived with a random per-message salt that travels in the sealed blob, so that
  precomputed tables over common passphrases do not apply. The AEAD tag decides whether the bytes
  came back exactly: a wrong passphrase, a damaged stego and a stego without a payload all fail it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from stegcli.errors import IntegrityError, UsageError

SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
LAYOUT_SALT = b"stegcli/keyless-layout/v1"
PUBLIC_LAYOUT_SEED = b"stegcli/public-layout/v1"  # the layout of payloads without a passphrase


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost: 2**log2_n blocks of 128 * r bytes (32 MiB at the default), p lanes."""

    log2_n: int = 15
    r: int = 8
    p: int = 1

    def derive(self, passphrase: bytes, salt: bytes) -> bytes:
        if not 10 <= self.log2_n <= 22 or not 1 <= self.r <= 32 or not 1 <= self.p <= 4:
            raise IntegrityError("payload header is corrupt (scrypt parameters out of range)")
        return Scrypt(salt=salt, length=32, n=1 << self.log2_n, r=self.r, p=self.p).derive(passphrase)


DEFAULT_KDF = KdfParams()
_PARAMS = struct.Struct(">BBB")
SEAL_OVERHEAD = SALT_BYTES + NONCE_BYTES + _PARAMS.size + TAG_BYTES  # bytes a sealed blob adds to its message


def check_passphrase(passphrase: bytes) -> bytes:
    if not passphrase:
        raise UsageError("the passphrase is empty")
    return passphrase


def layout_seed(passphrase: bytes | None) -> bytes:
    """32 bytes that key the payload's layout: the public seed without a passphrase, scrypt of it with one."""
    if passphrase is None:
        return PUBLIC_LAYOUT_SEED
    return _layout_seed(check_passphrase(passphrase), DEFAULT_KDF)


@lru_cache(maxsize=4)
def _layout_seed(passphrase: bytes, kdf: KdfParams) -> bytes:
    """Cached: a reader tries several regions and models with one passphrase, and each scrypt is meant to
    be slow and costs 32 MiB."""
    return kdf.derive(passphrase, LAYOUT_SALT)


def seal(message: bytes, passphrase: bytes, header: bytes, kdf: KdfParams = DEFAULT_KDF) -> bytes:
    """salt | nonce | scrypt parameters | ChaCha20-Poly1305(message), with ``header`` authenticated too."""
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    params = _PARAMS.pack(kdf.log2_n, kdf.r, kdf.p)
    key = kdf.derive(check_passphrase(passphrase), salt)
    return salt + nonce + params + ChaCha20Poly1305(key).encrypt(nonce, message, header + params)


def unseal(blob: bytes, passphrase: bytes, header: bytes) -> bytes:
    """The message of :func:`seal`, or IntegrityError: never bytes the tag does not vouch for."""
    if len(blob) < SEAL_OVERHEAD:
        raise IntegrityError("payload is corrupt (shorter than its encryption header)")
    salt, nonce = blob[:SALT_BYTES], blob[SALT_BYTES : SALT_BYTES + NONCE_BYTES]
    params = blob[SALT_BYTES + NONCE_BYTES : SALT_BYTES + NONCE_BYTES + _PARAMS.size]
    key = KdfParams(*_PARAMS.unpack(params)).derive(check_passphrase(passphrase), salt)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, blob[len(salt) + len(nonce) + len(params) :], header + params)
    except InvalidTag:
        raise IntegrityError("payload failed its authentication (damaged stego)") from None
