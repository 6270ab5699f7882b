"""Shared test helpers: tiny models, synthetic images, in-process CLI runs."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from stegcli.models.weights import save_weights
from stegcli.nn import DenseSubnet, INNConfig, MosaicConfig, MosaicINN, StegoINN


def randomize_outputs(model: torch.nn.Module, scale: float) -> None:
    """Make the zero-initialised output convs random, so the network is not the identity."""
    with torch.no_grad():
        for net in model.modules():
            if isinstance(net, DenseSubnet):
                net.out.weight.normal_(0, scale)
                net.out.bias.normal_(0, scale)


def tiny_inn(secret_channels: int, seed: int = 0, blocks: int = 2, growth: int = 8, scale: float = 0.02,
             dtype: torch.dtype = torch.float32) -> StegoINN:
    """A small random stego INN."""
    torch.manual_seed(seed)
    model = StegoINN(INNConfig(secret_channels=secret_channels, blocks=blocks, growth=growth)).to(dtype)
    randomize_outputs(model, scale)
    return model.eval()


def tiny_mosaic(grid: int, seed: int = 0, scale: float = 0.02, dtype: torch.dtype = torch.float32) -> MosaicINN:
    """A small random mosaic network."""
    torch.manual_seed(seed)
    config = MosaicConfig(grid, rescale_blocks=1, rescale_growth=4, hide_blocks=2, hide_growth=8)
    model = MosaicINN(config).to(dtype)
    randomize_outputs(model, scale)
    return model.eval()


def write_tiny_bits_weights(folder: Path, bpp: int, seed: int = 0) -> Path:
    model = tiny_inn(3 * bpp, seed=seed, scale=0.003)  # visible changes, stego stays inside [0, 255]
    path = folder / f"bits-{bpp}.safetensors"
    save_weights(path, model, name=f"bits-{bpp}", kind="bits",
                 config={"inn": model.config.to_dict(), "bpp": bpp}, recipe={"test": True}, metrics={}, half=False)
    return path


def smooth_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A synthetic natural-ish uint8 RGB image (smooth gradients + mild noise), away from 0 and 255."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None, None]
    x = np.linspace(0, 1, width)[None, :, None]
    base = 0.3 + 0.4 * (0.5 * y + 0.5 * x) * rng.uniform(0.5, 1.0, 3)
    img = base + 0.03 * rng.standard_normal((height, width, 3))
    return (np.clip(img, 0.05, 0.95) * 255).round().astype(np.uint8)


@dataclass
class CliResult:
    code: int
    stdout: bytes
    stderr: str


def run_steg(args: list[str], stdin: bytes = b"") -> CliResult:
    """Run ``steg`` in-process through its real entry point, with byte stdin/stdout."""
    from stegcli.cli.app import main

    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    streams = (io.TextIOWrapper(io.BytesIO(stdin)), io.TextIOWrapper(out, write_through=True),
               io.TextIOWrapper(err, write_through=True))
    sys.stdin, sys.stdout, sys.stderr = streams
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    result = CliResult(code, out.getvalue(), err.getvalue().decode("utf-8", "replace"))
    for stream in streams:
        stream.flush()
        stream.detach()  # do not let the wrappers close our buffers
    return result


def write_tiny_isn_weights(folder: Path, secrets: int, seed: int = 0) -> Path:
    model = tiny_inn(3 * secrets, seed=seed, scale=0.003)
    path = folder / f"isn-{secrets}.safetensors"
    save_weights(path, model, name=f"isn-{secrets}", kind="isn",
                 config={"inn": model.config.to_dict(), "secrets": secrets}, recipe={"test": True}, metrics={}, half=False)
    return path


def write_tiny_mosaic_weights(folder: Path, grid: int, seed: int = 0) -> Path:
    model = tiny_mosaic(grid, seed=seed, scale=0.003)
    path = folder / f"mosaic-{grid * grid}.safetensors"
    save_weights(path, model, name=f"mosaic-{grid * grid}", kind="mosaic",
                 config={"mosaic": model.config.to_dict(), "secrets": grid * grid}, recipe={"test": True}, metrics={},
                 half=False)
    return path


def tiny_robust(secrets: int, seed: int = 0, scale: float = 0.02):
    """A small random robust network (the shipped architecture, two coupling blocks) whose stego differs from its cover."""
    from stegcli.nn import RobustINN, RobustINNConfig

    torch.manual_seed(seed)
    model = RobustINN(RobustINNConfig(secrets, blocks=2, growth=8))
    randomize_outputs(model, scale)
    return model.eval()


def write_tiny_robust_weights(folder: Path, secrets: int, seed: int = 0) -> Path:
    """robust-N weights of a tiny random robust network."""
    model = tiny_robust(secrets, seed=seed)
    path = folder / f"robust-{secrets}.safetensors"
    save_weights(path, model, name=f"robust-{secrets}", kind="robust",
                 config={"robust_inn": model.config.to_dict(), "secrets": secrets},
                 recipe={"test": True}, metrics={}, half=False)
    return path
