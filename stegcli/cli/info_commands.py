"""``steg models``, ``steg demo`` and ``steg eval``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from stegcli.cli.common import (
    Device,
    Force,
    Json,
    Quiet,
    console,
    count_progress,
    setup,
    to_json,
)
from stegcli.device import resolve_device
from stegcli.errors import ModelError, UsageError
from stegcli.models.registry import get_spec, open_codec, registered_models


def models_command(as_json: Json = False) -> None:
    """List the models stegcli knows and which are installed."""
    from stegcli.models.weights import model_info

    infos = [model_info(spec) for spec in registered_models()]
    if as_json:
        typer.echo(to_json(infos))
        return
    table = Table(title="stegcli models")
    for col in ("name", "kind", "installed", "params", "size", "description"):
        table.add_column(col)
    for info in infos:
        table.add_row(
            info["name"], info["kind"], "yes" if info["installed"] else "unreadable" if "problem" in info else "no",
            f"{info['parameters']:,}" if info["installed"] else "-",
            f"{info['size_bytes'] / 1e6:.1f} MB" if info["installed"] else "-",
            info["summary"],
        )
    console.print(table)
    for info in infos:
        if "problem" in info:
            console.print(f"{info['name']}: {info['problem']}", markup=False)


def demo_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo's inputs and outputs.")] = Path("demo-out"),
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Run the main job on bundled samples and print what it measured."""
    from stegcli.eval.demo import demo_models, run_demo

    setup(quiet)
    if output.exists() and not output.is_dir():
        raise UsageError(f"demo folder {output} is a file; name a folder")
    if output.exists() and any(output.iterdir()) and not force:
        raise UsageError(f"demo folder {output} is not empty; use --force to write into it")
    if not demo_models():
        raise ModelError("neither bits-N nor isn-1 weights are installed (steg models); nothing to demonstrate")
    sealed, bit_rows, image_rows = run_demo(output, resolve_device(device))
    if sealed and "refused" in sealed:
        console.print(f"passphrase demo with {sealed['model']}: refused: {sealed['refused']}", markup=False)
    elif sealed:
        table = Table(title=f"a passphrase-protected message, no key file (passphrase {sealed['passphrase']!r}, "
                            f"files in {output})")
        for col in ("model", "bytes", "stego PSNR", "stego SSIM", "steps", "exact", "wrong passphrase", "no passphrase"):
            table.add_column(col)
        table.add_row(sealed["model"], str(sealed["bytes"]), f"{sealed['stego_psnr']:.2f} dB", f"{sealed['stego_ssim']:.4f}",
                      str(sealed["steps"]), "yes" if sealed["exact"] else "NO",
                      "refused" if sealed["wrong_passphrase_refused"] else "READ", "refused" if sealed["no_passphrase_refused"] else "READ")
        console.print(table)
    if bit_rows:
        table = Table(title=f"bytes in the bundled cover with a key file, --key-out (files in {output})")
        for col in ("model", "bytes", "bpp", "stego PSNR", "stego SSIM", "exact (key)", "exact (seed's keyless read)"):
            table.add_column(col)
        for r in bit_rows:
            table.add_row(r["model"], str(r["bytes"]), str(r["bpp"]), f"{r['stego_psnr']:.2f} dB", f"{r['stego_ssim']:.4f}",
                          "yes" if r["exact_with_key"] else "NO", "yes" if r["exact_keyless"] else "no")
        console.print(table)
    if image_rows:
        table = Table(title=f"an image in the bundled cover (figure in {output})")
        for col in ("model", "stego PSNR", "stego SSIM", "revealed PSNR", "revealed SSIM", "with key"):
            table.add_column(col)
        for r in image_rows:
            table.add_row(r["model"], f"{r['stego_psnr']:.2f} dB", f"{r['stego_ssim']:.4f}", f"{r['revealed_psnr']:.2f} dB",
                          f"{r['revealed_ssim']:.4f}", f"{r['revealed_with_key_psnr']:.2f} dB")
        console.print(table)


def eval_command(
    model: Annotated[str, typer.Option("--model", "-m", help="Model to evaluate.")],
    covers: Annotated[Path, typer.Option("--covers", help="Folder of cover images.")],
    secrets: Annotated[Optional[Path], typer.Option("--secrets", help="Folder of secret images (image models).")] = None,
    split: Annotated[str, typer.Option("--split", help="all; or of a training folder: val (a fixed ~10% of its files), "
                                       "val-sources (every file of the sources kept out of training), train.")] = "all",
    pairs: Annotated[int, typer.Option("--pairs", min=1, help="Number of covers (each with its payload).")] = 200,
    size: Annotated[int, typer.Option("--size", min=16, help="Square crop size.")] = 256,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    fill: Annotated[float, typer.Option("--fill", min=0.0, max=1.0, help="bits models: message size as a fraction of capacity.")] = 1.0,
    keyless: Annotated[bool, typer.Option("--keyless", help="bits models: keyless payloads under a passphrase, as embed-bits "
                                          "writes them (fill of the keyless capacity), instead of the seed's keyed frames.")] = False,
    stealth: Annotated[bool, typer.Option("--stealth", help="With --keyless: the stealth setting of embed-bits --stealth "
                                          "(fill of its capacity).")] = False,
    attacks: Annotated[Optional[str], typer.Option("--attacks", help="Image models: 'all' or a comma list (none, jpeg90, jpeg75, jpeg50, noise0.03, blur1.0, scale0.5, scale1.5, crop0.9); one row each, keyless.")] = None,
    device: Device = "auto",
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Measure a model on folders of images, after a real PNG round trip (keyless and with the key)."""
    from stegcli.eval.evaluate import (
        evaluate_attacks,
        evaluate_bits,
        evaluate_images,
        evaluate_keyless,
        fixed_crops,
        parse_attacks,
    )
    from stegcli.models.weights import weights_sha256
    from stegcli.train.data import SPLITS, list_images

    setup(quiet)
    spec = get_spec(model)
    if split not in SPLITS:
        raise UsageError(f"--split must be one of {', '.join(SPLITS)}")

    def crops(folder: Path, offset: int, per_cover: int = 1) -> list:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
        where = f"{folder}" if split == "all" else f"{folder} (its {split} split)"
        try:
            return fixed_crops(list_images(folder, split), pairs * per_cover, size, seed + offset, per_cover, offset)
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}") from None

    dev = resolve_device(device)
    if attacks is not None or spec.lossy:  # a robust model is measured under attack, "none" its lossless row
        if spec.payload != "images":
            raise UsageError("--attacks is for image models; bits models are exact or fail loudly")
        if secrets is None:
            raise UsageError(f"{model} hides images: give --secrets DIR")
        names = parse_attacks(attacks or "none")
        codec = open_codec(spec.name, dev)
        hide = lambda cover, hidden: codec.hide(cover, hidden).stego  # noqa: E731
        cover_crops, secret_crops = crops(covers, 0), crops(secrets, 1, codec.secrets)
        with count_progress("evaluating", "covers") as progress:
            report = evaluate_attacks(spec.name, codec.secrets, hide, codec.reveal, cover_crops, secret_crops, names,
                                      progress=progress)
        _print_attack_report({**report, "weights_sha256": weights_sha256(spec.name)}, as_json)
        return
    if keyless and spec.payload != "bytes":
        raise UsageError("--keyless is for bits models")
    if stealth and not keyless:
        raise UsageError("--stealth measures keyless payloads: give --keyless too")
    codec = open_codec(spec.name, dev)
    if spec.payload == "bytes":
        options = {"stealth": stealth} if keyless else {}
        cover_crops = crops(covers, 0)
        with count_progress("evaluating", "covers") as progress:
            report = (evaluate_keyless if keyless else evaluate_bits)(codec, cover_crops, seed=seed, fill=fill,
                                                                      progress=progress, **options)
        mode = (", stealth" if stealth else "") + (", keyless with a passphrase" if keyless else "")
        title = f"{model}: {report['pairs']} covers of {report['size']}, {report['message_bytes']} bytes each{mode}"
    else:
        if secrets is None:
            raise UsageError(f"{model} hides images: give --secrets DIR")
        cover_crops, secret_crops = crops(covers, 0), crops(secrets, 1, codec.secrets)
        with count_progress("evaluating", "covers") as progress:
            report = evaluate_images(codec, cover_crops, secret_crops, progress=progress)
        title = f"{model}: {report['pairs']} covers of {report['size']}, PNG round trip"
    if as_json:
        typer.echo(to_json({**report, "weights_sha256": weights_sha256(spec.name)}))
        return
    table = Table(title=title)
    for col in ("metric", "mean", "min"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key, value in report.items():
        if isinstance(value, dict):
            table.add_row(key, f"{value['mean']:.4f}", f"{value['min']:.4f}")
        elif key.startswith("exact") or key == "refused":
            table.add_row(key, f"{value:.1%}", "")
    console.print(table)


def _print_attack_report(report: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(to_json(report))
        return
    table = Table(title=f"{report['model']}: {report['pairs']} covers of {report['size']}, PNG stego, attack, keyless reveal")
    for col in ("attack", "stego PSNR", "stego SSIM", "revealed PSNR", "revealed SSIM", "revealed PSNR min"):
        table.add_column(col, justify="left" if col == "attack" else "right")
    cells = (("stego_psnr", "mean", ".2f"), ("stego_ssim", "mean", ".4f"), ("revealed_psnr", "mean", ".2f"),
             ("revealed_ssim", "mean", ".4f"), ("revealed_psnr", "min", ".2f"))
    for attack, row in {**report["attacks"], "flat_guess": report["flat_guess"]}.items():  # the floor has no stego
        table.add_row(attack, *(format(row[key][stat], spec) if key in row else "" for key, stat, spec in cells))
    table.caption = "flat_guess: each secret filled with its mean colour, what a reveal that carried nothing could match"
    console.print(table)
