"""Entry points behind ``steg train ...``: build a task, train, export."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
from rich.console import Console

from stegcli.nn import INNConfig
from stegcli.train.bits_task import BitsLossWeights, BitsTask
from stegcli.train.data import ImageBank, list_images
from stegcli.train.loop import Trainer, TrainSettings
from stegcli.zoo import save_weights


def train_bits(
    data: Path,
    bpp: int,
    run_dir: Path,
    settings: TrainSettings,
    device: torch.device,
    *,
    blocks: int = 4,
    growth: int = 16,
    patch: int = 64,
    batch: int = 16,
    weights: BitsLossWeights | None = None,
    val_size: int = 128,
    resume: bool = False,
    console: Console | None = None,
) -> Trainer:
    """Train a ``bits-<bpp>`` model; checkpoints go to ``run_dir``."""
    train = ImageBank(list_images(data, "train"), patch)
    val = ImageBank(list_images(data, "val"), val_size)
    inn = INNConfig(secret_channels=3 * bpp, blocks=blocks, growth=growth)
    task = BitsTask(train, val, bpp, inn, patch=patch, batch=batch, weights=weights, val_size=val_size)
    trainer = Trainer(task, run_dir, settings, device, console)
    if resume and trainer.checkpoint_path.exists():
        trainer.resume()
    trainer.fit()
    return trainer


def export_bits(trainer: Trainer, out: Path, metrics: dict | None = None) -> None:
    task: BitsTask = trainer.task  # type: ignore[assignment]
    recipe = {**task.recipe(), "steps": trainer.step, "rollbacks": trainer.rollbacks,
              "settings": asdict(trainer.s)}
    config = {"inn": task.model.config.to_dict(), "bpp": task.bpp}
    save_weights(out, task.model, name=f"bits-{task.bpp}", kind="bits", config=config,
                 recipe=recipe, metrics=metrics or {})
