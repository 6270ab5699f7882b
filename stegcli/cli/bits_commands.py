"""``steg embed-bits``, ``extract-bits``, ``capacity`` (also ``steg bits ...``)."""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer
from rich.table import Table

from stegcli.bits import DEFAULT_BITS_MODEL, BitsCodec, capacity_bytes
from stegcli.cli.common import (
    BitsModel,
    Device,
    Force,
    Json,
    Quiet,
    check_stego_outputs,
    console,
    notice,
    read_stego_and_key,
    setup,
    to_json,
    write_stego,
)
from stegcli.device import resolve_device
from stegcli.errors import UsageError
from stegcli.imageio import (
    STDIO,
    check_output,
    read_bytes,
    read_image,
    write_output,
)
from stegcli.zoo import get_spec, model_info, registered_models


def embed_bits_command(
    message: Annotated[str, typer.Argument(help="File to hide ('-' for stdin).")],
    cover: Annotated[str, typer.Option("--cover", "-c", help="Cover image ('-' for stdin).")] = STDIO,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Stego image (lossless format); '-' or omitted: stdout (PNG).")] = None,
    key_out: Annotated[Optional[str], typer.Option("--key-out", help="Write the key z (.npy) for exact extraction.")] = None,
    model: BitsModel = DEFAULT_BITS_MODEL,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Hide a file (any bytes) in a cover image, bit-exact."""
    setup(quiet)
    if message == STDIO and cover == STDIO:
        raise UsageError("the message and the cover cannot both come from stdin; give --cover FILE")
    check_stego_outputs(output, key_out, [message, cover], force)
    codec = BitsCodec.from_name(get_spec(model, "bits").name, resolve_device(device))
    cover_image = read_image(cover, "cover")
    payload = read_bytes(message, "message")
    result = codec.embed(cover_image, payload)
    write_stego(output, key_out, result.stego, result.key)
    notice(f"embedded {result.message_bytes} of {result.capacity_bytes} bytes with {codec.name}")
    if result.keyless_ok:
        notice("checked: extraction works with and without the key")
    elif key_out is None:
        logging.getLogger("stegcli").warning(
            "warning: this stego can only be read with its key, and no --key-out was given; "
            "embed again with --key-out or with a smaller message")
    else:
        notice("checked: extraction works with the key (not without it for this cover/message)")


def extract_bits_command(
    stego: Annotated[str, typer.Argument(help="Stego image ('-' for stdin).")],
    key: Annotated[Optional[str], typer.Option("--key", "-k", help="Key file z.npy written by embed-bits.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Where to write the message; '-' or omitted: stdout.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="bits-1, bits-2 or bits-3 (default: the key's model, else bits-3).")] = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Get the exact hidden bytes back, or fail with a non-zero exit code."""
    setup(quiet)
    check_output(output, [stego] + ([key] if key else []), force)
    image, stego_key = read_stego_and_key(stego, key, "bits")
    name = model or (stego_key.model if stego_key is not None else DEFAULT_BITS_MODEL)
    codec = BitsCodec.from_name(get_spec(name, "bits").name, resolve_device(device))
    message = codec.extract(image, stego_key)
    write_output(output, message)
    notice(f"extracted {len(message)} bytes, CRC32 verified" + ("" if key else " (keyless)"))


def capacity_command(
    cover: Annotated[str, typer.Argument(help="Cover image ('-' for stdin).")],
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """How many bytes fit in a cover, per supported bpp."""
    setup(quiet)
    image = read_image(cover, "cover")
    h, w = image.shape[:2]
    rows = []
    for spec in registered_models("bits"):
        bpp = int(spec.name.split("-")[1])
        rows.append({"model": spec.name, "bpp": bpp, "bytes": capacity_bytes(h, w, bpp),
                     "installed": model_info(spec)["installed"]})
    if as_json:
        typer.echo(to_json({"width": w, "height": h, "capacity": rows}))
        return
    table = Table(title=f"capacity of a {w}x{h} cover")
    for col in ("model", "bpp", "bytes", "installed"):
        table.add_column(col, justify="right" if col in ("bpp", "bytes") else "left")
    for r in rows:
        table.add_row(r["model"], str(r["bpp"]), f"{r['bytes']:,}", "yes" if r["installed"] else "no")
    console.print(table)
