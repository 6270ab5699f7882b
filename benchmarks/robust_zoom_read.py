"""Does ``steg reveal --robust --size auto`` read a stego that was cropped and resized back, or rescaled?

For each validation centre crop a ``robust-N`` model hides its secrets (the model's validation
secrets), the stego is zoomed with the real attack functions of ``steg attack``, and it is read
twice: as it arrives (what ``steg reveal --robust`` does without ``--size``), and with
``size="auto"`` (:mod:`stegcli.registration` proposes sizes, the one in step with the code is read).
Both are compared with the part of the secrets that arrived (a crop loses its border whatever the
reader does): the plain read resized to that part's size; the auto read as it comes (its phase
drops one first row or column, so it is compared with the part from there), or resized to it if
it chose another size. The cases ``none``, ``jpeg90`` and ``jpeg75`` zoom nothing: there the
auto read should lose nothing. Prints, per case, the mean revealed PSNR of both reads, how often the auto
read found the size, and its seconds a pair, as JSON::

    python benchmarks/robust_zoom_read.py ../shared/data/train robust-1 --size 512 --pairs 10
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from stegcli import attacks
from stegcli.metrics import psnr
from stegcli.robust import RobustCodec
from stegcli.tensors import from_tensor
from stegcli.train.data import ImageBank, list_images
from stegcli.train.robust_task import validation_secrets

CASES = {  # name -> (zoom the stego, the part of a side that arrives)
    "none": (lambda im: im, 1.0),  # controls: nothing to find, the auto read should not lose
    "jpeg90": (lambda im: attacks.jpeg(im, 90), 1.0),
    "jpeg75": (lambda im: attacks.jpeg(im, 75), 1.0),
    "crop0.9": (lambda im: attacks.resize(attacks.center_crop(im, 0.9), *im.shape[:2]), 0.9),
    "crop0.8": (lambda im: attacks.resize(attacks.center_crop(im, 0.8), *im.shape[:2]), 0.8),
    "scale1.5": (lambda im: attacks.rescale(im, 1.5), 1.0),
    "scale0.9": (lambda im: attacks.rescale(im, 0.9), 1.0),
    "scale0.75": (lambda im: attacks.rescale(im, 0.75), 1.0),
    "scale0.5": (lambda im: attacks.rescale(im, 0.5), 1.0),
    "crop0.9+jpeg90": (lambda im: attacks.jpeg(attacks.resize(attacks.center_crop(im, 0.9), *im.shape[:2]), 90), 0.9),
}


def part_psnr(read: np.ndarray, part: np.ndarray) -> tuple[float, bool]:
    """PSNR of a read against the part of a secret that arrived, and whether it came at the part's size."""
    rows, cols = part.shape[0] - read.shape[0], part.shape[1] - read.shape[1]
    if rows in (0, 1) and cols in (0, 1):
        return psnr(read, part[rows:, cols:]), True
    return psnr(attacks.resize(read, *part.shape[:2]), part), False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="folder of photographs (the validation split is used)")
    parser.add_argument("model", help="robust-1, robust-2 or robust-3")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--cases", default="crop0.9,crop0.8,scale1.5", help=f"of {', '.join(CASES)}")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    codec = RobustCodec.from_name(args.model)
    covers = ImageBank(list_images(args.data, "val"), args.size).center_crops(args.size)[: args.pairs]
    secrets = validation_secrets(covers, codec.secrets)
    report: dict = {"model": args.model, "size": args.size, "pairs": len(covers), "cases": {}}
    for case in args.cases.split(","):
        zoom, keep = CASES[case]
        side = round(args.size * keep)
        start = (args.size - side) // 2
        plain, auto, found, seconds = [], [], 0, 0.0
        for i in range(len(covers)):
            truth = [from_tensor(s[None]) for s in secrets[i].split(3)]
            image = zoom(codec.hide(from_tensor(covers[i : i + 1]), truth))
            parts = [t[start : start + side, start : start + side] for t in truth]
            plain.append(np.mean([psnr(attacks.resize(r, side, side), p) for r, p in zip(codec.reveal(image), parts)]))
            began = time.perf_counter()
            reads = codec.reveal(image, size="auto")
            seconds += time.perf_counter() - began
            scores = [part_psnr(r, p) for r, p in zip(reads, parts)]
            auto.append(float(np.mean([score for score, _ in scores])))
            found += scores[0][1]
        report["cases"][case] = {"as_is_psnr": round(float(np.mean(plain)), 2), "auto_psnr": round(float(np.mean(auto)), 2),
                                 "auto_found_size": f"{found}/{len(covers)}",
                                 "auto_seconds_a_pair": round(seconds / len(covers), 1)}
        print(case, report["cases"][case], flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
