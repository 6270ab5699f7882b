"""The ``steg`` command. Each command parses, delegates to the library, and reports.

stdout carries data only (PNG bytes, extracted bytes, ``--json``); notices,
tables and progress go to stderr. Library errors (:class:`StegError`) become
one line on stderr and their exit code, here in :func:`main`.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from stegcli import __version__
from stegcli.bits import DEFAULT_BITS_MODEL, BitsCodec, capacity_bytes
from stegcli.device import resolve_device
from stegcli.errors import EXIT_CODES, StegError, UsageError
from stegcli.imageio import STDIO, check_output, encode_image, lossless_format, read_bytes, read_image, read_key, write_output
from stegcli.zoo import get_spec, model_info, registered_models

console = Console(stderr=True, soft_wrap=True)
app = typer.Typer(
    name="steg",
    help="Hide data in images with invertible neural networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()),
)
bits_app = typer.Typer(help="Bit payloads: embed, extract, capacity.", no_args_is_help=True)
train_app = typer.Typer(help="Train models (needs training images).", no_args_is_help=True)
app.add_typer(bits_app, name="bits")
app.add_typer(train_app, name="train")

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Silence notices (errors still print).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files (inputs are never overwritten).")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda (auto picks CUDA when available).")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
BitsModel = Annotated[str, typer.Option("--model", "-m", help="bits-1, bits-2 or bits-3.")]


class _StderrHandler(logging.Handler):
    """Writes each notice as one plain line to the current sys.stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _setup(quiet: bool) -> None:
    """Route library notices (logger 'stegcli') to stderr unless --quiet."""
    logger = logging.getLogger("stegcli")
    logger.handlers.clear()
    logger.addHandler(_StderrHandler())
    logger.setLevel(logging.WARNING if quiet else logging.INFO)


def _notice(text: str) -> None:
    logging.getLogger("stegcli").info(text)


def _refuse_binary_to_terminal(output: Optional[str], what: str) -> None:
    if (output is None or output == STDIO) and sys.stdout.isatty():
        raise UsageError(f"refusing to write {what} to a terminal; use -o FILE or redirect stdout")


def _json(data) -> str:
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


def _check_stego_outputs(output: Optional[str], key_out: Optional[str], inputs: list[str], force: bool) -> None:
    """Refuse bad stego/key destinations before any work, so nothing partial is written."""
    check_output(output, inputs, force)
    check_output(key_out, inputs, force)
    if output is not None and key_out is not None and Path(output) == Path(key_out):
        raise UsageError("--output and --key-out name the same file")
    if output is not None:
        lossless_format(output)
    _refuse_binary_to_terminal(output, "a PNG image")


def _write_stego(output: Optional[str], key_out: Optional[str], stego, key) -> None:
    write_output(output, encode_image(stego, output or STDIO))
    if key_out is not None:
        write_output(key_out, key.to_bytes())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"steg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = None,
) -> None:
    """Hide data in images with invertible neural networks."""


# -- bit payloads -----------------------------------------------------------------
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
    _setup(quiet)
    if message == STDIO and cover == STDIO:
        raise UsageError("the message and the cover cannot both come from stdin; give --cover FILE")
    _check_stego_outputs(output, key_out, [message, cover], force)
    codec = BitsCodec.from_name(get_spec(model, "bits").name, resolve_device(device))
    cover_image = read_image(cover, "cover")
    payload = read_bytes(message, "message")
    result = codec.embed(cover_image, payload)
    _write_stego(output, key_out, result.stego, result.key)
    _notice(f"embedded {result.message_bytes} of {result.capacity_bytes} bytes with {codec.name}")
    if result.keyless_ok:
        _notice("checked: extraction works with and without the key")
    elif key_out is None:
        logging.getLogger("stegcli").warning(
            "warning: this stego can only be read with its key, and no --key-out was given; "
            "embed again with --key-out or with a smaller message")
    else:
        _notice("checked: extraction works with the key (not without it for this cover/message)")


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
    _setup(quiet)
    check_output(output, [stego] + ([key] if key else []), force)
    image = read_image(stego, "stego")  # before the key: in a pipeline the key is complete once stdin ends
    stego_key = read_key(key) if key is not None else None
    name = model or (stego_key.model if stego_key is not None else DEFAULT_BITS_MODEL)
    codec = BitsCodec.from_name(get_spec(name, "bits").name, resolve_device(device))
    message = codec.extract(image, stego_key)
    write_output(output, message)
    _notice(f"extracted {len(message)} bytes, CRC32 verified" + ("" if key else " (keyless)"))


def capacity_command(
    cover: Annotated[str, typer.Argument(help="Cover image ('-' for stdin).")],
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """How many bytes fit in a cover, per supported bpp."""
    _setup(quiet)
    image = read_image(cover, "cover")
    h, w = image.shape[:2]
    rows = []
    for spec in registered_models("bits"):
        bpp = int(spec.name.split("-")[1])
        rows.append({"model": spec.name, "bpp": bpp, "bytes": capacity_bytes(h, w, bpp),
                     "installed": model_info(spec)["installed"]})
    if as_json:
        typer.echo(_json({"width": w, "height": h, "capacity": rows}))
        return
    table = Table(title=f"capacity of a {w}x{h} cover")
    for col in ("model", "bpp", "bytes", "installed"):
        table.add_column(col, justify="right" if col in ("bpp", "bytes") else "left")
    for r in rows:
        table.add_row(r["model"], str(r["bpp"]), f"{r['bytes']:,}", "yes" if r["installed"] else "no")
    console.print(table)


for _name, _fn in (("embed-bits", embed_bits_command), ("extract-bits", extract_bits_command), ("capacity", capacity_command)):
    app.command(_name)(_fn)
for _name, _fn in (("embed", embed_bits_command), ("extract", extract_bits_command), ("capacity", capacity_command)):
    bits_app.command(_name)(_fn)


# -- images in images -----------------------------------------------------------------
def numbered_outputs(output: str, count: int) -> list[str]:
    """``revealed.png`` -> [``revealed.png``] or [``revealed-1.png``, ...], zero-padded to the count's width."""
    if count == 1:
        return [output]
    path = Path(output)
    width = len(str(count))
    return [str(path.with_name(f"{path.stem}-{i:0{width}d}{path.suffix}")) for i in range(1, count + 1)]


@app.command("hide")
def hide_command(
    cover: Annotated[str, typer.Argument(help="Cover image ('-' for stdin).")],
    secrets: Annotated[list[str], typer.Argument(help="1 to 5 secret images.")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Stego image (lossless format); '-' or omitted: stdout (PNG).")] = None,
    key_out: Annotated[Optional[str], typer.Option("--key-out", help="Write the key (.npy) for near-lossless reveal.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Default: isn-N for N secrets.")] = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Hide 1 to 5 images in a cover image."""
    from stegcli.images import ImageCodec, isn_model_for

    _setup(quiet)
    if sum(1 for s in [cover, *secrets] if s == STDIO) > 1:
        raise UsageError("only one input can come from stdin")
    name = model or isn_model_for(len(secrets))
    _check_stego_outputs(output, key_out, [cover, *secrets], force)
    codec = ImageCodec.from_name(name, resolve_device(device))
    cover_image = read_image(cover, "cover")
    secret_images = [read_image(s, f"secret {i + 1}") for i, s in enumerate(secrets)]
    result = codec.hide(cover_image, secret_images)
    _write_stego(output, key_out, result.stego, result.key)
    _notice(f"hid {len(secrets)} image(s) with {codec.name}")


@app.command("reveal")
def reveal_command(
    stego: Annotated[str, typer.Argument(help="Stego image ('-' for stdin).")],
    secrets: Annotated[Optional[int], typer.Option("--secrets", "-n", min=1, help="How many images are hidden.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="revealed.png -> revealed-1.png ... for several; omitted: stdout (1 secret).")] = None,
    key: Annotated[Optional[str], typer.Option("--key", "-k", help="Key written by hide --key-out.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Default: the key's model, else isn-N.")] = None,
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Reveal the hidden images: keyless from the stego alone, near-lossless with --key."""
    from stegcli.images import ImageCodec, isn_model_for

    _setup(quiet)
    image = read_image(stego, "stego")
    stego_key = read_key(key) if key is not None else None
    name = model or (stego_key.model if stego_key else None) or (isn_model_for(secrets) if secrets else None)
    if name is None:
        raise UsageError("say how many images are hidden: -n N (or --model NAME, or --key)")
    codec = ImageCodec.from_name(name, resolve_device(device))
    if secrets is not None and secrets != codec.secrets:
        raise UsageError(f"-n {secrets} does not match {codec.name}, which hides {codec.secrets} image(s)")
    if output is None or output == STDIO:
        if codec.secrets > 1:
            raise UsageError(f"{codec.secrets} images to write: give -o NAME.png")
        _refuse_binary_to_terminal(output, "a PNG image")
        targets: list[Optional[str]] = [output]
    else:
        targets = list(numbered_outputs(output, codec.secrets))
        for target in targets:
            check_output(target, [stego] + ([key] if key else []), force)
            lossless_format(target)
    revealed = codec.reveal(image, stego_key)
    for target, picture in zip(targets, revealed):
        write_output(target, encode_image(picture, target or STDIO))
    _notice(f"revealed {len(revealed)} image(s) with {codec.name}" + (" using the key" if key else " (keyless)"))


# -- models, demo, eval -------------------------------------------------------------
@app.command("models")
def models_command(as_json: Json = False) -> None:
    """List the models stegcli knows and which are installed."""
    infos = [model_info(spec) for spec in registered_models()]
    if as_json:
        typer.echo(_json(infos))
        return
    table = Table(title="stegcli models")
    for col in ("name", "kind", "installed", "params", "size", "description"):
        table.add_column(col)
    for info in infos:
        table.add_row(
            info["name"], info["kind"], "yes" if info["installed"] else "no",
            f"{info['parameters']:,}" if info["installed"] else "-",
            f"{info['size_bytes'] / 1e6:.1f} MB" if info["installed"] else "-",
            info["summary"],
        )
    console.print(table)


@app.command("demo")
def demo_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo's inputs and outputs.")] = Path("demo-out"),
    device: Device = "auto",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Run the main job on bundled samples and print what it measured."""
    from stegcli.demo import run_demo

    _setup(quiet)
    if output.exists() and any(output.iterdir()) and not force:
        raise UsageError(f"demo folder {output} is not empty; use --force to write into it")
    bit_rows, image_rows = run_demo(output, resolve_device(device))
    if not bit_rows and not image_rows:
        raise UsageError("no model is installed; nothing to demonstrate")
    if bit_rows:
        table = Table(title=f"bytes in the bundled cover (files in {output})")
        for col in ("model", "bytes", "bpp", "stego PSNR", "stego SSIM", "exact (key)", "exact (keyless)"):
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


@app.command("eval")
def eval_command(
    model: Annotated[str, typer.Option("--model", "-m", help="Model to evaluate.")],
    covers: Annotated[Path, typer.Option("--covers", help="Folder of cover images.")],
    secrets: Annotated[Optional[Path], typer.Option("--secrets", help="Folder of secret images (image models).")] = None,
    split: Annotated[str, typer.Option("--split", help="all, or the fixed val/train split of a training folder.")] = "all",
    pairs: Annotated[int, typer.Option("--pairs", min=1, help="Number of covers (each with its payload).")] = 200,
    size: Annotated[int, typer.Option("--size", min=16, help="Square crop size.")] = 256,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    fill: Annotated[float, typer.Option("--fill", min=0.0, max=1.0, help="bits models: message size as a fraction of capacity.")] = 1.0,
    device: Device = "auto",
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Measure a model on folders of images, after a real PNG round trip (keyless and with the key)."""
    from stegcli.evaluate import evaluate_bits, evaluate_images, fixed_crops, image_files
    from stegcli.images import ImageCodec

    _setup(quiet)
    spec = get_spec(model)
    if split not in ("all", "val", "train"):
        raise UsageError("--split must be all, val or train")

    def crops(folder: Path, offset: int) -> list:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
        try:
            return fixed_crops(image_files(folder, split), pairs, size, seed + offset)
        except ValueError as exc:
            raise UsageError(f"{folder}: {exc}") from None

    dev = resolve_device(device)
    if spec.kind == "bits":
        report = evaluate_bits(BitsCodec.from_name(spec.name, dev), crops(covers, 0), seed=seed, fill=fill)
        title = f"{model}: {report['pairs']} covers of {report['size']}, {report['message_bytes']} bytes each"
    else:
        if secrets is None:
            raise UsageError(f"{model} hides images: give --secrets DIR")
        report = evaluate_images(ImageCodec.from_name(spec.name, dev), crops(covers, 0), crops(secrets, 1))
        title = f"{model}: {report['pairs']} covers of {report['size']}, PNG round trip"
    if as_json:
        typer.echo(_json(report))
        return
    table = Table(title=title)
    for col in ("metric", "mean", "min"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key, value in report.items():
        if isinstance(value, dict):
            table.add_row(key, f"{value['mean']:.4f}", f"{value['min']:.4f}")
        elif key.startswith("exact"):
            table.add_row(key, f"{value:.1%}", "")
    console.print(table)


# -- training -----------------------------------------------------------------------
Data = Annotated[Path, typer.Option("--data", help="Folder of training photographs (a fixed 10% by name hash is validation).")]
Run = Annotated[Optional[Path], typer.Option("--run", help="Run folder for checkpoints and logs (default runs/MODEL).")]
Steps = Annotated[int, typer.Option("--steps", help="Train until this many steps in total.")]
Lr = Annotated[float, typer.Option("--lr", help="Adam learning rate.")]
DecayEvery = Annotated[int, typer.Option("--decay-every", help="Halve the learning rate every N steps.")]
Batch = Annotated[int, typer.Option("--batch")]
Patch = Annotated[int, typer.Option("--patch", help="Square training crop size.")]
Blocks = Annotated[int, typer.Option("--blocks", help="Coupling blocks.")]
Growth = Annotated[int, typer.Option("--growth", help="Dense-block growth (width).")]
StegoWeight = Annotated[float, typer.Option("--stego-weight", help="Weight of L2(stego, cover).")]
LowWeight = Annotated[float, typer.Option("--low-weight", help="Weight of L2 of the low-frequency band.")]
RevealWeight = Annotated[float, typer.Option("--reveal-weight", help="Weight of the keyless reveal loss.")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue from the run folder's checkpoint.")]
Export = Annotated[Optional[Path], typer.Option("--export", help="Write the trained weights (safetensors) here.")]
Threads = Annotated[int, typer.Option("--threads", help="CPU threads (0: torch default).")]


def _run_training(recipe, count: int, name: str, run: Optional[Path], steps: int, lr: float, decay_every: int,
                  batch: int, patch: int, blocks: int, growth: int, weights, resume: bool, export: Optional[Path],
                  threads: int, device: str, data: Path) -> None:
    import torch

    from stegcli.train.loop import TrainSettings
    from stegcli.train.recipes import Architecture
    from stegcli.train.recipes import export as export_weights

    if threads:
        torch.set_num_threads(threads)
    if not data.is_dir():
        raise UsageError(f"--data {data} is not a folder")
    trainer = recipe(data, count, run or Path("runs") / name, TrainSettings(steps=steps, lr=lr, decay_every=decay_every),
                     resolve_device(device), Architecture(blocks, growth, patch, batch), weights, resume, console)
    if export is not None:
        export_weights(trainer, export, {"validation": trainer.task.validate(trainer.device)})
        console.print(f"exported {export}")


@train_app.command("bits")
def train_bits_command(
    data: Data,
    bpp: Annotated[int, typer.Option("--bpp", min=1, max=3, help="Bits per colour sample.")] = 3,
    run: Run = None, steps: Steps = 2000, lr: Lr = 5e-4, decay_every: DecayEvery = 1200, batch: Batch = 16,
    patch: Patch = 64, blocks: Blocks = 4, growth: Growth = 16, stego_weight: StegoWeight = 32.0,
    reveal_weight: RevealWeight = 1.0, resume: Resume = False, export: Export = None, threads: Threads = 0,
    device: Device = "auto",
) -> None:
    """Train a bits-BPP model; --export writes the weights with validation metrics."""
    from stegcli.train.hiding_task import LossWeights
    from stegcli.train.recipes import train_bits

    weights = LossWeights(stego=stego_weight, reveal=reveal_weight)
    _run_training(train_bits, bpp, f"bits-{bpp}", run, steps, lr, decay_every, batch, patch, blocks, growth,
                  weights, resume, export, threads, device, data)


@train_app.command("isn")
def train_isn_command(
    data: Data,
    secrets: Annotated[int, typer.Option("--secrets", "-n", min=1, max=5, help="Secret images per cover.")] = 1,
    run: Run = None, steps: Steps = 20000, lr: Lr = 10 ** -3.5, decay_every: DecayEvery = 8000, batch: Batch = 8,
    patch: Patch = 128, blocks: Blocks = 8, growth: Growth = 32, stego_weight: StegoWeight = 1.0,
    low_weight: LowWeight = 1.0, reveal_weight: RevealWeight = 5.0, resume: Resume = False, export: Export = None,
    threads: Threads = 0, device: Device = "auto",
) -> None:
    """Train an isn-N model (keyless reveal is what the loss trains); --export writes the weights."""
    from stegcli.train.hiding_task import LossWeights
    from stegcli.train.recipes import train_isn

    weights = LossWeights(stego=stego_weight, low=low_weight, reveal=reveal_weight)
    _run_training(train_isn, secrets, f"isn-{secrets}", run, steps, lr, decay_every, batch, patch, blocks, growth,
                  weights, resume, export, threads, device, data)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and maps StegError to its exit code."""
    try:
        app(args=argv, prog_name="steg")
    except StegError as exc:
        sys.stderr.write(f"steg: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("steg: interrupted\n")
        sys.exit(130)
