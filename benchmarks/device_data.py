"""Copy the training photographs into a folder small enough to travel to a device machine (64 MiB).

Training-split photographs larger than ``--max-side`` are downscaled (Lanczos) and saved under their
own names, so the file-name hash split (:func:`stegcli.train.data.list_images`) is unchanged; the
validation photographs are copied as they are, so validation figures match a run on the originals::

    python benchmarks/device_data.py ../shared/data/train .data/train     # 55 MB -> 37 MB
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from PIL import Image

from stegcli.train.data import list_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path, help="a git-ignored folder of the checkout (carry it)")
    parser.add_argument("--max-side", type=int, default=768)
    parser.add_argument("--quality", type=int, default=92, help="JPEG quality of the downscaled photographs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in list_images(args.data, "val"):
        shutil.copy(path, args.out / path.name)
    for path in list_images(args.data, "train"):
        with Image.open(path) as image:
            if max(image.size) <= args.max_side:
                shutil.copy(path, args.out / path.name)
                continue
            scale = args.max_side / max(image.size)
            size = (round(image.width * scale), round(image.height * scale))
            image.convert("RGB").resize(size, Image.LANCZOS).save(args.out / path.name, quality=args.quality)
    total = sum(p.stat().st_size for p in args.out.iterdir()) / 2**20
    print(f"{args.out}: {len(list(args.out.iterdir()))} files, {total:.1f} MiB")


if __name__ == "__main__":
    main()
