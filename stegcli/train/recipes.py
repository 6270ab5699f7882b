"""Entry points behind ``steg train ...``: build a task, train, export."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
from rich.console import Console

from stegcli.nn import INNConfig
from stegcli.train.data import ImageBank, list_images
from stegcli.train.hiding_task import (
    BitsPayload,
    HidingTask,
    ImagesPayload,
    LossWeights,
    Payload,
)
from stegcli.train.loop import Trainer, TrainSettings
from stegcli.zoo import save_weights


@dataclass
class Architecture:
    blocks: int = 4
    growth: int = 16
    patch: int = 64
    batch: int = 16
    val_size: int = 128


def _train(task: HidingTask, run_dir: Path, settings: TrainSettings, device: torch.device, resume: bool,
           console: Console | None) -> Trainer:
    trainer = Trainer(task, run_dir, settings, device, console)
    if resume and trainer.checkpoint_path.exists():
        trainer.resume()
    trainer.fit()
    return trainer


def _hiding_task(data: Path, arch: Architecture, secret_channels: int, payload_for: Callable[[ImageBank], Payload],
                 weights: LossWeights | None) -> HidingTask:
    """Image banks of the fixed split, an INN of the given width, and the payload drawn from the train bank."""
    train = ImageBank(list_images(data, "train"), arch.patch)
    val = ImageBank(list_images(data, "val"), arch.val_size)
    inn = INNConfig(secret_channels=secret_channels, blocks=arch.blocks, growth=arch.growth)
    return HidingTask(train, val, inn, payload_for(train), arch.patch, arch.batch, weights, arch.val_size)


def train_bits(data: Path, bpp: int, run_dir: Path, settings: TrainSettings, device: torch.device,
               arch: Architecture | None = None, weights: LossWeights | None = None, resume: bool = False,
               console: Console | None = None) -> Trainer:
    """Train a ``bits-<bpp>`` model; checkpoints go to ``run_dir``."""
    task = _hiding_task(data, arch or Architecture(), 3 * bpp, lambda _: BitsPayload(bpp), weights)
    return _train(task, run_dir, settings, device, resume, console)


def train_isn(data: Path, secrets: int, run_dir: Path, settings: TrainSettings, device: torch.device,
              arch: Architecture | None = None, weights: LossWeights | None = None, resume: bool = False,
              console: Console | None = None) -> Trainer:
    """Train an ``isn-<secrets>`` model: covers and secrets drawn independently from the training split."""
    task = _hiding_task(data, arch or Architecture(), 3 * secrets, lambda bank: ImagesPayload(secrets, bank), weights)
    return _train(task, run_dir, settings, device, resume, console)


def export(trainer: Trainer, out: Path, metrics: dict | None = None) -> str:
    """Write the trained model with config, recipe and metrics; returns the model name."""
    task: HidingTask = trainer.task  # type: ignore[assignment]
    recipe = {**task.recipe(), "steps": trainer.step, "rollbacks": trainer.rollbacks, "settings": asdict(trainer.s)}
    config: dict = {"inn": task.model.config.to_dict()}
    if isinstance(task.payload, BitsPayload):
        name, kind = f"bits-{task.payload.bpp}", "bits"
        config["bpp"] = task.payload.bpp
    else:
        name, kind = f"isn-{task.payload.count}", "isn"
        config["secrets"] = task.payload.count
    save_weights(out, task.model, name=name, kind=kind, config=config, recipe=recipe, metrics=metrics or {})
    return name
