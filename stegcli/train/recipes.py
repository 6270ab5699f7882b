"""Entry points behind ``steg train ...``: build a task, train, export."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import torch
from rich.console import Console

from stegcli.errors import ModelError
from stegcli.models.weights import load_weights_file, save_weights
from stegcli.nn import (
    INNConfig,
    MosaicConfig,
    MosaicINN,
    RobustINNConfig,
    StegoINN,
)
from stegcli.nn.subnets import SUBNETS
from stegcli.train.attack_layer import AttackRanges
from stegcli.train.data import ImageBank, list_images
from stegcli.train.hiding_task import (
    BitsPayload,
    HidingTask,
    ImagesPayload,
    LossWeights,
    Payload,
)
from stegcli.train.loop import Trainer, TrainSettings
from stegcli.train.mosaic_task import MosaicTask, MosaicWeights
from stegcli.train.robust_task import RobustTask, RobustWeights, load_inn_start

# how a network that never trained takes a weights file's network: its own (same config), or another's
StartLoader = Callable[[torch.nn.Module, torch.nn.Module, str], int]
WarmStart = tuple[torch.nn.Module, "Path | None", tuple[str, ...], "StartLoader | None"]


@dataclass
class Architecture:
    blocks: int = 4
    growth: int = 16
    patch: int = 64
    batch: int = 16
    val_size: int = 128
    subnet: str = "dense"  # stego INNs (bits, isn) only: stegcli.nn.subnets.SUBNETS


def _train(task: HidingTask, run_dir: Path, settings: TrainSettings, device: torch.device, resume: bool,
           console: Console | None, warm_starts: list[WarmStart] = ()) -> Trainer:
    """Resume if asked, then fill each (network, weights file, kinds it may be) that never trained, then fit."""
    trainer = Trainer(task, run_dir, settings, device, console)
    if resume and trainer.checkpoint_path.exists():
        trainer.resume()
    for module, path, kinds, loader in warm_starts:
        if path is not None:
            warm_start(module, path, console, kinds, loader)
    trainer.fit()
    return trainer


def same_config_start(model: torch.nn.Module, source: torch.nn.Module, where: str) -> int:
    """Take ``source``'s weights when its architecture is the same as ``model``'s."""
    if source.config != model.config:
        raise ModelError(f"{where}: architecture {source.config} does not match {model.config}")
    model.load_state_dict(source.state_dict())
    return 0


def warm_start(model: torch.nn.Module, path: Path, console: Console | None = None,
               kinds: tuple[str, ...] | None = None, loader: StartLoader | None = None) -> bool:
    """Load a weights file into a network that never trained (so later resumes keep their progress).

    This is how training continues from shipped weights: ``--init weights/isn-4.safetensors``.
    ``loader`` (default: the same architecture only) may take other networks: a robust model starts
    from an ``isn-N`` or ``robust-N`` file with as many or fewer blocks
    (:func:`~stegcli.train.robust_task.load_inn_start`). A file of a kind outside ``kinds`` is
    refused even when its tensors fit (``bits-1`` and ``isn-1`` have the same network).
    """
    if not is_fresh(model):
        return False
    source, meta = load_weights_file(path, expected_name=None)
    if kinds is not None and meta.get("kind") not in kinds:
        raise ModelError(f"{path}: a {meta.get('kind')} model's weights; this starts from {' or '.join(kinds)} weights")
    identity = (loader or same_config_start)(model, source, str(path))
    if console is not None:
        console.print(f"initialised from {path}" + (f"; {identity} identity blocks after its own" if identity else ""))
    return True


def is_fresh(module: torch.nn.Module) -> bool:
    """True while the network is still its zero-output start (never trained): every coupling
    subnet's output layer is zero (the identity)."""
    subnets = tuple(SUBNETS.values())
    return all(not torch.any(net.out.weight) for net in module.modules() if isinstance(net, subnets))


def _banks(data: Path, arch: Architecture) -> tuple[ImageBank, ImageBank]:
    """Image banks of the fixed train/validation split (validation crops are ``arch.val_size`` px)."""
    return (ImageBank(list_images(data, "train"), arch.patch, "training images"),
            ImageBank(list_images(data, "val"), arch.val_size, "validation images (a fixed ~10% of the folder)"))


def _hiding_task(data: Path, arch: Architecture, secret_channels: int, payload_for: Callable[[ImageBank], Payload],
                 weights: LossWeights | None) -> HidingTask:
    """A stego INN of the given width and the payload drawn from the train bank."""
    train, val = _banks(data, arch)
    inn = StegoINN(INNConfig(secret_channels=secret_channels, blocks=arch.blocks, growth=arch.growth,
                             subnet=arch.subnet))
    return HidingTask(train, val, inn, payload_for(train), arch.patch, arch.batch, weights, arch.val_size)


def train_bits(data: Path, bpp: int, run_dir: Path, settings: TrainSettings, device: torch.device,
               arch: Architecture | None = None, weights: LossWeights | None = None, resume: bool = False,
               console: Console | None = None, init: Path | None = None, bits_loss: str = "mse") -> Trainer:
    """Train a ``bits-<bpp>`` model; checkpoints go to ``run_dir``; ``init`` starts from a weights file."""
    task = _hiding_task(data, arch or Architecture(), 3 * bpp, lambda _: BitsPayload(bpp, bits_loss), weights)
    return _train(task, run_dir, settings, device, resume, console, [(task.model, init, ("bits",), None)])


def train_isn(data: Path, secrets: int, run_dir: Path, settings: TrainSettings, device: torch.device,
              arch: Architecture | None = None, weights: LossWeights | None = None, resume: bool = False,
              console: Console | None = None, init: Path | None = None) -> Trainer:
    """Train an ``isn-<secrets>`` model: covers and secrets drawn independently from the training split."""
    task = _hiding_task(data, arch or Architecture(), 3 * secrets, lambda bank: ImagesPayload(secrets, bank), weights)
    return _train(task, run_dir, settings, device, resume, console, [(task.model, init, ("isn",), None)])


def train_mosaic(data: Path, grid: int, run_dir: Path, settings: TrainSettings, device: torch.device,
                 arch: Architecture | None = None, weights: MosaicWeights | None = None, resume: bool = False,
                 console: Console | None = None, init: Path | None = None, stage: str = "joint",
                 init_hide: Path | None = None) -> Trainer:
    """Train a ``mosaic-<grid*grid>`` model (stage ``rescale``: the IIR alone; ``joint``: everything).

    ``init_hide`` starts the hiding half from an ``isn-1`` weights file of the same width (the
    seed's separate warm-up of the hiding network, which ``isn-1`` already is); it only fills a
    hiding half that never trained, so it is safe to repeat on later resumes.
    """
    arch = arch or Architecture()
    config = MosaicConfig(grid, rescale_blocks=arch.blocks, rescale_growth=arch.growth,
                          hide_blocks=arch.blocks, hide_growth=arch.growth)
    arch = replace(arch, val_size=arch.val_size - arch.val_size % config.stride)  # whole tiles and wavelet blocks
    train, val = _banks(data, arch)
    model = MosaicINN(config)
    task = MosaicTask(train, val, model, ImagesPayload(config.secrets, train), arch.patch, arch.batch, weights,
                      arch.val_size, stage)
    return _train(task, run_dir, settings, device, resume, console,
                  [(model, init, ("mosaic",), None), (model.hide, init_hide, ("isn",), None)])


def train_robust(data: Path, secrets: int, run_dir: Path, settings: TrainSettings, device: torch.device,
                 arch: Architecture | None = None, weights: RobustWeights | None = None, resume: bool = False,
                 console: Console | None = None, init: Path | None = None, ranges: AttackRanges | None = None) -> Trainer:
    """Train a ``robust-<secrets>`` model against the attack layer (``ranges``: its mix and strengths);
    ``arch.blocks``/``arch.growth`` size the invertible network."""
    arch = arch or Architecture(blocks=4, growth=16, patch=128, batch=8)
    train, val = _banks(data, arch)
    config = RobustINNConfig(secrets, blocks=arch.blocks, growth=arch.growth)
    task = RobustTask(train, val, config, arch.patch, arch.batch, weights, arch.val_size, ranges)
    return _train(task, run_dir, settings, device, resume, console, [(task.net, init, ("isn", "robust"), load_inn_start)])


def export(trainer: Trainer, out: Path, metrics: dict | None = None, notes: dict | None = None) -> str:
    """Write the trained model with config, recipe (plus ``notes``) and metrics; returns the model name."""
    task: HidingTask | RobustTask = trainer.task  # type: ignore[assignment]
    recipe = {**task.recipe(), "steps": trainer.step, "rollbacks": trainer.rollbacks, "settings": asdict(trainer.s),
              **(notes or {})}
    name, kind, model, config = task.exported()
    save_weights(out, model, name=name, kind=kind, config=config, recipe=recipe, metrics=metrics or {})
    return name
