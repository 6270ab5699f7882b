"""``steg embed-bits``, ``extract-bits``, ``capacity`` (also ``steg bits ...``)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from stegcli.cli.common import (
    Device,
    Force,
    Json,
    Passphrase,
    PassphraseFile,
    Quiet,
    check_stego_outputs,
    console,
    count_progress,
    notice,
    pass_progress,
    read_passphrase,
    read_stego_and_key,
    setup,
    step_progress,
    to_json,
    write_stego,
)
from stegcli.device import resolve_device
from stegcli.errors import UsageError
from stegcli.io.files import STDIO, check_output, read_bytes, write_output
from stegcli.models.registry import (
    DEFAULT_BITS_MODEL,
    KEYLESS_BITS_MODEL,
    get_spec,
    open_codec,
    registered_models,
)

OptionalBitsModel = Annotated[Optional[str], typer.Option(
    "--model", "-m", help=f"bits-1, bits-2 or bits-3 (default: {KEYLESS_BITS_MODEL} to embed keylessly, "
                          f"{DEFAULT_BITS_MODEL} with --key-out; extract-bits: the key's model, else each installed one).",
    show_default=False)]


def embed_bits_command(
    message: Annotated[str, typer.Argument(help="File to hide ('-' for stdin).")],
    cover: Annotated[str, typer.Option("--cover", "-c", help="Cover image ('-' for stdin).")] = STDIO,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Stego image (lossless format); '-' or omitted: stdout (PNG).")] = None,
    passphrase: Passphrase = False,
    passphrase_file: PassphraseFile = None,
    key_out: Annotated[Optional[str], typer.Option("--key-out", help="The seed's keyed mode: write the key z (.npy), "
                                                   "as large as the image, for exact extraction with it.")] = None,
    stealth: Annotated[bool, typer.Option("--stealth", help="A small payload (at most 0.05 bits per pixel) written as "
                                          "sparse changes where the cover's texture hides them: what a steganalyser "
                                          "finds hardest to tell from a cover (slower; docs/models.md).")] = False,
    model: OptionalBitsModel = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Hide a file (any bytes) in a cover image, bit-exact.

    By default the stego alone carries the file: it is checked to decode exactly without a key before it is
    written. With -p the file is encrypted and laid out under a passphrase; without it, anyone with stegcli
    can read it.
    """
    from stegcli.io.images import read_image

    setup(quiet)
    if message == STDIO and cover == STDIO:
        raise UsageError("the message and the cover cannot both come from stdin; give --cover FILE")
    check_stego_outputs(output, key_out, [message, cover], force)
    if key_out is not None and (passphrase or passphrase_file):
        raise UsageError("a passphrase protects keyless payloads; leave out --key-out (or the passphrase)")
    if key_out is not None and stealth:
        raise UsageError("--stealth is a keyless setting; leave out --key-out (or --stealth)")
    secret = None if key_out is not None else read_passphrase(passphrase, passphrase_file, confirm=True)
    default = DEFAULT_BITS_MODEL if key_out is not None else KEYLESS_BITS_MODEL
    codec = open_codec(model or default, resolve_device(device), kind="bits")
    cover_image = read_image(cover, "cover")
    payload = read_bytes(message, "message")
    if key_out is not None:
        _embed_keyed(codec, cover_image, payload, output, key_out)
        return
    settings = codec.stealth_settings if stealth else codec.keyless_settings
    with step_progress("hiding", settings.max_steps) as progress:
        result = codec.embed_keyless(cover_image, payload, secret, progress=progress, stealth=stealth)
    write_stego(output, None, result.stego, None)
    how = ", stealth" if stealth else ""
    notice(f"embedded {result.message_bytes} of {result.capacity_bytes} bytes with {codec.name}{how} "
           f"({result.steps} optimisation steps); checked: it decodes exactly from the stego alone")
    if secret is None:
        notice("not encrypted: anyone with stegcli can read it (use -p for a passphrase)")


def _embed_keyed(codec, cover, payload: bytes, output: Optional[str], key_out: str) -> None:
    with pass_progress("embedding", codec.engine):
        result = codec.embed(cover, payload)
    write_stego(output, key_out, result.stego, result.key)
    notice(f"embedded {result.message_bytes} of {result.capacity_bytes} bytes with {codec.name}")
    if result.keyless_ok:
        notice("checked: extraction works with and without the key")
    else:
        notice("checked: extraction works with the key (not without it for this cover/message)")


def extract_bits_command(
    stego: Annotated[str, typer.Argument(help="Stego image ('-' for stdin).")],
    key: Annotated[Optional[str], typer.Option("--key", "-k", help="Key file z.npy written by embed-bits --key-out.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Where to write the message; '-' or omitted: stdout.")] = None,
    passphrase: Passphrase = False,
    passphrase_file: PassphraseFile = None,
    model: OptionalBitsModel = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Get the exact hidden bytes back, or fail with exit 5 (a wrong passphrase and no payload alike)."""
    setup(quiet)
    check_output(output, [stego] + ([key] if key else []), force)
    if key is not None and (passphrase or passphrase_file):
        raise UsageError("a passphrase opens keyless payloads; leave out --key (or the passphrase)")
    secret = None if key is not None else read_passphrase(passphrase, passphrase_file, confirm=False)
    image, stego_key = read_stego_and_key(stego, key, "bits")
    if stego_key is not None:
        codec = open_codec(model or stego_key.model, resolve_device(device), kind="bits")
        with pass_progress("extracting", codec.engine):
            message = codec.extract(image, stego_key)
        name, check = codec.name, "CRC32 verified"
    else:
        from stegcli.codecs.bits import extract_keyless_any

        models = [get_spec(model, "bits").name] if model else None
        with count_progress("extracting", "tiles") as progress:
            name, message = extract_keyless_any(image, secret, models, resolve_device(device), progress)
        check = "decrypted and authenticated" if secret is not None else "CRC32 verified, keyless"
    write_output(output, message)
    notice(f"extracted {len(message)} bytes with {name}, {check}")


def capacity_command(
    cover: Annotated[str, typer.Argument(help="Cover image ('-' for stdin).")],
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """How many bytes fit in a cover, per bits model: keyless (what embed-bits guarantees) and with a key file."""
    from stegcli.codecs.bits import capacity_bytes, keyless_capacity_bytes
    from stegcli.io.images import read_image
    from stegcli.models.weights import model_info

    setup(quiet)
    image = read_image(cover, "cover")
    h, w = image.shape[:2]
    rows = []
    for spec in registered_models("bits"):
        bpp = spec.bpp
        rows.append({"model": spec.name, "bpp": bpp, "keyless_bytes": keyless_capacity_bytes(h, w, bpp, sealed=False),
                     "passphrase_bytes": keyless_capacity_bytes(h, w, bpp, sealed=True),
                     "stealth_bytes": keyless_capacity_bytes(h, w, bpp, sealed=True, stealth=True),
                     "keyed_bytes": capacity_bytes(h, w, bpp), "installed": model_info(spec)["installed"]})
    if as_json:
        typer.echo(to_json({"width": w, "height": h, "capacity": rows}))
        return
    table = Table(title=f"capacity of a {w}x{h} cover, bytes")
    columns = {"model": "model", "bpp": "bpp", "keyless_bytes": "keyless", "passphrase_bytes": "keyless + passphrase",
               "stealth_bytes": "--stealth + passphrase",
               "keyed_bytes": "with --key-out", "installed": "installed"}
    for field, title in columns.items():
        table.add_column(title, justify="left" if field in ("model", "installed") else "right")
    for r in rows:
        table.add_row(r["model"], str(r["bpp"]), f"{r['keyless_bytes']:,}", f"{r['passphrase_bytes']:,}", f"{r['stealth_bytes']:,}",
                      f"{r['keyed_bytes']:,}", "yes" if r["installed"] else "no")
    console.print(table)
