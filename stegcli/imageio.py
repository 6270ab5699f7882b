"""Reading and writing images, keys and payload files safely.

* Inputs: anything Pillow decodes; grayscale, palette, alpha and 16-bit
  images are converted to 8-bit RGB with a notice. ``-`` reads stdin.
* Outputs: written atomically (temp file + rename), never over an input,
  never over an existing file without ``force``. Stego images are only
  written in lossless formats, because lossy compression destroys the payload.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from stegcli.errors import InputError, UsageError
from stegcli.key import StegoKey

log = logging.getLogger("stegcli")

STDIO = "-"
LOSSLESS_FORMATS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
LOSSY_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".gif", ".heic", ".avif"}

# Pillow refuses decompression bombs past this many pixels; stegcli accepts up to 16k x 16k.
Image.MAX_IMAGE_PIXELS = 16384 * 16384
WEBP_MAX_SIDE = 16383  # libwebp's limit on either side
EXIF_ORIENTATION = 0x0112


def _read_source(source: str | Path, what: str, stdin: BinaryIO | None = None) -> tuple[bytes, str]:
    if str(source) == STDIO:
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read()
        if not data:
            raise InputError(f"{what}: standard input is empty")
        return data, "<stdin>"
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot be read ({exc.strerror})") from None


def read_bytes(source: str | Path, what: str = "message", stdin: BinaryIO | None = None) -> bytes:
    """Read a whole file (or stdin for ``-``); an empty message is allowed from a file."""
    if str(source) == STDIO:
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read()
    return _read_source(source, what)[0]


def decode_image(data: bytes, label: str, what: str = "image") -> np.ndarray:
    """Decode image bytes to an (H, W, 3) uint8 array, turned upright as its EXIF orientation says."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; stegcli's limit is the limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                sixteen_bit = any(";16" in str(tile[3]) for tile in img.tile)  # Pillow reads 16-bit RGB as 8-bit
                img.load()
                if sixteen_bit and img.mode not in ("I;16", "I;16B", "I;16L", "I"):
                    log.info("%s: 16-bit image reduced to 8 bits", label)
                return _to_rgb8(_upright(img, label), label)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{what} {label}: image is larger than {Image.MAX_IMAGE_PIXELS} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{what} {label}: not a readable image ({exc.__class__.__name__})") from None


def _upright(img: Image.Image, label: str) -> Image.Image:
    """Apply an EXIF orientation (phone photos), so pixels are hidden as the picture is seen."""
    orientation = img.getexif().get(EXIF_ORIENTATION, 1)
    if orientation in (None, 1) or not 2 <= int(orientation) <= 8:
        return img
    log.info("%s: turned upright as its EXIF orientation (%d) says", label, orientation)
    return ImageOps.exif_transpose(img)


def read_image(source: str | Path, what: str = "image", stdin: BinaryIO | None = None) -> np.ndarray:
    data, label = _read_source(source, what, stdin)
    return decode_image(data, label, what)


def _to_rgb8(img: Image.Image, label: str) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # I;16 is 16-bit by definition; a 32-bit I image (Pillow's older 16-bit PNGs) is scaled the same way
        # unless its values need more.
        arr = np.asarray(img).astype(np.float64)
        top = max(65535.0, float(arr.max()))
        log.info("%s: %d-bit image reduced to 8 bits", label, 16 if top == 65535.0 else 32)
        img = Image.fromarray(np.clip(arr / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")
        mode = "L"
    elif mode == "F":  # floating-point TIFFs: values in [0, 1] by convention, else taken as grey levels
        arr = np.nan_to_num(np.asarray(img, dtype=np.float64))
        unit = arr.size > 0 and arr.max() <= 1.0
        log.info("%s: floating-point image reduced to 8 bits (values read as %s)", label, "0-1" if unit else "0-255")
        img = Image.fromarray(np.clip(arr * (255.0 if unit else 1.0) + 0.5, 0, 255).astype(np.uint8), "L")
        mode = "L"
    if mode == "RGB":
        return np.asarray(img, dtype=np.uint8).copy()
    if mode == "P" and "transparency" in img.info or mode in ("RGBA", "LA", "PA"):
        log.info("%s: alpha channel dropped (stego images are RGB)", label)
    elif mode in ("L", "1"):
        log.info("%s: grayscale image converted to RGB", label)
    elif mode == "P":
        log.info("%s: palette image converted to RGB", label)
    else:
        log.info("%s: %s image converted to RGB", label, mode)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def encode_png(image: np.ndarray) -> bytes:
    return encode_image(image, STDIO)


def lossless_format(dest: str | Path) -> str:
    """Pillow format name for a stego destination; refuses lossy and unknown formats."""
    if str(dest) == STDIO:
        return "PNG"
    suffix = Path(dest).suffix.lower()
    if suffix in LOSSY_SUFFIXES:
        raise UsageError(
            f"{dest}: {suffix[1:].upper()} is lossy and would destroy the hidden data; "
            "write .png (or .bmp/.tif/.webp, saved losslessly)"
        )
    fmt = LOSSLESS_FORMATS.get(suffix)
    if fmt is None:
        raise UsageError(f"{dest}: unknown image format {suffix or '(no suffix)'!r}; use .png")
    return fmt


def check_encodable(dest: str | Path | None, height: int, width: int) -> None:
    """Refuse, before any work, an image size the destination's format cannot store."""
    if dest is not None and str(dest) != STDIO and Path(dest).suffix.lower() == ".webp" \
            and max(height, width) > WEBP_MAX_SIDE:
        raise UsageError(f"{dest}: WebP stores at most {WEBP_MAX_SIDE} pixels a side, this image is "
                         f"{width}x{height}; write .png")


def encode_image(image: np.ndarray, dest: str | Path) -> bytes:
    """Encode for the destination's suffix (PNG for stdout), losslessly."""
    fmt = lossless_format(dest)
    check_encodable(dest, *image.shape[:2])
    buf = io.BytesIO()
    options = {"lossless": True, "quality": 100} if fmt == "WEBP" else {}
    Image.fromarray(image, "RGB").save(buf, format=fmt, **options)
    return buf.getvalue()


def check_output(dest: str | Path | None, inputs: list[str | Path], force: bool, makes_folder: bool = False) -> None:
    """Refuse an output path before any work is done (so nothing partial appears).

    ``makes_folder``: the writer creates a missing folder (``steg train --export``), so that is no error.
    """
    if dest is None or str(dest) == STDIO:
        return
    out = Path(dest)
    for src in inputs:
        if str(src) != STDIO and Path(src).exists() and out.exists() and out.resolve() == Path(src).resolve():
            raise UsageError(f"refusing to overwrite input {src} with an output")
    if out.is_dir() or not out.name:
        raise UsageError(f"output {out} is a directory")
    if out.exists() and not force:
        raise UsageError(f"output {out} exists; use --force to overwrite it")
    folder = out.parent
    for above in (folder, *folder.parents):  # the nearest part of the path that exists must be a folder
        if above.exists():
            if not above.is_dir():
                raise UsageError(f"output {out}: {above} is not a folder")
            break
    if not makes_folder and not folder.exists():
        raise UsageError(f"output folder {folder} does not exist")


def same_file(first: str | Path, second: str | Path) -> bool:
    """Whether two output names are one file however they are spelt (``-`` is stdout, one stream)."""
    if STDIO in (str(first), str(second)):
        return str(first) == str(second)
    return Path(first).resolve() == Path(second).resolve()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_output(dest: str | Path | None, data: bytes, stdout: BinaryIO | None = None) -> None:
    """Write ``data`` atomically to ``dest``; ``None`` or ``-`` means stdout."""
    write_outputs([(dest, data)], stdout)


def write_outputs(items: list[tuple[str | Path | None, bytes]], stdout: BinaryIO | None = None) -> None:
    """Write several outputs all or none: every file goes to a temporary name first and is renamed once all are
    written, so a failure (a full disk, a folder that cannot be written) leaves none of them.
    ``None`` or ``-`` means stdout, written last."""
    temps: list[tuple[str, Path]] = []
    out = None
    try:
        for dest, data in items:
            if dest is not None and str(dest) != STDIO:
                out = Path(dest)
                temps.append((_write_temp(out, data), out))
        for tmp, out in temps:
            os.replace(tmp, out)
    except OSError as exc:
        raise UsageError(f"output {out}: cannot be written ({exc.strerror or exc})") from None
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    for dest, data in items:
        if dest is None or str(dest) == STDIO:
            stream = stdout if stdout is not None else sys.stdout.buffer
            stream.write(data)
            stream.flush()


def _write_temp(out: Path, data: bytes) -> str:
    """``data`` in a new temporary file beside ``out`` (so that renaming it over ``out`` is atomic)."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent if str(out.parent) else ".")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def read_key(source: str | Path) -> StegoKey:
    """Load a key file written by ``--key-out`` (never unpickles anything)."""
    data, label = _read_source(source, "key")
    return StegoKey.from_bytes(data, f"key {label}")
