"""``steg attack``: distort an image the way the world does (JPEG, noise, blur, rescaling, cropping)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from stegcli.cli.common import (
    Force,
    Quiet,
    notice,
    refuse_binary_to_terminal,
    setup,
)
from stegcli.errors import UsageError
from stegcli.io.files import STDIO, check_output, write_output


def attack_command(
    image: Annotated[str, typer.Argument(help="Image to attack ('-' for stdin).")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Attacked image (.jpg writes the --jpeg attack itself); '-' or omitted: stdout (PNG).")] = None,
    jpeg: Annotated[Optional[int], typer.Option("--jpeg", help="JPEG quality 1-95 (applied last).")] = None,
    noise: Annotated[Optional[float], typer.Option("--noise", help="Gaussian noise sigma in [0, 1] units (0.05 = 13 grey levels).")] = None,
    blur: Annotated[Optional[float], typer.Option("--blur", help="Gaussian blur sigma in pixels.")] = None,
    scale: Annotated[Optional[float], typer.Option("--scale", help="Resize both sides by this factor (bicubic).")] = None,
    crop: Annotated[Optional[float], typer.Option("--crop", help="Keep this central fraction of each side.")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the noise.")] = 0,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Apply real attacks (crop, scale, blur, noise, then JPEG; combinable) to test robustness."""
    from stegcli.eval.attacks import AttackSpec, encode_attacked
    from stegcli.io.images import read_image

    setup(quiet)
    spec = AttackSpec(crop=crop, scale=scale, blur=blur, noise=noise, jpeg=jpeg)
    if spec.empty:
        raise UsageError("name at least one attack: --jpeg Q, --noise SIGMA, --blur SIGMA, --scale F, --crop F")
    refuse_binary_to_terminal(output, "a PNG image")
    check_output(output, [image], force)
    data = encode_attacked(read_image(image, "image"), spec, output or STDIO, seed)
    write_output(output, data)
    notice(f"attacked: {spec.describe()}")
