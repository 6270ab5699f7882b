"""The key file ``z.npy``: the z branch plus what it belongs to.

A key is a single structured NumPy record (no pickled objects; loaded with
``allow_pickle=False``) holding the model name, a SHA-256 of the stego's
pixels and z itself. Binding the key to its model and stego turns "wrong
model for this key" and "key of another stego" into clear errors instead of
garbage (or, worse, another valid message).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np

from stegcli.errors import InputError

KEY_FORMAT = b"stegkey1"


def stego_digest(stego: np.ndarray) -> bytes:
    """SHA-256 of an (H, W, 3) uint8 stego's pixels and shape (independent of the file format)."""
    h = hashlib.sha256(f"{stego.shape}".encode())
    h.update(np.ascontiguousarray(stego, dtype=np.uint8).tobytes())
    return h.digest()


@dataclass(frozen=True)
class StegoKey:
    model: str
    digest: bytes
    z: np.ndarray  # float32, (z_channels, h/2, w/2) in the wavelet domain

    def to_bytes(self) -> bytes:
        dtype = np.dtype([("format", "S8"), ("model", "S32"), ("digest", "S64"), ("z", "<f4", self.z.shape)])
        record = np.zeros((), dtype=dtype)
        record["format"], record["model"], record["digest"] = KEY_FORMAT, self.model.encode(), self.digest.hex().encode()
        record["z"] = self.z
        buf = io.BytesIO()
        np.save(buf, record, allow_pickle=False)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, label: str = "key") -> "StegoKey":
        try:
            record = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"{label}: not a valid .npy key file ({exc})") from None
        names = record.dtype.names or ()
        if record.shape != () or set(names) != {"format", "model", "digest", "z"}:
            raise InputError(f"{label}: not a stegcli key (dtype {record.dtype}, shape {record.shape})")
        if record["format"].item() != KEY_FORMAT:
            raise InputError(f"{label}: unsupported key format {record['format'].item()!r}")
        z = np.asarray(record["z"])
        if z.dtype != np.float32:
            raise InputError(f"{label}: z has dtype {z.dtype}, expected float32")
        try:
            model, digest = record["model"].item().decode(), bytes.fromhex(record["digest"].item().decode())
        except ValueError:
            raise InputError(f"{label}: key header is corrupt") from None
        return cls(model=model, digest=digest, z=z.copy())
