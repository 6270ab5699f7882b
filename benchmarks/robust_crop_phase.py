"""What a pure crop (no resize back) does to a robust model's reveal: the 2-pixel phase of the code.

The invertible robust models read the code through a Haar transform of stride 2, so a stego
cropped at an odd row or column offset is read out of phase. For each validation pair, the stego
is cropped to ``--crop`` pixels at offsets of each parity (rows 4/5, columns 6/7), and revealed
four ways: dropping 0 or 1 first rows and columns (``RobustCodec.reveal(..., phase=)``). Printed per model, as JSON: the revealed PSNR
in phase and the mean of the three out-of-phase reveals, and, for each cue of
:data:`stegcli.robust.PHASE_CUES` (a receiver's own guess, no truth needed: the cover read's fit
to the image, the cover read's smoothness, the secrets read staying in range) and each set of them
joined (:func:`stegcli.robust.cue_scores`), how often the phase it rates best is the right one, and
the cue that is right most often (a single one on a tie).

A JPEG smooths the code until no cue tells the phase, but leaves its 8x8 grid
(:mod:`stegcli.jpeg_grid`). So each stego also goes through a JPEG at each of ``--qualities``,
four ways (``JPEG_CASES``): cropped at an even offset first (phase (0, 0) is right), JPEG'd whole
and cropped at an odd offset after (the grid moved with the crop), cropped at an odd offset first
(the grid says (0, 0), wrongly), and hidden in a cover that went through the JPEG with
its grid at an odd offset, cropped losslessly (the cover's grid, if it shows through the code,
misleads). Per case: the revealed PSNR in step, as this run's best cue picks, as the file's
stored cue picks above its stored floor and in phase (0, 0) under it (the rule before the grid),
and as ``reveal(..., phase="auto")`` picks (the shipped rule), how often a grid was found, and
the likeliest grid's evidence (least, median, most; for the lossless crops too). The phase floor is the
lowest cover-fit contrast (:func:`stegcli.robust.fit_contrast`) of the lossless crops, less 10%:
without a grid, an image read at its own size under it is read in phase (0, 0). ``--store`` keeps
the cue and the floor in each model's weights file (``reading.phase_cue``,
``reading.phase_floor``), which ``steg reveal --phase auto`` and ``--size auto`` then read by::

    python benchmarks/robust_crop_phase.py ../shared/data/train robust-1 robust-2 robust-3 [--store]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from stegcli.attacks import jpeg
from stegcli.jpeg_grid import GRID_EVIDENCE, likeliest_grid
from stegcli.metrics import psnr
from stegcli.robust import (
    DEFAULT_PHASE_CUE,
    PHASE_CUES,
    PHASES,
    RobustCodec,
    cue_scores,
    cues_by_phase,
    fit_contrast,
    secret_images,
)
from stegcli.tensors import from_tensor
from stegcli.train.data import ImageBank, list_images
from stegcli.train.robust_task import validation_secrets
from stegcli.zoo import set_reading, weights_path

OFFSETS = ((4, 6), (5, 6), (4, 7), (5, 7))  # crop offsets of every parity
ODD = OFFSETS[1:]  # the JPEG cases' odd offsets, one a pair in turn
# every cue alone, and every set of them joined (stegcli.robust.cue_scores)
CANDIDATE_CUES = ["+".join(names) for count in range(1, len(PHASE_CUES) + 1)
                  for names in itertools.combinations(PHASE_CUES, count)]


def crop(image: np.ndarray, offset: tuple[int, int], side: int) -> np.ndarray:
    """The ``side``-pixel square of ``image`` from ``offset`` (row, column)."""
    return image[offset[0] : offset[0] + side, offset[1] : offset[1] + side]


# name -> (stego, quality -> stego hidden in a cover JPEG'd at it, quality, odd offset, side) -> (image, its crop offset)
JPEG_CASES = {
    "jpeg": lambda stego, _, q, odd, side: (jpeg(crop(stego, OFFSETS[0], side), q), OFFSETS[0]),
    "jpeg_then_crop": lambda stego, _, q, odd, side: (crop(jpeg(stego, q), odd, side), odd),
    "crop_then_jpeg": lambda stego, _, q, odd, side: (jpeg(crop(stego, odd, side), q), odd),
    "jpeg_cover_lossless": lambda _, stego, q, odd, side: (crop(stego[q], odd, side), odd),
}


class JpegRead(NamedTuple):
    """One image of a JPEG case: every cue and the revealed PSNR per phase, the phase in step, the
    phase ``reveal(..., phase="auto")`` read in, the likeliest grid's evidence (a grid is found
    above :data:`~stegcli.jpeg_grid.GRID_EVIDENCE`), the cover-fit contrast."""

    cues: dict
    revealed: dict
    right: tuple[int, int]
    auto: tuple[int, int]
    grid_evidence: float
    contrast: float


def read_phases(codec: RobustCodec, image: np.ndarray, truths: list[np.ndarray], offset: tuple[int, int],
                ) -> tuple[dict, dict, float]:
    """Per phase: every cue and the revealed PSNR (the truth cut where the crop began); and the
    phases' cover-fit contrast."""
    reads = codec.phase_reads(image)
    revealed = {}
    for phase, (secrets, _) in reads.items():
        y, x = offset[0] + phase[0], offset[1] + phase[1]
        revealed[phase] = float(np.mean([psnr(r, t[y : y + r.shape[0], x : x + r.shape[1]])
                                         for r, t in zip(secret_images(secrets), truths, strict=True)]))
    return cues_by_phase(reads), revealed, fit_contrast(reads)


def picked(cues: dict, cue: str) -> tuple[int, int]:
    """The phase ``cue`` rates best, from every cue per phase."""
    scores = cue_scores(cues, cue)
    return max(PHASES, key=scores.__getitem__)


def spread(values: list[float]) -> list[float]:
    """Least, median and most."""
    return [round(float(f(values)), 3) for f in (np.min, np.median, np.max)]


def auto_phase(codec: RobustCodec, image: np.ndarray) -> tuple[int, int]:
    """The phase ``reveal(..., phase="auto")`` reads in: the rows and columns its secrets lack."""
    read = codec.reveal(image, phase="auto")[0]
    return image.shape[0] - read.shape[0], image.shape[1] - read.shape[1]


def measure(codec: RobustCodec, covers: torch.Tensor, crop_side: int, qualities: list[int]) -> dict:
    secrets = validation_secrets(covers, codec.secrets)
    in_phase, out_of_phase, lossless_contrast, lossless_evidence = [], [], [], []
    picks: dict[str, list[bool]] = {name: [] for name in CANDIDATE_CUES}
    cases: dict[str, list[JpegRead]] = {name: [] for name in JPEG_CASES}
    for i, (cover, hidden) in enumerate(zip(covers, secrets)):
        truths = [from_tensor(s[None]) for s in hidden.split(3)]
        cover8 = from_tensor(cover[None])
        stego = codec.hide(cover8, truths)
        for offset in OFFSETS:
            right = (offset[0] % 2, offset[1] % 2)  # dropping these brings the code back to an even offset
            image = crop(stego, offset, crop_side)
            cues, revealed, contrast = read_phases(codec, image, truths, offset)
            lossless_evidence.append(likeliest_grid(image).evidence)
            in_phase.append(revealed[right])
            out_of_phase.append(np.mean([v for k, v in revealed.items() if k != right]))
            lossless_contrast.append(contrast)
            for name in CANDIDATE_CUES:
                picks[name].append(picked(cues, name) == right)
        odd = ODD[i % len(ODD)]
        padded = np.pad(cover8, ((1, 0), (1, 0), (0, 0)), mode="edge")  # the cover's grid begins at row and column 7
        in_jpeg_cover = {q: codec.hide(jpeg(padded, q)[1:, 1:], truths) for q in qualities}
        for name, make in JPEG_CASES.items():
            for q in qualities:
                image, offset = make(stego, in_jpeg_cover, q, odd, crop_side)
                cues, revealed, contrast = read_phases(codec, image, truths, offset)
                right = (offset[0] % 2, offset[1] % 2)
                cases[name].append(JpegRead(cues, revealed, right, auto_phase(codec, image),
                                            likeliest_grid(image).evidence, contrast))
    right_share = {name: round(float(np.mean(hits)), 3) for name, hits in picks.items()}
    # ties go to a single cue, and to the default among those
    best = max(CANDIDATE_CUES, key=lambda name: (right_share[name], "+" not in name, name == DEFAULT_PHASE_CUE))
    floor = round(0.9 * min(lossless_contrast), 2)

    def summary(rows: list[JpegRead]) -> dict:
        by_cue = [row.revealed[picked(row.cues, best)] for row in rows]
        with_floor = [row.revealed[(0, 0) if row.contrast < codec.phase_floor else picked(row.cues, codec.phase_cue)]
                      for row in rows]
        evidence = [row.grid_evidence for row in rows]
        return {"images": len(rows), "grid_found": round(float(np.mean(np.array(evidence) > GRID_EVIDENCE)), 3),
                "grid_evidence_min_median_max": spread(evidence),
                "in_step": round(float(np.mean([row.revealed[row.right] for row in rows])), 2),
                "by_cue": round(float(np.mean(by_cue)), 2),
                "cue_and_file_floor": round(float(np.mean(with_floor)), 2),  # the rule before the grid
                "auto": round(float(np.mean([row.revealed[row.auto] for row in rows])), 2),
                "auto_right": round(float(np.mean([row.auto == row.right for row in rows])), 3)}

    return {"revealed_in_phase": round(float(np.mean(in_phase)), 2),
            "revealed_out_of_phase": round(float(np.mean(out_of_phase)), 2),
            "cue_picks_the_phase": right_share, "best_cue": best, "crops": len(in_phase),
            "lossless_grid_evidence_min_median_max": spread(lossless_evidence),
            "phase_floor": floor, "jpeg_qualities": qualities,
            "jpeg_cases": {name: summary(rows) for name, rows in cases.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (fixed train/validation split)")
    parser.add_argument("models", nargs="+", help="robust-N names (STEGCLI_WEIGHTS picks the folder)")
    parser.add_argument("--size", type=int, default=160, help="side of the validation centre crops hidden in")
    parser.add_argument("--crop", type=int, default=128, help="side of the crop the receiver gets")
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--split", choices=("val", "train"), default="val",
                        help="photographs to hide in: train checks the rule on pictures its thresholds were not chosen on")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--qualities", default="90,75,50", help="JPEG qualities of the JPEG cases (and of the covers' JPEG in the last)")
    parser.add_argument("--store", action="store_true", help="keep each model's best cue and floor in its weights file")
    args = parser.parse_args()
    if args.crop + 8 > args.size:
        raise SystemExit("--crop must leave 8 pixels of --size for the offsets")
    torch.set_num_threads(args.threads)
    covers = ImageBank(list_images(args.data, args.split), args.size).center_crops(args.size)[: args.pairs]
    qualities = [int(q) for q in args.qualities.split(",")]
    report = {name: measure(RobustCodec.from_name(name, "cpu"), covers, args.crop, qualities) for name in args.models}
    print(json.dumps(report, indent=1))
    if args.store:
        for name, row in report.items():
            set_reading(weights_path(name), {"phase_cue": row["best_cue"], "phase_floor": row["phase_floor"]})
            print(f"{weights_path(name)}: phase cue {row['best_cue']}, floor {row['phase_floor']} dB")


if __name__ == "__main__":
    main()
