"""Keyless payloads measured: exactness, stego PSNR and time per model and payload, on validation crops.

Each cover is a centre crop of a validation photograph (the fixed split of ``stegcli.train.data``).
Per cover and payload size, a random message of ``bpp * H * W / 8`` bytes is embedded keylessly (with
a passphrase unless ``--plain``), the stego goes through a real PNG save/load, and it is extracted
without any key. PSNR is of the 8-bit stego against the cover. Times are wall-clock seconds of the
Python API calls (model loading excluded) on whatever this machine is doing at the time.

    python benchmarks/keyless_payload.py ../shared/data/train --models bits-1 --bpp 0.5 1.0 --covers 12
    python benchmarks/keyless_payload.py ../shared/data/train --bpp 1.0 --json benchmarks/results/keyless-bits-1-512.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from stegcli.bits import BitsCodec
from stegcli.evaluate import png_roundtrip
from stegcli.imageio import read_image
from stegcli.metrics import psnr
from stegcli.train.data import list_images

PASSPHRASE = b"benchmark passphrase"


def validation_crops(data: Path, size: int, count: int) -> list[tuple[str, np.ndarray]]:
    """Centre crops of the first ``count`` validation photographs at least ``size`` px on each side."""
    crops = []
    for path in list_images(data, "val"):
        image = read_image(path)
        if min(image.shape[:2]) < size:
            continue
        y, x = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
        crops.append((path.name, np.ascontiguousarray(image[y : y + size, x : x + size])))
        if len(crops) == count:
            break
    return crops


def run_case(codec: BitsCodec, name: str, cover: np.ndarray, message: bytes, passphrase: bytes | None) -> dict:
    start = time.perf_counter()
    try:
        result = codec.embed_keyless(cover, message, passphrase)
    except Exception as exc:  # a refusal (exit 4 in the CLI) is a measured outcome, not a crash
        return {"cover": name, "bytes": len(message), "exact": False, "refused": str(exc),
                "embed_seconds": time.perf_counter() - start}
    embed_seconds = time.perf_counter() - start
    stego = png_roundtrip(result.stego)
    start = time.perf_counter()
    extracted = codec.try_extract_keyless(stego, passphrase)
    return {"cover": name, "bytes": len(message), "exact": extracted == message, "steps": result.steps,
            "stego_psnr": psnr(stego, cover), "embed_seconds": embed_seconds,
            "extract_seconds": time.perf_counter() - start}


def summarise(rows: list[dict]) -> dict:
    done = [r for r in rows if "stego_psnr" in r]
    out = {"covers": len(rows), "exact_share": sum(r["exact"] for r in rows) / len(rows),
           "refused": sum("refused" in r for r in rows)}
    if done:
        psnrs = [r["stego_psnr"] for r in done]
        out |= {"stego_psnr_mean": float(np.mean(psnrs)), "stego_psnr_min": float(np.min(psnrs)),
                "steps_mean": float(np.mean([r["steps"] for r in done])),
                "embed_seconds_mean": float(np.mean([r["embed_seconds"] for r in done])),
                "extract_seconds_mean": float(np.mean([r["extract_seconds"] for r in done]))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="training photographs folder (its validation split is used)")
    parser.add_argument("--models", nargs="+", default=["bits-1"])
    parser.add_argument("--bpp", nargs="+", type=float, default=[1.0], help="payload bits per pixel")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--covers", type=int, default=12)
    parser.add_argument("--plain", action="store_true", help="no passphrase (CRC-checked, readable by anyone)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write every row and the summaries here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    passphrase = None if args.plain else PASSPHRASE
    crops = validation_crops(args.data, args.size, args.covers)
    rng = np.random.default_rng(0)
    report = {"size": args.size, "passphrase": passphrase is not None, "threads": torch.get_num_threads(),
              "machine": platform.processor() or platform.machine(), "cases": []}
    for model in args.models:
        codec = BitsCodec.from_name(model, "cpu")
        for bpp in args.bpp:
            nbytes = int(bpp * args.size * args.size / 8)
            rows = [run_case(codec, name, cover, rng.integers(0, 256, nbytes, dtype=np.uint8).tobytes(), passphrase)
                    for name, cover in crops]
            case = {"model": model, "bpp": bpp, "bytes": nbytes,
                    "capacity_bytes": codec.keyless_capacity_bytes(args.size, args.size, passphrase is not None),
                    "summary": summarise(rows), "rows": rows}
            report["cases"].append(case)
            print(json.dumps({k: case[k] for k in ("model", "bpp", "bytes", "capacity_bytes", "summary")}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
