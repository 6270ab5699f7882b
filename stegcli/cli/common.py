"""Shared pieces of the ``steg`` commands: option types, notices, output checks, JSON.

stdout carries data only (PNG bytes, extracted bytes, ``--json``); notices,
tables and progress go to stderr through :data:`console` and the ``stegcli`` logger.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from stegcli.errors import InputError, UsageError
from stegcli.io.files import (
    MAX_PIXELS,
    MIN_SIDE,
    STDIO,
    check_output,
    lossless_format,
    same_file,
    write_outputs,
)

if TYPE_CHECKING:
    import numpy as np

    from stegcli.io.keys import StegoKey
    from stegcli.models.registry import Kinds

console = Console(stderr=True, soft_wrap=True)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Silence notices (errors still print).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files (inputs are never overwritten).")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda (auto picks CUDA when available).")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
BitsModel = Annotated[str, typer.Option("--model", "-m", help="bits-1, bits-2 or bits-3.")]
PASSPHRASE_ENV = "STEG_PASSPHRASE"
Passphrase = Annotated[bool, typer.Option(
    "--passphrase", "-p",
    help=f"Protect the payload with a passphrase, asked on the terminal (or taken from ${PASSPHRASE_ENV} or "
         "--passphrase-file). Without one, anyone with stegcli can read a keyless payload.")]
PassphraseFile = Annotated[Optional[Path], typer.Option(
    "--passphrase-file", help="Read the passphrase from this file (its first line).")]


def read_passphrase(asked: bool, path: Optional[Path], confirm: bool) -> Optional[bytes]:
    """The passphrase from --passphrase-file, else $STEG_PASSPHRASE, else the terminal where -p asks for it.

    Never from the command line itself, where other users see it in the process list. The terminal is
    read through /dev/tty, so stdin stays free for a piped image.
    """
    if path is not None:
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise InputError(f"--passphrase-file {path}: {exc.strerror or exc}") from None
        lines = text.splitlines()
        text = lines[0] if lines else b""
        return _nonempty(text, f"--passphrase-file {path}")
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return _nonempty(env.encode("utf-8", "surrogateescape"), f"${PASSPHRASE_ENV}")
    if not asked:
        return None
    if not has_terminal():
        raise UsageError(f"no terminal to ask for the passphrase on; set ${PASSPHRASE_ENV} or use --passphrase-file")
    try:
        first = getpass.getpass("passphrase: ")
        if confirm and getpass.getpass("passphrase (again): ") != first:
            raise UsageError("the two passphrases differ")
    except EOFError:
        raise UsageError("no passphrase was typed") from None
    return _nonempty(first.encode("utf-8", "surrogateescape"), "the passphrase")


def has_terminal() -> bool:
    """Whether getpass can ask on the terminal; without one it would read stdin, which may carry the image."""
    if os.name == "nt":
        return sys.stdin.isatty()
    try:
        open("/dev/tty", "rb").close()
    except OSError:
        return False
    return True


def _nonempty(passphrase: bytes, where: str) -> bytes:
    if not passphrase:
        raise UsageError(f"{where} is empty: give a passphrase, or leave -p out for a payload anyone can read")
    return passphrase


def _shows_progress() -> bool:
    return console.is_terminal and logging.getLogger("stegcli").isEnabledFor(logging.INFO)


def _bar(middle: str, counted: bool = False):
    """A transient rich progress bar on stderr: description, bar, (done/total,) ``middle``, elapsed time."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    counts = (MofNCompleteColumn(),) if counted else ()
    return Progress(TextColumn("{task.description}"), BarColumn(), *counts, TextColumn(middle),
                    TimeElapsedColumn(), console=console, transient=True)


@contextmanager
def step_progress(what: str, total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar for a loop of optimisation steps, when stderr is a terminal; the callback takes
    (step, bits still wrong)."""
    if not _shows_progress():
        yield None
        return
    with _bar("{task.fields[wrong]} bits wrong") as bar:
        task = bar.add_task(what, total=total, wrong="?")
        yield lambda step, wrong: bar.update(task, completed=step, wrong=f"{wrong:,}")


@contextmanager
def count_progress(what: str, unit: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar over items (covers of an evaluation), when stderr is a terminal; the callback
    takes (done, total)."""
    if not _shows_progress():
        yield None
        return
    with _bar(unit, counted=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextmanager
def pass_progress(what: str, engine) -> Iterator[None]:
    """A progress bar over the tiles of each network pass of ``engine`` (a codec's), when stderr is a
    terminal: a large photograph takes a while."""
    with count_progress(what, "tiles") as progress:
        engine.progress = progress
        try:
            yield
        finally:
            engine.progress = None


def parse_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT``, as image tools write sizes -> (height, width), each side at least MIN_SIDE."""
    match = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if match is None:
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1024x768")
    width, height = int(match[1]), int(match[2])
    if min(width, height) < MIN_SIDE or width * height > MAX_PIXELS:
        raise UsageError(f"--size {text}: each side at least {MIN_SIDE} pixels, "
                         f"the whole at most {MAX_PIXELS} pixels")
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


def check_stego_outputs(output: Optional[str], key_out: Optional[str], inputs: list[str], force: bool,
                        lossy: bool = False) -> None:
    """Refuse bad stego/key destinations before any work, so nothing partial is written (``lossy``: the
    stego may be a JPEG)."""
    check_output(output, inputs, force)
    check_output(key_out, inputs, force)
    if key_out is not None and same_file(output or STDIO, key_out):
        raise UsageError("--output and --key-out name the same file" if output else
                         "the stego goes to stdout (no -o), so the key cannot: give --key-out FILE")
    if output is not None and not lossy:
        lossless_format(output)
    refuse_binary_to_terminal(output, "a PNG image" if not lossy else "an image")
    if key_out == STDIO:
        refuse_binary_to_terminal(key_out, "a key")


def write_stego(output: Optional[str], key_out: Optional[str], stego, key, jpeg_quality: Optional[int] = None) -> None:
    """The stego and its key, both or neither (a robust stego for a .jpg name at ``jpeg_quality``)."""
    from stegcli.io.images import encode_image

    items = [(output, encode_image(stego, output or STDIO, jpeg_quality))]
    write_outputs(items + ([(key_out, key.to_bytes())] if key_out is not None else []))


def read_stego_and_key(stego: str, key: Optional[str], kinds: Kinds) -> tuple[np.ndarray, Optional[StegoKey]]:
    """The stego first, then the key: in a pipeline the key file is complete once stdin ends.

    A key of a model outside ``kinds`` (a bits key given to reveal) is refused as a wrong input.
    """
    from stegcli.io.images import read_image

    if stego == STDIO and key == STDIO:
        raise UsageError("only one input can come from stdin")
    image = read_image(stego, "stego")
    if key is None:
        return image, None
    from stegcli.io.keys import read_key
    from stegcli.models.registry import find_spec, is_kind

    stego_key = read_key(key)
    spec = find_spec(stego_key.model)
    if spec is not None and not is_kind(spec, kinds):
        wanted = " and ".join((kinds,) if isinstance(kinds, str) else kinds)
        raise InputError(f"key {key}: made by {spec.name}; this command reads the keys of {wanted} models")
    return image, stego_key
