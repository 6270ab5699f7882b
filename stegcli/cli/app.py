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
    logger.propagate = False


def _notice(text: str) -> None:
    logging.getLogger("stegcli").info(text)


def _refuse_binary_to_terminal(output: Optional[str], what: str) -> None:
    if (output is None or output == STDIO) and sys.stdout.isatty():
        raise UsageError(f"refusing to write {what} to a terminal; use -o FILE or redirect stdout")


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
    inputs = [message, cover]
    check_output(output, inputs, force)
    check_output(key_out, inputs, force)
    if output is not None and key_out is not None and Path(output) == Path(key_out):
        raise UsageError("--output and --key-out name the same file")
    if output is not None:
        lossless_format(output)  # refuses lossy/unknown formats before any work
    _refuse_binary_to_terminal(output, "a PNG image")
    codec = BitsCodec.from_name(get_spec(model, "bits").name, resolve_device(device))
    cover_image = read_image(cover, "cover")
    payload = read_bytes(message, "message")
    result = codec.embed(cover_image, payload)
    write_output(output, encode_image(result.stego, output or STDIO))
    if key_out is not None:
        write_output(key_out, result.key.to_bytes())
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
        typer.echo(json.dumps({"width": w, "height": h, "capacity": rows}, indent=2))
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


# -- models, demo, eval -------------------------------------------------------------
@app.command("models")
def models_command(as_json: Json = False) -> None:
    """List the models stegcli knows and which are installed."""
    infos = [model_info(spec) for spec in registered_models()]
    if as_json:
        typer.echo(json.dumps(infos, indent=2))
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
    rows = run_demo(output, resolve_device(device))
    if not rows:
        raise UsageError("no bits model is installed; nothing to demonstrate")
    table = Table(title=f"steg demo (files in {output})")
    for col in ("model", "bytes", "bpp", "stego PSNR", "stego SSIM", "exact (key)", "exact (keyless)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["model"], str(r["bytes"]), str(r["bpp"]), f"{r['stego_psnr']:.2f} dB", f"{r['stego_ssim']:.4f}",
                      "yes" if r["exact_with_key"] else "NO", "yes" if r["exact_keyless"] else "no")
    console.print(table)


@app.command("eval")
def eval_command(
    model: Annotated[str, typer.Option("--model", "-m", help="Model to evaluate.")],
    covers: Annotated[Path, typer.Option("--covers", help="Folder of cover images.")],
    split: Annotated[str, typer.Option("--split", help="all, or the fixed val/train split of a training folder.")] = "all",
    pairs: Annotated[int, typer.Option("--pairs", help="Number of (cover, message) pairs.")] = 200,
    size: Annotated[int, typer.Option("--size", help="Square crop size.")] = 256,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    fill: Annotated[float, typer.Option("--fill", min=0.0, max=1.0, help="Message size as a fraction of capacity.")] = 1.0,
    device: Device = "auto",
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Measure a model on a folder of images, after a real PNG round trip."""
    from stegcli.evaluate import evaluate_bits, fixed_crops, image_files

    _setup(quiet)
    spec = get_spec(model)
    if split not in ("all", "val", "train"):
        raise UsageError("--split must be all, val or train")
    if not covers.is_dir():
        raise UsageError(f"--covers {covers} is not a folder")
    try:
        crops = fixed_crops(image_files(covers, split), pairs, size, seed)
    except ValueError as exc:
        raise UsageError(f"--covers {covers}: {exc}") from None
    codec = BitsCodec.from_name(spec.name, resolve_device(device))
    report = evaluate_bits(codec, crops, seed=seed, fill=fill)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"{model}: {report['pairs']} pairs of {report['size']}, {report['message_bytes']} bytes each")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("min", justify="right")
    for key in ("stego_psnr", "stego_psnr_y", "stego_ssim", "keyless_bit_accuracy"):
        table.add_row(key, f"{report[key]['mean']:.4f}", f"{report[key]['min']:.4f}")
    table.add_row("exact with key", f"{report['exact_with_key']:.1%}", "")
    table.add_row("exact with z only (no residual)", f"{report['exact_with_z_only']:.1%}", "")
    table.add_row("exact keyless", f"{report['exact_keyless']:.1%}", "")
    console.print(table)


# -- training -----------------------------------------------------------------------
@train_app.command("bits")
def train_bits_command(
    data: Annotated[Path, typer.Option("--data", help="Folder of training photographs (a fixed 10% goes to validation).")],
    bpp: Annotated[int, typer.Option("--bpp", min=1, max=3, help="Bits per colour sample.")] = 3,
    run: Annotated[Optional[Path], typer.Option("--run", help="Run folder for checkpoints and logs (default runs/bits-BPP).")] = None,
    steps: Annotated[int, typer.Option("--steps")] = 2000,
    lr: Annotated[float, typer.Option("--lr")] = 1e-3,
    decay_every: Annotated[int, typer.Option("--decay-every", help="Halve the learning rate every N steps.")] = 1000,
    batch: Annotated[int, typer.Option("--batch")] = 16,
    patch: Annotated[int, typer.Option("--patch")] = 64,
    blocks: Annotated[int, typer.Option("--blocks")] = 4,
    growth: Annotated[int, typer.Option("--growth")] = 16,
    stego_weight: Annotated[float, typer.Option("--stego-weight", help="Weight of L2(stego, cover).")] = 32.0,
    reveal_weight: Annotated[float, typer.Option("--reveal-weight", help="Weight of the keyless reveal loss.")] = 1.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the run folder's checkpoint.")] = False,
    export: Annotated[Optional[Path], typer.Option("--export", help="Write the trained weights (safetensors) here.")] = None,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads (0: torch default).")] = 0,
    device: Device = "auto",
) -> None:
    """Train a bits-BPP model; --export writes the weights with measured validation metrics."""
    import torch

    from stegcli.train.bits_task import BitsLossWeights
    from stegcli.train.loop import TrainSettings
    from stegcli.train.recipes import export_bits, train_bits

    if threads:
        torch.set_num_threads(threads)
    settings = TrainSettings(steps=steps, lr=lr, decay_every=decay_every)
    weights = BitsLossWeights(stego=stego_weight, reveal=reveal_weight)
    trainer = train_bits(data, bpp, run or Path(f"runs/bits-{bpp}"), settings, resolve_device(device),
                         blocks=blocks, growth=growth, patch=patch, batch=batch, weights=weights,
                         resume=resume, console=console)
    if export is not None:
        metrics = trainer.task.validate(trainer.device)
        export_bits(trainer, export, {"validation": metrics})
        console.print(f"exported {export}")


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
