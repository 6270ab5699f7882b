"""``steg train bits|isn|mosaic|robust``: train a model, optionally export its weights."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from stegcli.cli.common import Device, console
from stegcli.device import resolve_device
from stegcli.errors import UsageError
from stegcli.io.files import check_output

Data = Annotated[Path, typer.Option("--data", help="Folder of training photographs (a fixed 10% by name hash is validation; the held-out sources, stegcli.train.data.HELD_OUT_SOURCES, are left out).")]
Run = Annotated[Optional[Path], typer.Option("--run", help="Run folder for checkpoints and logs (default runs/MODEL).")]
Steps = Annotated[int, typer.Option("--steps", min=0, help="Train until this many steps in total.")]
Lr = Annotated[float, typer.Option("--lr", help="Adam learning rate.")]
DecayEvery = Annotated[int, typer.Option("--decay-every", min=1, help="Halve the learning rate every N steps.")]
Batch = Annotated[int, typer.Option("--batch", min=1)]
Patch = Annotated[int, typer.Option("--patch", min=16, help="Square training crop size (even; a multiple of the mosaic stride for mosaic models).")]
Blocks = Annotated[int, typer.Option("--blocks", min=1, help="Coupling blocks.")]
Growth = Annotated[int, typer.Option("--growth", min=1, help="Subnet width (a dense subnet's growth).")]
Subnet = Annotated[str, typer.Option("--subnet", help="Coupling subnet: dense (five convolutions with dense "
                                     "connections, the shipped models) or plain (five of one width, no concatenation).")]
StegoWeight = Annotated[float, typer.Option("--stego-weight", help="Weight of L2(stego, cover).")]
LowWeight = Annotated[float, typer.Option("--low-weight", help="Weight of L2 of the low-frequency band.")]
RevealWeight = Annotated[float, typer.Option("--reveal-weight", help="Weight of the keyless reveal loss.")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue from the run folder's checkpoint.")]
Export = Annotated[Optional[Path], typer.Option("--export", help="Write the trained weights (safetensors) here.")]
Threads = Annotated[int, typer.Option("--threads", min=0, help="CPU threads (0: torch default).")]
Minutes = Annotated[float, typer.Option("--minutes", min=0, help="Stop after this much wall time (then checkpoint and export); 0: no limit.")]
LrWarmup = Annotated[int, typer.Option("--lr-warmup", min=0, help="Ramp the learning rate up over the first N steps of a run with a fresh optimizer (useful with --init; not on --resume).")]
ValEvery = Annotated[int, typer.Option("--val-every", min=1, help="Validate (and log the validation) every N steps.")]
Note = Annotated[str, typer.Option("--note", help="How this run was trained (e.g. a curriculum's stages), kept in the exported weights' recipe.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing --export file; start over in a run folder that holds a checkpoint.")]
Init = Annotated[Optional[Path], typer.Option("--init", help="Start from this weights file (e.g. the shipped one) instead of the identity; a robust model's may be an isn-N file, or have fewer blocks (the rest start as the identity); ignored once the run has trained.")]


def start_over(run_dir: Path, force: bool) -> None:
    """A fresh run may not silently replace another run's checkpoint (it can hold hours of training)."""
    from stegcli.train.loop import CHECKPOINT_NAME, LOG_NAME

    checkpoint = run_dir / CHECKPOINT_NAME
    if not checkpoint.exists():
        return
    if not force:
        raise UsageError(f"run folder {run_dir} already holds a checkpoint; --resume continues it, --force starts over")
    for name in (CHECKPOINT_NAME, LOG_NAME):
        (run_dir / name).unlink(missing_ok=True)


def check_resumable(run_dir: Path) -> None:
    """``--resume`` of a folder without a checkpoint (a mistyped ``--run``) would train, or export, a fresh model."""
    from stegcli.train.loop import CHECKPOINT_NAME

    if not (run_dir / CHECKPOINT_NAME).is_file():
        raise UsageError(f"--resume: run folder {run_dir} holds no {CHECKPOINT_NAME}; drop --resume to start a run")


def _run_training(recipe, count: int, name: str, run: Optional[Path], steps: int, lr: float, decay_every: int,
                  batch: int, patch: int, blocks: int, growth: int, weights, resume: bool, export: Optional[Path],
                  threads: int, device: str, data: Path, init: Optional[Path], minutes: float = 0.0, lr_warmup: int = 0,
                  force: bool = False, val_every: int = 500, note: str = "", subnet: str = "dense", **extra) -> None:
    import torch

    from stegcli.nn.subnets import SUBNETS
    from stegcli.train.loop import TrainSettings
    from stegcli.train.recipes import Architecture
    from stegcli.train.recipes import export as export_weights

    if not data.is_dir():
        raise UsageError(f"--data {data} is not a folder")
    if not (math.isfinite(lr) and lr > 0):
        raise UsageError(f"--lr {lr}: a learning rate must be positive")
    if subnet not in SUBNETS:
        raise UsageError(f"--subnet {subnet}: use one of {', '.join(SUBNETS)}")
    if patch % 2:
        raise UsageError(f"--patch {patch}: must be even (the networks work in 2x2 Haar blocks)")
    for option, path in (("--init", init), ("--init-hide", extra.get("init_hide"))):
        if path is not None and not path.is_file():
            raise UsageError(f"{option} {path} is not a file")
    run_dir = run or Path("runs") / name
    check_output(export, [], force, makes_folder=True)  # before hours of training, not after
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--run {run_dir} is a file, not a run folder")
    if resume:
        check_resumable(run_dir)
    else:
        start_over(run_dir, force)
    if threads:
        torch.set_num_threads(threads)
    torch.backends.cudnn.benchmark = True  # fixed patch sizes: let cuDNN pick its fastest convolutions
    settings = TrainSettings(steps=steps, lr=lr, decay_every=decay_every, minutes=minutes, lr_warmup=lr_warmup,
                             val_every=val_every, model=name)
    trainer = recipe(data, count, run_dir, settings,
                     resolve_device(device), Architecture(blocks, growth, patch, batch, subnet=subnet), weights, resume, console, init=init, **extra)
    if export is not None:
        notes = {"init": str(init)} if init is not None else {}  # where a run's first weights came from
        export_weights(trainer, export, {"validation": trainer.task.validate(trainer.device)},
                       notes=notes | ({"note": note} if note else {}))
        console.print(f"exported {export}")


def train_bits_command(
    data: Data,
    bpp: Annotated[int, typer.Option("--bpp", min=1, max=3, help="Bits per colour sample.")] = 3,
    run: Run = None, steps: Steps = 2000, lr: Lr = 5e-4, decay_every: DecayEvery = 1200, batch: Batch = 16,
    patch: Patch = 64, blocks: Blocks = 4, growth: Growth = 16, stego_weight: StegoWeight = 32.0,
    reveal_weight: RevealWeight = 1.0, resume: Resume = False, export: Export = None, threads: Threads = 0,
    device: Device = "auto", init: Init = None, minutes: Minutes = 0.0, lr_warmup: LrWarmup = 0, force: Force = False,
    val_every: ValEvery = 500, note: Note = "", subnet: Subnet = "dense",
    bits_loss: Annotated[str, typer.Option("--bits-loss", help="mse: MSE to the bit signal (the shipped bits-N); "
                                           "margin: a hinge at the threshold on scattered bits, for keyless payloads.")] = "mse",
) -> None:
    """Train a bits-BPP model; --export writes the weights with validation metrics."""
    from stegcli.train.hiding_task import BITS_LOSSES, LossWeights
    from stegcli.train.recipes import train_bits

    if bits_loss not in BITS_LOSSES:
        raise UsageError(f"--bits-loss {bits_loss}: use one of {', '.join(BITS_LOSSES)}")
    weights = LossWeights(stego=stego_weight, reveal=reveal_weight)
    _run_training(train_bits, bpp, f"bits-{bpp}", run, steps, lr, decay_every, batch, patch, blocks, growth,
                  weights, resume, export, threads, device, data, init, minutes, lr_warmup, force,
                  val_every=val_every, note=note, subnet=subnet, bits_loss=bits_loss)


def train_isn_command(
    data: Data,
    secrets: Annotated[int, typer.Option("--secrets", "-n", min=1, max=5, help="Secret images per cover.")] = 1,
    run: Run = None, steps: Steps = 20000, lr: Lr = 10 ** -3.5, decay_every: DecayEvery = 8000, batch: Batch = 8,
    patch: Patch = 128, blocks: Blocks = 8, growth: Growth = 32, stego_weight: StegoWeight = 1.0,
    low_weight: LowWeight = 1.0, reveal_weight: RevealWeight = 5.0, resume: Resume = False, export: Export = None,
    threads: Threads = 0, device: Device = "auto", init: Init = None, minutes: Minutes = 0.0, lr_warmup: LrWarmup = 0,
    force: Force = False, val_every: ValEvery = 500, note: Note = "", subnet: Subnet = "dense",
) -> None:
    """Train an isn-N model (keyless reveal is what the loss trains); --export writes the weights."""
    from stegcli.train.hiding_task import LossWeights
    from stegcli.train.recipes import train_isn

    weights = LossWeights(stego=stego_weight, low=low_weight, reveal=reveal_weight)
    _run_training(train_isn, secrets, f"isn-{secrets}", run, steps, lr, decay_every, batch, patch, blocks, growth,
                  weights, resume, export, threads, device, data, init, minutes, lr_warmup, force,
                  val_every=val_every, note=note, subnet=subnet)


def train_mosaic_command(
    data: Data,
    grid: Annotated[int, typer.Option("--grid", "-g", min=2, max=4, help="Mosaic side: 2, 3 or 4 (4, 9 or 16 secrets).")] = 2,
    stage: Annotated[str, typer.Option("--stage", help="rescale: the rescaling INN alone; joint: the whole pipeline.")] = "joint",
    init_hide: Annotated[Optional[Path], typer.Option("--init-hide", help="Start the hiding half from isn-1 weights of the same width.")] = None,
    run: Run = None, steps: Steps = 4000, lr: Lr = 2e-4, decay_every: DecayEvery = 2000, batch: Batch = 4,
    patch: Patch = 96, blocks: Blocks = 4, growth: Growth = 16, stego_weight: StegoWeight = 64.0,
    low_weight: LowWeight = 16.0, reveal_weight: RevealWeight = 1.0,
    tiles_weight: Annotated[float, typer.Option("--tiles-weight", help="Weight of L2(tiles, bicubic downscale).")] = 4.0,
    mosaic_weight: Annotated[float, typer.Option("--mosaic-weight", help="Weight of L2(revealed mosaic, mosaic).")] = 5.0,
    resume: Resume = False, export: Export = None, threads: Threads = 0, device: Device = "auto", init: Init = None,
    minutes: Minutes = 0.0, lr_warmup: LrWarmup = 0, force: Force = False, val_every: ValEvery = 500, note: Note = "",
) -> None:
    """Train a mosaic-N model (InvMIHNet); run --stage rescale first, then --stage joint --resume."""
    from stegcli.train.mosaic_task import STAGES, MosaicWeights
    from stegcli.train.recipes import train_mosaic

    if stage not in STAGES:
        raise UsageError(f"--stage must be one of {', '.join(STAGES)}")
    weights = MosaicWeights(stego=stego_weight, low=low_weight, reveal=reveal_weight, tiles=tiles_weight,
                            mosaic=mosaic_weight)
    _run_training(train_mosaic, grid, f"mosaic-{grid * grid}", run, steps, lr, decay_every, batch, patch, blocks,
                  growth, weights, resume, export, threads, device, data, init, minutes, lr_warmup, force,
                  val_every=val_every, note=note, stage=stage,
                  init_hide=init_hide)


def train_robust_command(
    data: Data,
    secrets: Annotated[int, typer.Option("--secrets", "-n", min=1, max=3, help="Secret images per cover.")] = 1,
    run: Run = None, steps: Steps = 20000, lr: Lr = 2e-4, decay_every: DecayEvery = 100000, batch: Batch = 16,
    patch: Patch = 128, blocks: Blocks = 4, growth: Growth = 16,
    chroma_weight: Annotated[float, typer.Option("--chroma-weight", min=0.0, help="Weight of the stego's chroma error against its luma error; 1: plain RGB MSE.")] = 1.0,
    z_weight: Annotated[float, typer.Option("--z-weight", min=0.0, help="Weight of L2(z, 0), which makes the constant z of the keyless reverse right.")] = 1.0,
    stego_weight: Annotated[float, typer.Option("--stego-weight", help="Initial weight of the stego error.")] = 30.0,
    stego_target: Annotated[float, typer.Option("--stego-target", help="Steer the stego weight towards this stego PSNR (dB); 0: fixed weight.")] = 34.0,
    reveal_weight: Annotated[float, typer.Option("--reveal-weight", help="Weight of the reveal loss.")] = 1.0,
    resume: Resume = False, export: Export = None, threads: Threads = 0, device: Device = "auto", init: Init = None,
    minutes: Minutes = 0.0, lr_warmup: LrWarmup = 0, force: Force = False, val_every: ValEvery = 500, note: Note = "",
    attack_mix: Annotated[Optional[str], typer.Option("--attack-mix", help="Share of each training attack, e.g. 'none=0.3,jpeg=0.5,resize=0.2' (unnamed: 0); default: the mix in docs/models.md.")] = None,
) -> None:
    """Train a robust-N model against simulated JPEG, noise, blur, rescaling and cropping.

    The invertible network of isn-N, read back by its keyless reverse: --init weights/robust-N.safetensors
    continues a shipped file, --init weights/isn-N.safetensors starts from the lossless model.
    """
    from stegcli.train.attack_layer import AttackRanges, parse_attack_mix
    from stegcli.train.recipes import train_robust
    from stegcli.train.robust_task import RobustWeights

    try:
        ranges = AttackRanges(weights=parse_attack_mix(attack_mix)) if attack_mix else None
    except ValueError as exc:
        raise UsageError(f"--attack-mix: {exc}") from None
    weights = RobustWeights(stego=stego_weight, stego_psnr_target=stego_target, chroma=chroma_weight, z=z_weight,
                            reveal=reveal_weight)
    _run_training(train_robust, secrets, f"robust-{secrets}", run, steps, lr, decay_every, batch, patch, blocks, growth,
                  weights, resume, export, threads, device, data, init, minutes, lr_warmup, force,
                  val_every=val_every, note=note, ranges=ranges)
