"""Shared pieces of the ``steg`` commands: option types, notices, output checks, JSON.

stdout carries data only (PNG bytes, extracted bytes, ``--json``); notices,
tables and progress go to stderr through :data:`console` and the ``stegcli`` logger.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from PIL import Image
from rich.console import Console

from stegcli.engine import MIN_SIDE
from stegcli.errors import UsageError
from stegcli.imageio import (
    STDIO,
    check_output,
    encode_image,
    lossless_format,
    read_image,
    read_key,
    write_output,
)
from stegcli.key import StegoKey

console = Console(stderr=True, soft_wrap=True)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Silence notices (errors still print).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files (inputs are never overwritten).")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda (auto picks CUDA when available).")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
BitsModel = Annotated[str, typer.Option("--model", "-m", help="bits-1, bits-2 or bits-3.")]


def parse_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT``, as image tools write sizes -> (height, width), each side at least MIN_SIDE."""
    match = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if match is None:
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1024x768")
    width, height = int(match[1]), int(match[2])
    if min(width, height) < MIN_SIDE or width * height > Image.MAX_IMAGE_PIXELS:
        raise UsageError(f"--size {text}: each side at least {MIN_SIDE} pixels, "
                         f"the whole at most {Image.MAX_IMAGE_PIXELS} pixels")
    return height, width


class StderrHandler(logging.Handler):
    """Writes each notice as one plain line to the current sys.stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def setup(quiet: bool) -> None:
    """Route library notices (logger 'stegcli') to stderr unless --quiet."""
    logger = logging.getLogger("stegcli")
    logger.handlers.clear()
    logger.addHandler(StderrHandler())
    logger.setLevel(logging.WARNING if quiet else logging.INFO)


def notice(text: str) -> None:
    logging.getLogger("stegcli").info(text)


def refuse_binary_to_terminal(output: Optional[str], what: str) -> None:
    if (output is None or output == STDIO) and sys.stdout.isatty():
        raise UsageError(f"refusing to write {what} to a terminal; use -o FILE or redirect stdout")


def to_json(data) -> str:
    """Strict JSON: infinite values (identical images) become the string "inf"."""

    def clean(value):
        if isinstance(value, float) and value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(data), indent=2, allow_nan=False)


def check_stego_outputs(output: Optional[str], key_out: Optional[str], inputs: list[str], force: bool) -> None:
    """Refuse bad stego/key destinations before any work, so nothing partial is written."""
    check_output(output, inputs, force)
    check_output(key_out, inputs, force)
    if output is not None and key_out is not None and Path(output) == Path(key_out):
        raise UsageError("--output and --key-out name the same file")
    if output is not None:
        lossless_format(output)
    refuse_binary_to_terminal(output, "a PNG image")


def write_stego(output: Optional[str], key_out: Optional[str], stego, key) -> None:
    write_output(output, encode_image(stego, output or STDIO))
    if key_out is not None:
        write_output(key_out, key.to_bytes())


def read_stego_and_key(stego: str, key: Optional[str]) -> tuple[np.ndarray, Optional[StegoKey]]:
    """The stego first, then the key: in a pipeline the key file is complete once stdin ends."""
    image = read_image(stego, "stego")
    return image, (read_key(key) if key is not None else None)
