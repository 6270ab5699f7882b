import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from helpers import (  # noqa: E402
    smooth_image,
    write_tiny_bits_weights,
    write_tiny_isn_weights,
    write_tiny_mosaic_weights,
    write_tiny_robust_weights,
)

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("weights")
    for bpp in (1, 2, 3):
        write_tiny_bits_weights(folder, bpp, seed=bpp)
    for secrets in (1, 2, 3):
        write_tiny_isn_weights(folder, secrets, seed=10 + secrets)
    for grid in (2, 3):
        write_tiny_mosaic_weights(folder, grid, seed=20 + grid)
    for secrets in (1, 2):
        write_tiny_robust_weights(folder, secrets, seed=30 + secrets)
    write_tiny_robust_weights(folder, 3, seed=33)
    return folder


@pytest.fixture
def tiny_weights(tiny_weights_dir, monkeypatch) -> Path:
    """Point stegcli at tiny random bits-1/2/3, isn-1/2/3, mosaic-4/9 and robust-1/2/3 models for the duration of a test."""
    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tiny_weights_dir))
    return tiny_weights_dir


@pytest.fixture
def cover_png(tmp_path) -> Path:
    path = tmp_path / "cover.png"
    Image.fromarray(smooth_image(48, 64, seed=1)).save(path)
    return path


@pytest.fixture
def message_file(tmp_path) -> Path:
    path = tmp_path / "message.bin"
    path.write_bytes(np.random.default_rng(5).integers(0, 256, 300, dtype=np.uint8).tobytes())
    return path


def write_photos(folder: Path, count: int, height: int, width: int) -> Path:
    for i in range(count):
        Image.fromarray(smooth_image(height, width, seed=i)).save(folder / f"img-{i:03d}.png")
    return folder


@pytest.fixture(scope="session")
def cli_photo_dir(tmp_path_factory) -> Path:
    """12 synthetic photographs of 130 px: enough for the 128-px validation crops `steg train` checks for."""
    return write_photos(tmp_path_factory.mktemp("cli-photos"), 12, 130, 130)


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory) -> Path:
    """A stand-in for the training photographs: 40 small synthetic images."""
    return write_photos(tmp_path_factory.mktemp("photos"), 40, 50, 60)
