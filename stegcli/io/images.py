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
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from stegcli.errors import InputError
from stegcli.io.files import (
    MAX_PIXELS,
    check_encodable,
    is_jpeg,
    lossless_format,
    read_source,
)

log = logging.getLogger("stegcli")

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses decompression bombs past this many pixels
EXIF_ORIENTATION = 0x0112


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
    data, label = read_source(source, what, stdin)
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


def jpeg_bytes(image: np.ndarray, quality: int, full_chroma: bool = False) -> bytes:
    """Pillow JPEG at ``quality`` (1-95; 4:2:0 chroma unless ``full_chroma`` (4:4:4), Pillow's defaults otherwise)."""
    buf = io.BytesIO()
    Image.fromarray(image, "RGB").save(buf, format="JPEG", quality=quality, subsampling=0 if full_chroma else -1)
    return buf.getvalue()


def encode_image(image: np.ndarray, dest: str | Path, jpeg_quality: int | None = None) -> bytes:
    """The one encoder: for a JPEG destination, a JPEG at ``jpeg_quality`` when one is given (robust
    stegos, attacked and revealed images); else losslessly by the destination's suffix (PNG for
    stdout), refusing lossy formats (a lossless stego's payload would not survive them)."""
    if jpeg_quality is not None and is_jpeg(dest):
        return jpeg_bytes(image, jpeg_quality)
    fmt = lossless_format(dest)
    check_encodable(dest, *image.shape[:2])
    buf = io.BytesIO()
    options = {"lossless": True, "quality": 100} if fmt == "WEBP" else {}
    Image.fromarray(image, "RGB").save(buf, format=fmt, **options)
    return buf.getvalue()
