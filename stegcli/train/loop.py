"""A small, resumable training loop shared by all model families.

A *task* knows its model, how to draw a batch, its loss and its validation;
the loop knows optimisation: Adam, step decay, gradient clipping, rollback on
loss spikes, periodic checkpoints, ``--resume`` and progress display.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from stegcli.errors import ModelError
from stegcli.nn.config import ArchConfig
from stegcli.train.checkpoint import checkpoint_state, load_checkpoint, save_checkpoint

CHECKPOINT_NAME = "checkpoint.safetensors"
LOG_NAME = "log.jsonl"


class Task(Protocol):
    model: torch.nn.Module

    def sample_batch(self, rng: np.random.Generator, device: torch.device) -> Any: ...

    def loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]: ...

    def validate(self, device: torch.device) -> dict[str, float]: ...


@dataclass
class TrainSettings:
    steps: int = 20000
    lr: float = 10 ** -3.5
    decay_every: int = 8000
    grad_clip: float = 10.0
    spike_factor: float = 5.0
    val_every: int = 500
    log_every: int = 50
    checkpoint_minutes: float = 3.0
    seed: int = 0
    minutes: float = 0.0  # stop (checkpoint, export) after this much wall time in this run; 0: no limit
    lr_warmup: int = 0  # ramp the lr up linearly over this many steps while Adam's moments are fresh (not on --resume)
    model: str = ""  # the model this run trains (e.g. "isn-1"); a checkpoint of another one is not resumed


class Trainer:
    def __init__(self, task: Task, run_dir: Path, settings: TrainSettings, device: torch.device, console: Console | None = None) -> None:
        self.task, self.run_dir, self.s, self.device = task, Path(run_dir), settings, device
        self.console = console or Console(stderr=True)
        self.model = task.model.to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=settings.lr)
        self.step = 0
        self.lr_scale = 1.0  # halved at every rollback
        self.loss_ema: float | None = None
        self.rollbacks = 0
        self.best_val: dict[str, float] = {}
        self._snapshot: tuple[dict, dict] | None = None
        self._steps_this_run = 0
        self._fresh_optimizer = True  # Adam's first steps move every weight by ~lr: a shock to a warm-started model
        self.run_dir.mkdir(parents=True, exist_ok=True)

    # -- state -----------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME

    def save(self) -> None:
        state = {
            "step": self.step,
            "lr_scale": self.lr_scale,
            "loss_ema": self.loss_ema,
            "rollbacks": self.rollbacks,
            "settings": asdict(self.s),
            "architecture": self.architecture(),
        }
        save_checkpoint(self.checkpoint_path, self.model, self.optimizer, state)

    def architecture(self) -> dict[str, Any] | None:
        """The trained network's configuration (the outermost one the model holds), kept in checkpoints."""
        config = self._config()
        return None if config is None else config.to_dict()

    def _config(self) -> ArchConfig | None:
        for module in self.model.modules():
            config = getattr(module, "config", None)
            if isinstance(config, ArchConfig):
                return config
        return None

    def resume(self) -> None:
        """Continue the run folder's checkpoint; refuse one of another architecture, even one with the same
        tensors (a clamp, say), rather than train a network the run never was."""
        state = checkpoint_state(self.checkpoint_path)
        trained = state.get("settings", {}).get("model", "")
        if trained and self.s.model and trained != self.s.model:  # bits-1 and isn-1 share every tensor's shape
            raise ModelError(f"{self.checkpoint_path} trains {trained}, not {self.s.model}; give its run folder")
        saved, current = state.get("architecture"), self.architecture() or {}
        if saved is not None and not self._same_architecture(saved):
            changed = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
            raise ModelError(f"{self.checkpoint_path} was trained with another architecture "
                             f"({', '.join(f'{k}={saved.get(k)}' for k in changed)}); give the run's options")
        state = load_checkpoint(self.checkpoint_path, self.model, self.optimizer)
        self.step, self.lr_scale, self.rollbacks = state["step"], state["lr_scale"], state["rollbacks"]
        self._fresh_optimizer = False
        # loss_ema starts afresh: a resumed run may use other loss weights
        self.console.print(f"resumed {self.checkpoint_path} at step {self.step}")

    def _same_architecture(self, saved: dict[str, Any]) -> bool:
        """Whether a checkpoint's architecture is this network's; fields added since it was saved take their
        defaults (a run from before ``INNConfig.subnet`` trained a dense subnet)."""
        config = self._config()
        if config is None:
            return not saved
        try:
            return type(config).from_dict(saved) == config
        except (TypeError, ValueError):  # a field this version does not know, or another config type's
            return False

    def current_lr(self) -> float:
        ramp = 1.0
        if self._fresh_optimizer and self.s.lr_warmup:
            ramp = min(1.0, (self._steps_this_run + 1) / self.s.lr_warmup)
        return self.s.lr * self.lr_scale * ramp * 0.5 ** (self.step // self.s.decay_every)

    def _log(self, record: dict[str, Any]) -> None:
        with open(self.run_dir / LOG_NAME, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    # -- one step ----------------------------------------------------------------
    def _is_spike(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        return self.loss_ema is not None and self._steps_this_run >= 20 and loss > self.s.spike_factor * self.loss_ema

    def _rollback(self, loss: float) -> None:
        if self._snapshot is None:
            raise RuntimeError(f"loss diverged ({loss}) before the first snapshot")
        self.model.load_state_dict(self._snapshot[0])
        self.optimizer.load_state_dict(self._snapshot[1])
        self.lr_scale *= 0.5
        self.rollbacks += 1
        msg = f"step {self.step}: loss spike {loss:.4g} (ema {self.loss_ema:.4g}); rolled back, lr x0.5"
        self.console.print(msg)
        self._log({"step": self.step, "event": "rollback", "loss": loss})

    def train_step(self, rng: np.random.Generator) -> dict[str, float] | None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.current_lr()
        batch = self.task.sample_batch(rng, self.device)
        self.model.train()
        loss, metrics = self.task.loss(batch)
        value = float(loss.detach())
        if self._is_spike(value):
            self._rollback(value)
            return None
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.s.grad_clip)
        self.optimizer.step()
        self.loss_ema = value if self.loss_ema is None else 0.98 * self.loss_ema + 0.02 * value
        self._steps_this_run += 1
        if self._snapshot is None or self.step % 50 == 0:
            self._snapshot = (copy.deepcopy(self.model.state_dict()), copy.deepcopy(self.optimizer.state_dict()))
        return {"loss": value, **metrics}

    # -- the loop ------------------------------------------------------------------
    def fit(self) -> dict[str, float]:
        show_bar = self.console.is_terminal
        last_ckpt = started = time.monotonic()
        recent: list[dict[str, float]] = []
        val: dict[str, float] = {}
        progress = Progress(
            TextColumn("[bold]train"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=self.console, disable=not show_bar,
        )
        with progress:
            bar = progress.add_task("train", total=self.s.steps, completed=self.step, info="")
            while self.step < self.s.steps:
                if self.s.minutes and time.monotonic() - started > 60 * self.s.minutes:
                    self.console.print(f"time limit of {self.s.minutes} min reached at step {self.step}")
                    break
                rng = np.random.default_rng([self.s.seed, self.step, self.rollbacks])
                metrics = self.train_step(rng)
                if metrics is None:
                    continue
                self.step += 1
                recent.append(metrics)
                if self.step % self.s.log_every == 0 or self.step == self.s.steps:
                    mean = {k: float(np.mean([m[k] for m in recent])) for k in recent[0]}
                    recent.clear()
                    info = "  ".join(f"{k} {v:.4g}" for k, v in mean.items())
                    self._log({"step": self.step, "lr": self.current_lr(), **mean})
                    progress.update(bar, info=info)
                    if not show_bar:
                        self.console.print(f"step {self.step}/{self.s.steps}  lr {self.current_lr():.2e}  {info}")
                if self.step % self.s.val_every == 0 or self.step == self.s.steps:
                    val = self.task.validate(self.device)
                    self._log({"step": self.step, "val": val})
                    self.console.print(f"step {self.step} validation: " + "  ".join(f"{k} {v:.4g}" for k, v in val.items()))
                if time.monotonic() - last_ckpt > 60 * self.s.checkpoint_minutes:
                    self.save()
                    last_ckpt = time.monotonic()
                progress.update(bar, completed=self.step)
        self.save()
        return val
