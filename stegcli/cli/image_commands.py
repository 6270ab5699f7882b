"""``steg hide`` and ``steg reveal``: images in images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stegcli.cli.common import (
    Device,
    Force,
    Quiet,
    check_stego_outputs,
    notice,
    parse_size,
    pass_progress,
    read_stego_and_key,
    refuse_binary_to_terminal,
    setup,
    write_stego,
)
from stegcli.device import resolve_device
from stegcli.errors import UsageError
from stegcli.io.files import (
    STDIO,
    check_encodable,
    check_output,
    is_jpeg,
    lossless_format,
    write_outputs,
)
from stegcli.models.registry import ModelSpec, get_spec, image_model_for, open_codec

REVEALED_JPEG_QUALITY = 95  # a revealed image carries nothing hidden, so it may be a JPEG


def numbered_outputs(output: str, count: int) -> list[str]:
    """``revealed.png`` -> [``revealed.png``] or [``revealed-1.png``, ...], zero-padded to the count's width."""
    if count == 1:
        return [output]
    path = Path(output)
    if not path.name or path.is_dir():
        raise UsageError(f"output {output} is a directory; give -o NAME.png")
    width = len(str(count))
    return [str(path.with_name(f"{path.stem}-{i:0{width}d}{path.suffix}")) for i in range(1, count + 1)]


Robust = Annotated[bool, typer.Option("--robust", help="Robust model (robust-N), trained against JPEG, noise, blur, rescaling and cropping; no key.")]


def parse_phase(text: str) -> tuple[int, int] | str:
    """``--phase``: ``auto``, or ``R,C`` with the rows and columns (0 or 1) to drop."""
    if text.strip().lower() == "auto":
        return "auto"
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or any(part not in ("0", "1") for part in parts):
        raise UsageError(f"--phase {text!r}: expected auto, or R,C with 0 or 1 each (e.g. 1,0)")
    return int(parts[0]), int(parts[1])


DEFAULT_JPEG_QUALITY = 90  # of a robust stego written as .jpg


def image_spec(robust: bool, model: Optional[str], count: Optional[int]) -> Optional[ModelSpec]:
    """The model to use: --model (--robust with a model that is not robust is refused), else the
    default for ``count`` images (None without a count)."""
    if model is not None:
        spec = get_spec(model, ("isn", "mosaic", "robust"))
        if robust and not spec.lossy:
            raise UsageError(f"--robust needs a robust model (robust-1..3), not {model}")
        return spec
    return None if count is None else get_spec(image_model_for(count, lossy=robust))


def stego_jpeg_quality(spec: ModelSpec, dest: str, quality: Optional[int]) -> Optional[int]:
    """The JPEG quality a stego for ``dest`` is written at (None: losslessly); refuses a JPEG that
    would destroy a lossless model's payload and a quality that does not apply."""
    if is_jpeg(dest) and not spec.lossy:
        raise UsageError(f"{dest}: JPEG would destroy what {spec.name} hides; "
                         "write .png, or use --robust (robust-1..3 are trained for JPEG)")
    if quality is not None and not spec.lossy:
        raise UsageError("--quality is for robust JPEG stego images (--robust -o stego.jpg)")
    if is_jpeg(dest):
        if quality is not None and not 1 <= quality <= 95:
            raise UsageError(f"--quality {quality}: JPEG quality must be 1 to 95")
        return DEFAULT_JPEG_QUALITY if quality is None else quality
    if quality is not None:
        raise UsageError(f"--quality applies to JPEG outputs; {dest} is written losslessly")
    lossless_format(dest)  # refuses other lossy and unknown formats
    return None


def hide_command(
    cover: Annotated[str, typer.Argument(help="Cover image ('-' for stdin).")],
    secrets: Annotated[list[str], typer.Argument(help="1 to 16 secret images (1 to 3 with --robust).")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Stego image (lossless format; .jpg too with --robust); '-' or omitted: stdout (PNG).")] = None,
    key_out: Annotated[Optional[str], typer.Option("--key-out", help="Write the key (.npy) for near-lossless reveal.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Default: isn-N for N <= 5 secrets, else mosaic-9/mosaic-16; robust-N with --robust.")] = None,
    robust: Robust = False,
    quality: Annotated[Optional[int], typer.Option("--quality", help="JPEG quality of a robust .jpg stego (default 90).")] = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Hide 1 to 16 images in a cover image (1 to 3 that survive JPEG and more with --robust)."""
    from stegcli.io.images import read_image

    setup(quiet)
    if sum(1 for s in [cover, *secrets] if s == STDIO) > 1:
        raise UsageError("only one input can come from stdin")
    spec = image_spec(robust, model, len(secrets))
    if key_out is not None and not spec.keyed:
        raise UsageError("robust models have no key: everything is in the stego image (drop --key-out)")
    quality = stego_jpeg_quality(spec, output or STDIO, quality)
    check_stego_outputs(output, key_out, [cover, *secrets], force, lossy=quality is not None)
    codec = open_codec(spec.name, resolve_device(device))
    codec.check_count(len(secrets), f"{len(secrets)} secret image(s)")
    cover_image = read_image(cover, "cover")
    check_encodable(output, *cover_image.shape[:2])
    secret_images = [read_image(s, f"secret {i + 1}") for i, s in enumerate(secrets)]
    with pass_progress("hiding", codec.engine):
        result = codec.hide(cover_image, secret_images)
    write_stego(output, key_out, result.stego, result.key, quality)
    notice(f"hid {len(secrets)} image(s) with {codec.name}")


def reveal_command(
    stego: Annotated[str, typer.Argument(help="Stego image ('-' for stdin).")],
    secrets: Annotated[Optional[int], typer.Option("--secrets", "-n", min=1, help="How many images are hidden (and written).")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="revealed.png -> revealed-1.png ... for several; omitted: stdout (1 secret).")] = None,
    key: Annotated[Optional[str], typer.Option("--key", "-k", help="Key written by hide --key-out.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Default: the key's model, else the one hide picks for -n.")] = None,
    robust: Robust = False,
    size: Annotated[Optional[str], typer.Option("--size", metavar="WxH|auto", help="Robust: the stego's size when it was made (WIDTHxHEIGHT); an image rescaled on the way is resized back to it first. auto finds it (and the phase) for a crop resized back, an enlargement or a halving.")] = None,
    phase: Annotated[Optional[str], typer.Option("--phase", metavar="auto|R,C", help="Robust: drop R and C (0 or 1) first rows and columns before reading, for a stego cropped at an odd offset; auto finds them (from a JPEG's 8x8 grid, else the code's own cues).")] = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Reveal the hidden images: keyless from the stego alone, near-lossless with --key; --robust for robust stegos."""
    from stegcli.io.images import encode_image

    setup(quiet)
    if key is not None and (robust or (model is not None and not get_spec(model).keyed)):
        raise UsageError("robust models have no key; reveal --robust works from the stego alone")
    image, stego_key = read_stego_and_key(stego, key, ("isn", "mosaic"))
    spec = image_spec(robust, model or (stego_key.model if stego_key else None), secrets or (1 if robust else None))
    if spec is None:
        raise UsageError("say how many images are hidden: -n N (or --model NAME, or --key)")
    if stego_key is not None and not spec.keyed:
        raise UsageError("robust models have no key; reveal --robust works from the stego alone")
    for given, flag in ((size, "--size"), (phase, "--phase")):
        if given is not None and not spec.lossy:
            raise UsageError(f"{flag} is for robust stegos (--robust); the other models need the stego's exact pixels")
    original_size = None if size is None else "auto" if size.strip().lower() == "auto" else parse_size(size)
    read_phase = parse_phase(phase) if phase is not None else None
    count = spec.secrets if secrets is None else secrets
    spec.check_count(count, f"-n {count}")
    codec = open_codec(spec.name, resolve_device(device))
    if output is None or output == STDIO:
        if count > 1:
            raise UsageError(f"{count} images to write: give -o NAME.png")
        refuse_binary_to_terminal(output, "a PNG image")
        targets: list[Optional[str]] = [output]
    else:
        targets = list(numbered_outputs(output, count))
        for target in targets:
            check_output(target, [stego] + ([key] if key else []), force)
            if not is_jpeg(target):
                lossless_format(target)
    check_encodable(targets[0], *image.shape[:2])
    with pass_progress("revealing", codec.engine):
        revealed = codec.reveal(image, key=stego_key, count=count, size=original_size, phase=read_phase)
    write_outputs([(target, encode_image(picture, target or STDIO, REVEALED_JPEG_QUALITY))
                   for target, picture in zip(targets, revealed, strict=True)])
    how = "" if not spec.keyed else (" using the key" if key else " (keyless)")
    notice(f"revealed {len(revealed)} image(s) with {codec.name}{how}")
