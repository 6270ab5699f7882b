"""The key file ``z.npy``: what the 8-bit stego cannot carry, bound to its stego.

A key is a single structured NumPy record (no pickled objects; loaded with
``allow_pickle=False``) holding the model name, a SHA-256 of the stego's
pixels, z (the INN's lost-information branch) and the stego's 8-bit rounding
residual. With both, the inverse pass sees exactly the float stego the forward
pass produced, so keyed reveal is exact by construction instead of depending on
how well a model tolerates rounding. Binding the key to its model and stego
turns "wrong model for this key" and "key of another stego" into clear errors
instead of garbage (or, worse, another valid message).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stegcli.errors import InputError
from stegcli.io.files import read_source

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
    residual: np.ndarray  # float16, (3, h, w): float stego minus 8-bit stego, in [0, 1] units

    def to_bytes(self) -> bytes:
        dtype = np.dtype([("format", "S8"), ("model", "S32"), ("digest", "S64"), ("z", "<f4", self.z.shape),
                          ("residual", "<f2", self.residual.shape)])
        record = np.zeros((), dtype=dtype)
        record["format"], record["model"], record["digest"] = KEY_FORMAT, self.model.encode(), self.digest.hex().encode()
        record["z"], record["residual"] = self.z, self.residual
        buf = io.BytesIO()
        np.save(buf, record, allow_pickle=False)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, label: str = "key") -> "StegoKey":
        try:
            record = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError):  # numpy's own text suggests unpickling, which keys never need
            raise InputError(f"{label}: not a valid .npy key file (steg hide --key-out writes them)") from None
        if not isinstance(record, np.ndarray):  # an .npz archive
            raise InputError(f"{label}: an .npz archive, not a .npy key file (steg hide --key-out writes them)")
        names = record.dtype.names or ()
        if record.shape != () or set(names) != {"format", "model", "digest", "z", "residual"}:
            raise InputError(f"{label}: not a stegcli key (dtype {record.dtype}, shape {record.shape})")
        if record["format"].item() != KEY_FORMAT:
            raise InputError(f"{label}: unsupported key format {record['format'].item()!r}")
        z, residual = np.asarray(record["z"]), np.asarray(record["residual"])
        if z.dtype != np.float32:
            raise InputError(f"{label}: z has dtype {z.dtype}, expected float32")
        if residual.dtype != np.float16:
            raise InputError(f"{label}: residual has dtype {residual.dtype}, expected float16")
        try:
            model, digest = record["model"].item().decode(), bytes.fromhex(record["digest"].item().decode())
        except (ValueError, AttributeError):  # not bytes, not UTF-8 or not hex
            raise InputError(f"{label}: key header is corrupt") from None
        return cls(model=model, digest=digest, z=z.copy(), residual=residual.copy())


def read_key(source: str | Path) -> StegoKey:
    """Load a key file written by ``--key-out`` (never unpickles anything)."""
    data, label = read_source(source, "key")
    return StegoKey.from_bytes(data, f"key {label}")
