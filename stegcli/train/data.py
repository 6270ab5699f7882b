"""Training images: a fixed train/validation split and random augmented crops."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from stegcli.errors import InputError
from stegcli.io.images import read_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def is_validation(name: str, fraction_percent: int = 10) -> bool:
    """Fixed split by file-name hash: the same file is always on the same side."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < fraction_percent


def list_images(root: Path, split: str = "all") -> list[Path]:
    """Images of ``root``, sorted by name: ``all``, or the fixed ``train``/``val`` split."""
    if split not in ("all", "train", "val"):
        raise ValueError(f"split must be 'all', 'train' or 'val', not {split!r}")
    files = sorted(p for p in Path(root).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if split == "all":
        return files
    return [p for p in files if is_validation(p.name) == (split == "val")]


class ImageBank:
    """Decoded RGB images held in memory (the whole set is ~1 GB decoded)."""

    def __init__(self, paths: list[Path], min_size: int, what: str = "images") -> None:
        self.images: list[np.ndarray] = []
        for path in paths:
            arr = read_image(path)  # a corrupt file is one clear InputError, as everywhere else
            if min(arr.shape[:2]) >= min_size:
                self.images.append(arr)
        if not self.images:
            folder = f" in {paths[0].parent}" if paths else ""
            raise InputError(f"no image of at least {min_size}x{min_size} px among {len(paths)} {what}{folder}")

    def __len__(self) -> int:
        return len(self.images)

    def random_crops(self, rng: np.random.Generator, count: int, size: int, augment: bool = True) -> torch.Tensor:
        """(count, 3, size, size) float32 in [0, 1]: random image, position, flip and rotation."""
        out = np.empty((count, size, size, 3), dtype=np.uint8)
        for i in range(count):
            img = self.images[rng.integers(len(self.images))]
            y = rng.integers(img.shape[0] - size + 1)
            x = rng.integers(img.shape[1] - size + 1)
            crop = img[y : y + size, x : x + size]
            if augment:
                if rng.random() < 0.5:
                    crop = crop[:, ::-1]
                crop = np.rot90(crop, k=int(rng.integers(4)))
            out[i] = crop
        return torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(255)

    def center_crops(self, size: int) -> torch.Tensor:
        """One deterministic centre crop per image, for fixed validation sets."""
        crops = []
        for img in self.images:
            y, x = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
            crops.append(img[y : y + size, x : x + size])
        return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(255)
