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


# Whole sources kept out of training, so that validation shows how a model does on photographs of an
# origin it never saw (``val-sources``); a file's source is its name up to the first "-". The three
# opencv-hfs-* files are BSDS photographs, a training source.
HELD_OUT_SOURCES = ("opencv",)
SOURCE_OF_PREFIX = {"opencv-hfs-": "bsds"}
SPLITS = ("all", "train", "val", "val-sources")


def source_of(name: str) -> str:
    """The source of a training file (``bsds-12.jpg`` -> ``bsds``)."""
    for prefix, source in SOURCE_OF_PREFIX.items():
        if name.startswith(prefix):
            return source
    return name.split("-", 1)[0]


def list_images(root: Path, split: str = "all") -> list[Path]:
    """Images of ``root``, sorted by name: ``all``; ``val``, the fixed ~10% by file-name hash;
    ``val-sources``, every file of :data:`HELD_OUT_SOURCES`; ``train``, the files in neither."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    files = sorted(p for p in Path(root).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    held_out = [source_of(p.name) in HELD_OUT_SOURCES for p in files]
    if split == "all":
        return files
    if split == "val-sources":
        return [p for p, out in zip(files, held_out) if out]
    if split == "val":
        return [p for p in files if is_validation(p.name)]
    return [p for p, out in zip(files, held_out) if not out and not is_validation(p.name)]


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
