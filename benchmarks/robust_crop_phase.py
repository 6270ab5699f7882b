"""What a pure crop (no resize back) does to a robust model's reveal: the 2-pixel phase of the code.

The invertible robust models read the code through a Haar transform of stride 2, so a stego
cropped at an odd row or column offset is read out of phase. For each validation pair, the stego
is cropped to ``--crop`` pixels at offsets of each parity (rows 4/5, columns 6/7), and revealed
four ways: dropping 0 or 1 first rows and columns (``RobustCodec.reveal(..., phase=)``). Printed per model, as JSON: the revealed PSNR
in phase and the mean of the three out-of-phase reveals, and, for each cue of
:data:`stegcli.robust.PHASE_CUES` (a receiver's own guess, no truth needed: the cover read's fit
to the image, the cover read's smoothness, the secrets read staying in range), how often the
phase it rates best is the right one, and the cue that is right most often.

A JPEG smooths the code until no cue tells the phase. So each stego is also cropped at an even
offset and saved as JPEG (``--qualities``), where phase (0, 0) is right, and the phases' cover-fit
contrast (:func:`stegcli.robust.fit_contrast`) is measured on both kinds of image. The phase floor
is the lowest contrast of the lossless crops, less 10%: under it an image read at its own size is
read in phase (0, 0), and every lossless crop measured keeps its cue. Reported: the floor, the
share of JPEG images under it, and their revealed PSNR as the cue picks and with the floor.
``--store`` keeps the cue and the floor in each model's weights file (``reading.phase_cue``,
``reading.phase_floor``), which ``steg reveal --phase auto`` and ``--size auto`` then read by::

    python benchmarks/robust_crop_phase.py ../shared/data/train robust-1 robust-2 robust-3 [--store]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from stegcli.attacks import jpeg
from stegcli.metrics import psnr
from stegcli.robust import (
    DEFAULT_PHASE_CUE,
    PHASE_CUES,
    PHASES,
    RobustCodec,
    fit_contrast,
    secret_images,
)
from stegcli.tensors import from_tensor
from stegcli.train.data import ImageBank, list_images
from stegcli.train.robust_task import validation_secrets
from stegcli.zoo import set_reading, weights_path

OFFSETS = ((4, 6), (5, 6), (4, 7), (5, 7))  # crop offsets of every parity


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
    return {phase: cues for phase, (_, cues) in reads.items()}, revealed, fit_contrast(reads)


def measure(codec: RobustCodec, covers: torch.Tensor, crop: int, qualities: list[int]) -> dict:
    secrets = validation_secrets(covers, codec.secrets)
    in_phase, out_of_phase, lossless_contrast = [], [], []
    picks: dict[str, list[bool]] = {name: [] for name in PHASE_CUES}
    jpegs: list[tuple[dict, dict, float]] = []
    for cover, hidden in zip(covers, secrets):
        truths = [from_tensor(s[None]) for s in hidden.split(3)]
        stego = codec.hide(from_tensor(cover[None]), truths)
        for oy, ox in OFFSETS:
            right = (oy % 2, ox % 2)  # dropping these brings the code back to an even offset
            cues, revealed, contrast = read_phases(codec, stego[oy : oy + crop, ox : ox + crop], truths, (oy, ox))
            in_phase.append(revealed[right])
            out_of_phase.append(np.mean([v for k, v in revealed.items() if k != right]))
            lossless_contrast.append(contrast)
            for name in PHASE_CUES:
                picks[name].append(max(PHASES, key=lambda phase: cues[phase][name]) == right)
        oy, ox = OFFSETS[0]  # even: in step as it is
        jpegs += [read_phases(codec, jpeg(stego[oy : oy + crop, ox : ox + crop], q), truths, (oy, ox)) for q in qualities]
    right_share = {name: round(float(np.mean(hits)), 3) for name, hits in picks.items()}
    best = max(PHASE_CUES, key=lambda name: (right_share[name], name == DEFAULT_PHASE_CUE))
    floor = round(0.9 * min(lossless_contrast), 2)
    by_cue = [revealed[max(PHASES, key=lambda phase: cues[phase][best])] for cues, revealed, _ in jpegs]
    with_floor = [revealed[(0, 0)] if contrast < floor else cue_pick
                  for (_, revealed, contrast), cue_pick in zip(jpegs, by_cue, strict=True)]
    return {"revealed_in_phase": round(float(np.mean(in_phase)), 2),
            "revealed_out_of_phase": round(float(np.mean(out_of_phase)), 2),
            "cue_picks_the_phase": right_share, "best_cue": best, "crops": len(in_phase),
            "phase_floor": floor, "jpeg_qualities": qualities, "jpeg_images": len(jpegs),
            "jpeg_under_floor": round(float(np.mean([c < floor for _, _, c in jpegs])), 3),
            "jpeg_revealed_by_cue": round(float(np.mean(by_cue)), 2),
            "jpeg_revealed_with_floor": round(float(np.mean(with_floor)), 2),
            "jpeg_revealed_in_step": round(float(np.mean([r[(0, 0)] for _, r, _ in jpegs])), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (fixed train/validation split)")
    parser.add_argument("models", nargs="+", help="robust-N names (STEGCLI_WEIGHTS picks the folder)")
    parser.add_argument("--size", type=int, default=160, help="side of the validation centre crops hidden in")
    parser.add_argument("--crop", type=int, default=128, help="side of the crop the receiver gets")
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--qualities", default="90,75", help="JPEG qualities of the uncropped images the floor is checked on")
    parser.add_argument("--store", action="store_true", help="keep each model's best cue and floor in its weights file")
    args = parser.parse_args()
    if args.crop + 8 > args.size:
        raise SystemExit("--crop must leave 8 pixels of --size for the offsets")
    torch.set_num_threads(args.threads)
    covers = ImageBank(list_images(args.data, "val"), args.size).center_crops(args.size)[: args.pairs]
    qualities = [int(q) for q in args.qualities.split(",")]
    report = {name: measure(RobustCodec.from_name(name, "cpu"), covers, args.crop, qualities) for name in args.models}
    print(json.dumps(report, indent=1))
    if args.store:
        for name, row in report.items():
            set_reading(weights_path(name), {"phase_cue": row["best_cue"], "phase_floor": row["phase_floor"]})
            print(f"{weights_path(name)}: phase cue {row['best_cue']}, floor {row['phase_floor']} dB")


if __name__ == "__main__":
    main()
