"""Resumable training checkpoints in safetensors (no pickle).

Model and Adam state tensors are stored flat; scalars (step, learning rate,
optimizer hyper-parameters) travel as JSON metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file


def save_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    for idx, slots in opt["state"].items():
        for key, value in slots.items():
            tensors[f"optim.{idx}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    meta = {"state": json.dumps(state), "param_groups": json.dumps(opt["param_groups"])}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    os.replace(tmp, path)


def checkpoint_model_state(path: Path, prefix: str = "") -> dict[str, torch.Tensor]:
    """The model tensors of a checkpoint whose names start with ``prefix`` (stripped), without the optimizer.

    A sub-network's weights (``prefix="net."``: a robust model without its critics) can be read this way.
    """
    start = f"model.{prefix}"
    with safe_open(str(path), framework="pt") as handle:
        return {key[len(start) :]: handle.get_tensor(key) for key in handle.keys() if key.startswith(start)}


def checkpoint_state(path: Path) -> dict[str, Any]:
    """The JSON state a checkpoint was saved with (step, settings, architecture), without loading tensors."""
    with safe_open(str(path), framework="pt") as handle:
        return json.loads(handle.metadata()["state"])


def load_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    slots: dict[int, dict[str, torch.Tensor]] = {}
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata()
        for key in handle.keys():
            if key.startswith("optim."):
                _, idx, slot = key.split(".", 2)
                slots.setdefault(int(idx), {})[slot] = handle.get_tensor(key)
    model.load_state_dict(checkpoint_model_state(path))
    optimizer.load_state_dict({"state": slots, "param_groups": json.loads(meta["param_groups"])})
    return json.loads(meta["state"])
