"""Keyless payloads measured: exactness, stego PSNR and time per model and payload, on validation crops.

Each cover is a centre crop of a validation photograph (the fixed split of ``stegcli.train.data``).
Per cover and payload size, a random message of ``bpp * H * W / 8`` bytes is embedded keylessly (with
a passphrase unless ``--plain``), the stego goes through a real PNG save/load, and it is extracted
without any key. PSNR is of the 8-bit stego against the cover. Times are wall-clock seconds of the
Python API calls (model loading excluded) on whatever this machine is doing at the time.

    python benchmarks/keyless_payload.py ../shared/data/train --models bits-1 --bpp 0.5 1.0 --covers 12
    python benchmarks/keyless_payload.py ../shared/data/train --bpp 1.0 --json benchmarks/results/keyless-bits-1-512.json
    python benchmarks/keyless_payload.py ../shared/data/train --models --peers --bpp 1.0   # peers only
    python benchmarks/keyless_payload.py --table benchmarks/results/keyless-*.json          # the docs' table

``--peers`` runs, on the same covers in the same run, stegano's LSB (``lsb.hide``: the message as
base64 text, 3 bits per pixel) at each payload and invisible-watermark's ``dwtDctSvd`` at fixed
watermark lengths (it carries tens of bytes, not kilobytes). Both come with ``pip install '.[bench]'``.
Neither encrypts; LSB is what a steganalyser finds first (the detectability issue measures that).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from stegcli.codecs.bits import BitsCodec
from stegcli.eval.evaluate import keyless_case, png_roundtrip
from stegcli.eval.metrics import psnr
from stegcli.io.images import read_image
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
    return {"cover": name, **keyless_case(codec, cover, message, passphrase)}


def peer_lsb(name: str, cover: np.ndarray, message: bytes) -> dict:
    """stegano's LSB replacement; the message goes in as base64 text, as its API takes str."""
    import base64
    import io

    from PIL import Image
    from stegano import lsb

    start = time.perf_counter()
    buffer = io.BytesIO()
    try:
        lsb.hide(Image.fromarray(cover), base64.b64encode(message).decode()).save(buffer, "PNG")
    except Exception as exc:  # stegano refuses what does not fit
        return {"cover": name, "bytes": len(message), "exact": False, "refused": str(exc)}
    embed_seconds = time.perf_counter() - start
    stego = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    start = time.perf_counter()
    try:
        exact = base64.b64decode(lsb.reveal(io.BytesIO(buffer.getvalue()))) == message
    except Exception:
        exact = False
    return {"cover": name, "bytes": len(message), "exact": exact, "steps": 0, "stego_psnr": psnr(stego, cover),
            "embed_seconds": embed_seconds, "extract_seconds": time.perf_counter() - start}


def peer_dwtdctsvd(name: str, cover: np.ndarray, message: bytes) -> dict:
    """invisible-watermark's dwtDctSvd watermark (BGR arrays, as it takes them)."""
    from imwatermark import WatermarkDecoder, WatermarkEncoder

    encoder = WatermarkEncoder()
    encoder.set_watermark("bytes", message)
    start = time.perf_counter()
    stego = np.clip(encoder.encode(cover[:, :, ::-1].copy(), "dwtDctSvd"), 0, 255).astype(np.uint8)
    embed_seconds = time.perf_counter() - start
    stego = png_roundtrip(np.ascontiguousarray(stego[:, :, ::-1]))
    start = time.perf_counter()
    read = WatermarkDecoder("bytes", 8 * len(message)).decode(np.ascontiguousarray(stego[:, :, ::-1]), "dwtDctSvd")
    return {"cover": name, "bytes": len(message), "exact": read == message, "steps": 0,
            "stego_psnr": psnr(stego, cover), "embed_seconds": embed_seconds,
            "extract_seconds": time.perf_counter() - start}


WATERMARK_BYTES = (4, 8, 16, 32)


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


def markdown_table(paths: list[Path]) -> str:
    """One row per model and payload of the result files, as docs/models.md shows them."""
    lines = ["| method | payload | bytes | covers | exact | stego PSNR mean (min) | steps | embed s | extract s | threads | file |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for path in paths:
        report = json.loads(path.read_text())
        for case in report["cases"]:
            s = case["summary"]
            psnr_text = f"{s['stego_psnr_mean']:.2f} ({s['stego_psnr_min']:.2f})" if "stego_psnr_mean" in s else "-"
            ours = case["model"].startswith("bits")
            steps = f"{s['steps_mean']:.1f}" if ours and "steps_mean" in s else "-"
            timing = (f"{steps} | {s['embed_seconds_mean']:.1f} | {s['extract_seconds_mean']:.2f}"
                      if "steps_mean" in s else "- | - | -")
            lock = " + passphrase" if report["passphrase"] and ours else ""
            lines.append(f"| {case['model']}{lock} | {case['bpp']:.3g} bpp | {case['bytes']:,} | {s['covers']} | "
                         f"{100 * s['exact_share']:.0f}% | {psnr_text} | {timing} | {report['threads']} | {path.name} |")
    return "\n".join(lines)


def save(report: dict, path: Path | None) -> None:
    """Written after every case, so that an interrupted run keeps what it measured."""
    if path is not None:
        path.write_text(json.dumps(report, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, nargs="?", help="training photographs folder (its validation split is used)")
    parser.add_argument("--table", type=Path, nargs="+", help="print the markdown table of these result files, run nothing")
    parser.add_argument("--models", nargs="*", default=["bits-1"])
    parser.add_argument("--peers", action="store_true", help="also stegano LSB and invisible-watermark dwtDctSvd")
    parser.add_argument("--bpp", nargs="+", type=float, default=[1.0], help="payload bits per pixel")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--covers", type=int, default=12)
    parser.add_argument("--plain", action="store_true", help="no passphrase (CRC-checked, readable by anyone)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="override a hide-time optimisation setting (stegcli.codecs.keyless.RefineSettings), e.g. strength=1.0")
    parser.add_argument("--json", type=Path, help="write every row and the summaries here")
    args = parser.parse_args()
    if args.table:
        print(markdown_table(args.table))
        return
    if args.data is None:
        parser.error("give the photographs folder (or --table FILES)")
    if args.threads:
        torch.set_num_threads(args.threads)
    passphrase = None if args.plain else PASSPHRASE
    crops = validation_crops(args.data, args.size, args.covers)
    rng = np.random.default_rng(0)
    report = {"size": args.size, "passphrase": passphrase is not None, "threads": torch.get_num_threads(),
              "machine": platform.processor() or platform.machine(), "cases": []}
    overrides = {name: float(value) if "." in value else int(value)
                 for name, value in (item.split("=", 1) for item in args.set)}
    report["settings"] = overrides
    for model in args.models:
        codec = BitsCodec.from_name(model, "cpu")
        codec.keyless_settings = replace(codec.keyless_settings, **overrides)
        for bpp in args.bpp:
            nbytes = int(bpp * args.size * args.size / 8)
            rows = [run_case(codec, name, cover, rng.integers(0, 256, nbytes, dtype=np.uint8).tobytes(), passphrase)
                    for name, cover in crops]
            case = {"model": model, "bpp": bpp, "bytes": nbytes,
                    "capacity_bytes": codec.keyless_capacity_bytes(args.size, args.size, passphrase is not None),
                    "summary": summarise(rows), "rows": rows}
            report["cases"].append(case)
            print(json.dumps({k: case[k] for k in ("model", "bpp", "bytes", "capacity_bytes", "summary")}), flush=True)
            save(report, args.json)
    if args.peers:
        peers = [("stegano-lsb", peer_lsb, [int(b * args.size * args.size / 8) for b in args.bpp]),
                 ("imwatermark-dwtDctSvd", peer_dwtdctsvd, list(WATERMARK_BYTES))]
        for peer, run, sizes in peers:
            for nbytes in sizes:
                rows = [run(name, cover, rng.integers(0, 256, nbytes, dtype=np.uint8).tobytes()) for name, cover in crops]
                case = {"model": peer, "bpp": 8 * nbytes / args.size**2, "bytes": nbytes, "summary": summarise(rows),
                        "rows": rows}
                report["cases"].append(case)
                print(json.dumps({k: case[k] for k in ("model", "bpp", "bytes", "summary")}), flush=True)
                save(report, args.json)


if __name__ == "__main__":
    main()
