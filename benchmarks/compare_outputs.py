"""How far two runs of ``benchmarks/output_hashes.sh`` (with ``KEEP=DIR``) are apart, file by file.

A change that must keep outputs byte-identical shows "identical" on every line. One that changes
floating-point summation order (another convolution layout or kernel) moves a few samples that lie
within rounding error of half a grey level: this prints how many samples of each image differ and
by how many levels, and whether the other files (keys, texts, JSON) are byte-identical.

    KEEP=/tmp/before benchmarks/output_hashes.sh; ...; KEEP=/tmp/after benchmarks/output_hashes.sh
    python benchmarks/compare_outputs.py /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import filecmp
from pathlib import Path

import numpy as np
from PIL import Image


def compare(before: Path, after: Path) -> str:
    if filecmp.cmp(before, after, shallow=False):
        return "identical"
    if before.suffix in (".png", ".jpg"):
        a = np.asarray(Image.open(before).convert("RGB")).astype(int)
        b = np.asarray(Image.open(after).convert("RGB")).astype(int)
        if a.shape != b.shape:
            return f"shape {a.shape} -> {b.shape}"
        diff = np.abs(a - b)
        return f"{int((diff > 0).sum())} of {diff.size} samples differ ({(diff > 0).mean():.2e}), at most {diff.max()} levels"
    if before.suffix == ".npy":
        a, b = np.load(before, allow_pickle=False), np.load(after, allow_pickle=False)
        if a.shape == b.shape and a.dtype.kind == "f":
            return f"array differs, at most {np.abs(a.astype(float) - b.astype(float)).max():.2e}"
    return "bytes differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    for path in sorted(args.before.iterdir()):
        other = args.after / path.name
        print(f"{path.name}: {compare(path, other) if other.exists() else 'missing after'}")


if __name__ == "__main__":
    main()
