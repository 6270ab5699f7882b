"""``steg hide`` and ``steg reveal``: images in images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stegcli.attacks import encode_for, is_jpeg
from stegcli.cli.common import (
    Device,
    Force,
    Quiet,
    check_stego_outputs,
    notice,
    parse_size,
    read_stego_and_key,
    refuse_binary_to_terminal,
    setup,
    write_stego,
)
from stegcli.device import resolve_device
from stegcli.errors import UsageError
from stegcli.imageio import (
    STDIO,
    check_encodable,
    check_output,
    lossless_format,
    read_image,
    write_output,
    write_outputs,
)

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


def _is_robust(robust: bool, model: Optional[str]) -> bool:
    """--robust, or a --model that is a robust one; --robust with another family is refused."""
    from stegcli.zoo import get_spec

    kind = get_spec(model).kind if model else None
    if robust and kind not in (None, "robust"):
        raise UsageError(f"--robust needs a robust model (robust-1..3), not {model}")
    return robust or kind == "robust"


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
    setup(quiet)
    if sum(1 for s in [cover, *secrets] if s == STDIO) > 1:
        raise UsageError("only one input can come from stdin")
    if _is_robust(robust, model):
        _hide_robust(cover, secrets, output, key_out, model, quality, device, force)
        return
    from stegcli.images import ImageCodec, model_for

    if output is not None and is_jpeg(output):
        raise UsageError(f"{output}: JPEG would destroy what {model or model_for(len(secrets))} hides; "
                         "write .png, or use --robust (robust-1..3 are trained for JPEG)")
    if quality is not None:
        raise UsageError("--quality is for robust JPEG stego images (--robust -o stego.jpg)")
    name = model or model_for(len(secrets))
    check_stego_outputs(output, key_out, [cover, *secrets], force)
    codec = ImageCodec.from_name(name, resolve_device(device))
    cover_image = read_image(cover, "cover")
    check_encodable(output, *cover_image.shape[:2])
    secret_images = [read_image(s, f"secret {i + 1}") for i, s in enumerate(secrets)]
    result = codec.hide(cover_image, secret_images)
    write_stego(output, key_out, result.stego, result.key)
    notice(f"hid {len(secrets)} image(s) with {codec.name}")


def _hide_robust(cover: str, secrets: list[str], output: Optional[str], key_out: Optional[str], model: Optional[str],
                 quality: Optional[int], device: str, force: bool) -> None:
    from stegcli.robust import (
        RobustCodec,
        encode_stego,
        robust_model_for,
        stego_is_jpeg,
    )

    if key_out is not None:
        raise UsageError("robust models have no key: everything is in the stego image (drop --key-out)")
    name = model or robust_model_for(len(secrets))
    check_output(output, [cover, *secrets], force)
    refuse_binary_to_terminal(output, "an image")
    dest = output or STDIO
    stego_is_jpeg(dest, quality)  # refuses a bad format or quality before any work
    codec = RobustCodec.from_name(name, resolve_device(device))
    codec.check_count(len(secrets), f"{len(secrets)} secret image(s)")
    cover_image = read_image(cover, "cover")
    check_encodable(output, *cover_image.shape[:2])
    stego = codec.hide(cover_image, [read_image(s, f"secret {i + 1}") for i, s in enumerate(secrets)])
    write_output(output, encode_stego(stego, dest, quality))
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
    from stegcli.images import IMAGE_KINDS, ImageCodec, model_for

    setup(quiet)
    is_robust = _is_robust(robust, model)
    if is_robust and key is not None:
        raise UsageError("robust models have no key; reveal --robust works from the stego alone")
    for given, flag in ((size, "--size"), (phase, "--phase")):
        if given is not None and not is_robust:
            raise UsageError(f"{flag} is for robust stegos (--robust); the other models need the stego's exact pixels")
    original_size = None if size is None else "auto" if size.strip().lower() == "auto" else parse_size(size)
    read_phase = parse_phase(phase) if phase is not None else None
    image, stego_key = read_stego_and_key(stego, key, IMAGE_KINDS)
    if is_robust:
        from stegcli.robust import RobustCodec, robust_model_for

        codec = RobustCodec.from_name(model or robust_model_for(secrets or 1), resolve_device(device))
    else:
        name = model or (stego_key.model if stego_key else None) or (model_for(secrets) if secrets else None)
        if name is None:
            raise UsageError("say how many images are hidden: -n N (or --model NAME, or --key)")
        codec = ImageCodec.from_name(name, resolve_device(device))
    count = codec.secrets if secrets is None else secrets
    codec.check_count(count, f"-n {count}")
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
    revealed = (codec.reveal(image, count, original_size, read_phase) if is_robust
                else codec.reveal(image, stego_key, count))
    write_outputs([(target, encode_for(picture, target or STDIO, REVEALED_JPEG_QUALITY))
                   for target, picture in zip(targets, revealed, strict=True)])
    how = "" if is_robust else (" using the key" if key else " (keyless)")
    notice(f"revealed {len(revealed)} image(s) with {codec.name}{how}")
