"""``steg train bits|isn|mosaic|robust``: train a model, optionally export its weights."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from stegcli.cli.common import Device, console
from stegcli.device import resolve_device
from stegcli.errors import UsageError
from stegcli.imageio import check_output

Data = Annotated[Path, typer.Option("--data", help="Folder of training photographs (a fixed 10% by name hash is validation).")]
Run = Annotated[Optional[Path], typer.Option("--run", help="Run folder for checkpoints and logs (default runs/MODEL).")]
Steps = Annotated[int, typer.Option("--steps", min=0, help="Train until this many steps in total.")]
Lr = Annotated[float, typer.Option("--lr", help="Adam learning rate.")]
DecayEvery = Annotated[int, typer.Option("--decay-every", min=1, help="Halve the learning rate every N steps.")]
Batch = Annotated[int, typer.Option("--batch", min=1)]
Patch = Annotated[int, typer.Option("--patch", min=16, help="Square training crop size (even; a multiple of the mosaic stride for mosaic models).")]
Blocks = Annotated[int, typer.Option("--blocks", min=1, help="Coupling blocks.")]
Growth = Annotated[int, typer.Option("--growth", min=1, help="Dense-block growth (width).")]
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
Init = Annotated[Optional[Path], typer.Option("--init", help="Start from this weights file (e.g. the shipped one) instead of the identity; a U-Net robust model's may hide fewer secrets (the model is grown), an invertible robust model's may have fewer blocks (the rest start as the identity); ignored once the run has trained.")]


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
                  force: bool = False, val_every: int = 500, note: str = "", **extra) -> None:
    import torch

    from stegcli.train.loop import TrainSettings
    from stegcli.train.recipes import Architecture
    from stegcli.train.recipes import export as export_weights

    if not data.is_dir():
        raise UsageError(f"--data {data} is not a folder")
    if not (math.isfinite(lr) and lr > 0):
        raise UsageError(f"--lr {lr}: a learning rate must be positive")
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
                     resolve_device(device), Architecture(blocks, growth, patch, batch), weights, resume, console, init=init, **extra)
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
    val_every: ValEvery = 500, note: Note = "",
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
                  val_every=val_every, note=note, bits_loss=bits_loss)


def train_isn_command(
    data: Data,
    secrets: Annotated[int, typer.Option("--secrets", "-n", min=1, max=5, help="Secret images per cover.")] = 1,
    run: Run = None, steps: Steps = 20000, lr: Lr = 10 ** -3.5, decay_every: DecayEvery = 8000, batch: Batch = 8,
    patch: Patch = 128, blocks: Blocks = 8, growth: Growth = 32, stego_weight: StegoWeight = 1.0,
    low_weight: LowWeight = 1.0, reveal_weight: RevealWeight = 5.0, resume: Resume = False, export: Export = None,
    threads: Threads = 0, device: Device = "auto", init: Init = None, minutes: Minutes = 0.0, lr_warmup: LrWarmup = 0,
    force: Force = False, val_every: ValEvery = 500, note: Note = "",
) -> None:
    """Train an isn-N model (keyless reveal is what the loss trains); --export writes the weights."""
    from stegcli.train.hiding_task import LossWeights
    from stegcli.train.recipes import train_isn

    weights = LossWeights(stego=stego_weight, low=low_weight, reveal=reveal_weight)
    _run_training(train_isn, secrets, f"isn-{secrets}", run, steps, lr, decay_every, batch, patch, blocks, growth,
                  weights, resume, export, threads, device, data, init, minutes, lr_warmup, force,
                  val_every=val_every, note=note)


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


ARCHS = ("inn", "unet")
UNET_MIN_PATCH = 32
UNET = "(--arch unet)"
INN = "(--arch inn)"


def train_robust_command(
    data: Data,
    secrets: Annotated[int, typer.Option("--secrets", "-n", min=1, max=3, help="Secret images per cover.")] = 1,
    arch: Annotated[str, typer.Option("--arch", help="inn: the invertible network that ships (an isn-N read back by its keyless reverse); unet: the seed's U-Net pipeline.")] = "inn",
    run: Run = None, steps: Steps = 20000,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Adam learning rate; default 2e-4 (inn), 5e-4 (unet).", show_default=False)] = None,
    decay_every: DecayEvery = 100000, batch: Batch = 16, patch: Patch = 128,
    blocks: Annotated[Optional[int], typer.Option("--blocks", min=1, help=f"Coupling blocks {INN}; default 4.", show_default=False)] = None,
    growth: Annotated[Optional[int], typer.Option("--growth", min=1, help=f"Dense-block growth (width) {INN}; default 16.", show_default=False)] = None,
    refine: Annotated[Optional[int], typer.Option("--refine", min=0, help=f"Width of a refinement U-Net after the keyless reverse {INN}; 0: none; default 0.", show_default=False)] = None,
    freeze_inn: Annotated[bool, typer.Option("--freeze-inn", help=f"Train only the refinement; the stego and its code stay as --init made them {INN}.")] = False,
    luma_only: Annotated[bool, typer.Option("--luma-only", help=f"Change the cover in luma only: the stego keeps the cover's chroma, which JPEG quantises coarsely {INN}.")] = False,
    chroma_blur: Annotated[Optional[float], typer.Option("--chroma-blur", min=0.0, max=4.0, metavar="SIGMA", help=f"Low-pass the chroma of the stego's change with a Gaussian of this sigma (pixels; 0: none): the code keeps only the coarse chroma that JPEG keeps {INN}; default 0.", show_default=False)] = None,
    chroma_weight: Annotated[Optional[float], typer.Option("--chroma-weight", min=0.0, help=f"Weight of the stego's chroma error against its luma error {INN}; 1: plain RGB MSE; default 1.", show_default=False)] = None,
    z_weight: Annotated[Optional[float], typer.Option("--z-weight", min=0.0, help=f"Weight of L2(z, 0), which makes the constant z of the keyless reverse right {INN}; default 1.", show_default=False)] = None,
    levels: Annotated[Optional[int], typer.Option("--levels", min=2, max=6, help=f"U-Net levels (sides are padded to 2^(levels-1)) {UNET}; default 4.", show_default=False)] = None,
    width: Annotated[Optional[int], typer.Option("--width", min=4, help=f"U-Net base width (channels of the finest level) {UNET}; default 16.", show_default=False)] = None,
    fold: Annotated[Optional[int], typer.Option("--fold", min=1, max=4, help=f"U-Nets see FOLDxFOLD pixel blocks as channels (space-to-depth; 1: plain pixels) {UNET}; default 1.", show_default=False)] = None,
    residual_blur: Annotated[Optional[float], typer.Option("--residual-blur", min=0.0, max=4.0, metavar="SIGMA", help=f"Low-pass the embedded residual with a fixed Gaussian of this sigma (pixels; 0: none), so the hidden code lies where resampling and blur leave it {UNET}; default 0.", show_default=False)] = None,
    stego_weight: Annotated[Optional[float], typer.Option("--stego-weight", help="Initial weight of the stego error; default 30.", show_default=False)] = None,
    stego_target: Annotated[Optional[float], typer.Option("--stego-target", help="Steer the stego weight towards this stego PSNR (dB); 0: fixed weight; default 34 (inn), 35.5 (unet).", show_default=False)] = None,
    reveal_weight: Annotated[Optional[float], typer.Option("--reveal-weight", help="Weight of the reveal loss; default 1 (inn), 2 (unet).", show_default=False)] = None,
    adversarial_weight: Annotated[Optional[float], typer.Option("--adversarial-weight", help=f"Weight of the PatchGAN (LSGAN) terms {UNET}; default 0.01.", show_default=False)] = None,
    warmup: Annotated[Optional[int], typer.Option("--warmup", min=0, help=f"Steps from clean hiding at a 10 dB looser stego target to the full attack mix {UNET}; default 2000.", show_default=False)] = None,
    resume: Resume = False, export: Export = None, threads: Threads = 0, device: Device = "auto", init: Init = None,
    minutes: Minutes = 0.0, lr_warmup: LrWarmup = 0, force: Force = False, val_every: ValEvery = 500, note: Note = "",
    freeze_embedder: Annotated[bool, typer.Option("--freeze-embedder", help=f"Train only the decoupling and reveal networks (with --init: on the file's fixed hiding code) {UNET}.")] = False,
    attack_mix: Annotated[Optional[str], typer.Option("--attack-mix", help="Share of each training attack, e.g. 'none=0.3,jpeg=0.5,resize=0.2' (unnamed: 0); default: the mix in docs/models.md.")] = None,
) -> None:
    """Train a robust-N model against simulated JPEG, noise, blur, rescaling and cropping.

    --arch inn (the default) trains what ships: --init weights/robust-N.safetensors continues a
    shipped file, --init weights/isn-N.safetensors starts from the lossless model.
    """
    from stegcli.train.attack_layer import AttackRanges, parse_attack_mix

    if arch not in ARCHS:
        raise UsageError(f"--arch must be one of {', '.join(ARCHS)}")
    own = {"inn": {"--blocks": blocks, "--growth": growth, "--refine": refine, "--freeze-inn": freeze_inn or None,
                   "--luma-only": luma_only or None, "--chroma-blur": chroma_blur,
                   "--chroma-weight": chroma_weight, "--z-weight": z_weight},
           "unet": {"--levels": levels, "--width": width, "--fold": fold, "--residual-blur": residual_blur,
                    "--adversarial-weight": adversarial_weight, "--warmup": warmup,
                    "--freeze-embedder": freeze_embedder or None}}
    other = "unet" if arch == "inn" else "inn"
    misplaced = [option for option, value in own[other].items() if value is not None]
    if misplaced:
        raise UsageError(f"{misplaced[0]} is an option of --arch {other}, not of --arch {arch}")
    try:
        ranges = AttackRanges(weights=parse_attack_mix(attack_mix)) if attack_mix else None
    except ValueError as exc:
        raise UsageError(f"--attack-mix: {exc}") from None
    common = dict(run=run, steps=steps, decay_every=decay_every, batch=batch, patch=patch, resume=resume,
                  export=export, threads=threads, device=device, data=data, init=init, minutes=minutes,
                  lr_warmup=lr_warmup, force=force, ranges=ranges, val_every=val_every, note=note)
    if arch == "inn":
        _train_robust_inn(secrets, lr, blocks, growth, refine, freeze_inn, luma_only, chroma_blur, stego_weight,
                          stego_target, chroma_weight, z_weight, reveal_weight, common)
    else:
        _train_robust_unet(secrets, lr, levels, width, fold, residual_blur, stego_weight, stego_target, reveal_weight,
                           adversarial_weight, warmup, freeze_embedder, common)


def _given(value, default):
    return default if value is None else value


def _given_only(**options) -> dict:
    """The options the user gave (not None): a dataclass built from them keeps its own defaults for the rest."""
    return {name: value for name, value in options.items() if value is not None}


def _train_robust_inn(secrets: int, lr: Optional[float], blocks: Optional[int], growth: Optional[int],
                      refine: Optional[int], freeze_inn: bool, luma_only: bool, chroma_blur: Optional[float],
                      stego_weight: Optional[float], stego_target: Optional[float], chroma_weight: Optional[float],
                      z_weight: Optional[float], reveal_weight: Optional[float], common: dict) -> None:
    from stegcli.nn import RobustINNConfig
    from stegcli.train.recipes import train_robust_inn
    from stegcli.train.robust_inn_task import RobustINNWeights

    weights = RobustINNWeights(**_given_only(stego=stego_weight, stego_psnr_target=stego_target, chroma=chroma_weight,
                                             z=z_weight, reveal=reveal_weight))
    if luma_only and chroma_blur:
        raise UsageError("--chroma-blur low-passes the chroma that --luma-only drops: give one of them")
    if freeze_inn and not refine:
        raise UsageError("--freeze-inn leaves nothing to train without --refine WIDTH")
    if freeze_inn and common["init"] is None and not common["resume"]:
        raise UsageError("--freeze-inn needs --init FILE: a trained model whose hiding code stays fixed")
    _run_training(train_robust_inn, secrets, f"robust-{secrets}", blocks=_given(blocks, RobustINNConfig.blocks),
                  growth=_given(growth, RobustINNConfig.growth), lr=_given(lr, 2e-4), weights=weights,
                  refine=_given(refine, RobustINNConfig.refine), freeze_inn=freeze_inn,
                  luma_only=luma_only, chroma_blur=_given(chroma_blur, RobustINNConfig.chroma_blur), **common)


def _train_robust_unet(secrets: int, lr: Optional[float], levels: Optional[int], width: Optional[int],
                       fold: Optional[int], residual_blur: Optional[float], stego_weight: Optional[float],
                       stego_target: Optional[float], reveal_weight: Optional[float],
                       adversarial_weight: Optional[float], warmup: Optional[int], freeze_embedder: bool,
                       common: dict) -> None:
    from stegcli.train.recipes import train_robust
    from stegcli.train.robust_task import RobustWeights

    weights = RobustWeights(**_given_only(stego=stego_weight, stego_psnr_target=stego_target, reveal=reveal_weight,
                                          adversarial=adversarial_weight, warmup_steps=warmup))
    if freeze_embedder and common["init"] is None and not common["resume"]:
        raise UsageError("--freeze-embedder needs --init FILE: a trained model whose hiding code stays fixed")
    if common["patch"] < UNET_MIN_PATCH:
        raise UsageError(f"--patch {common['patch']}: --arch unet needs at least {UNET_MIN_PATCH} (its critics' "
                         "receptive field)")
    _run_training(train_robust, secrets, f"robust-{secrets}", blocks=_given(levels, 4), growth=_given(width, 16),
                  lr=_given(lr, 5e-4), weights=weights, freeze_embedder=freeze_embedder, fold=_given(fold, 1),
                  residual_blur=_given(residual_blur, 0.0), **common)
