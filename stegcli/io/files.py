"""Paths and bytes: reading inputs (``-`` for stdin), checking destinations before any work, and
writing outputs atomically (temporary files, then a rename; never over an input, never over an
existing file without ``force``). No numpy, no Pillow: the CLI checks its arguments with this
before it loads anything heavy.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from stegcli.errors import InputError, UsageError

STDIO = "-"
MIN_SIDE = 16  # pixels a side every model needs
MAX_PIXELS = 16384 * 16384  # stegcli accepts up to 16k x 16k (Pillow's decompression-bomb limit is set to it)
LOSSLESS_FORMATS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
JPEG_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif"}
LOSSY_SUFFIXES = {*JPEG_SUFFIXES, ".gif", ".heic", ".avif"}
WEBP_MAX_SIDE = 16383  # libwebp's limit on either side


def read_source(source: str | Path, what: str, stdin: BinaryIO | None = None) -> tuple[bytes, str]:
    """The bytes of a file (or of stdin for ``-``) and the name to report it by; an empty stdin is refused."""
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
    return read_source(source, what)[0]


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


def is_jpeg(dest: str | Path) -> bool:
    return Path(dest).suffix.lower() in JPEG_SUFFIXES


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
