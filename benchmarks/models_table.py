"""Render the measured tables of docs/models.md from ``steg eval --json`` outputs.

    python benchmarks/models_table.py benchmarks/results/eval-bits-*.json
    python benchmarks/models_table.py benchmarks/results/eval-isn-*.json
    python benchmarks/models_table.py benchmarks/results/attacks-*.json   (one row per model and attack)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def fmt(summary: dict, digits: int = 2) -> str:
    mean, low = summary["mean"], summary["min"]
    return f"{mean:.{digits}f} (min {low:.{digits}f})" if isinstance(mean, float) else str(mean)


def bits_row(report: dict) -> str:
    return " | ".join([
        report["model"], str(report["message_bytes"]), fmt(report["stego_psnr"]), fmt(report["stego_psnr_y"]),
        fmt(report["stego_ssim"], 4), f"{report['exact_with_key']:.1%}", f"{report['exact_with_z_only']:.1%}",
        f"{report['exact_keyless']:.1%}", fmt(report["keyless_bit_accuracy"], 4),
    ])


def images_row(report: dict) -> str:
    return " | ".join([
        report["model"], str(report["pairs"]), fmt(report["stego_psnr"]), fmt(report["stego_psnr_y"]),
        fmt(report["stego_ssim"], 4), fmt(report["revealed_psnr"]), fmt(report["revealed_psnr_y"]),
        fmt(report["revealed_ssim"], 4), fmt(report["revealed_with_key_psnr"]),
    ])


def attack_rows(report: dict) -> list[str]:
    """One row per attack, then the floor (``flat_guess``: each secret as its mean colour, no stego) if present."""
    rows = {**report["attacks"], **({"flat_guess": report["flat_guess"]} if "flat_guess" in report else {})}
    cells = (("stego_psnr", 2), ("stego_ssim", 4), ("revealed_psnr", 2), ("revealed_ssim", 4))
    return [" | ".join([report["model"], attack, *(fmt(row[key], digits) if key in row else "" for key, digits in cells)])
            for attack, row in rows.items()]


def main(paths: list[str]) -> None:
    reports = [json.loads(Path(p).read_text()) for p in paths]
    bits = [r for r in reports if "message_bytes" in r]
    if bits:
        print("| model | message bytes | stego PSNR dB | stego PSNR-Y dB | stego SSIM | exact, key | exact, z only"
              " | exact, keyless | keyless bit accuracy |")
        print("|---|---|---|---|---|---|---|---|---|")
        for report in sorted(bits, key=lambda r: (r["model"], -r["message_bytes"])):
            print(f"| {bits_row(report)} |")
    images = [r for r in reports if "revealed_psnr" in r]
    if images:
        print("| model | pairs | stego PSNR dB | stego PSNR-Y dB | stego SSIM | revealed PSNR dB (keyless)"
              " | revealed PSNR-Y dB | revealed SSIM | revealed PSNR dB (key) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for report in sorted(images, key=lambda r: r["model"]):
            print(f"| {images_row(report)} |")
    attacked = [r for r in reports if "attacks" in r]
    if attacked:
        print("| model | attack | stego PSNR dB | stego SSIM | revealed PSNR dB | revealed SSIM |")
        print("|---|---|---|---|---|---|")
        for report in sorted(attacked, key=lambda r: r["model"]):
            for row in attack_rows(report):
                print(f"| {row} |")


if __name__ == "__main__":
    main(sys.argv[1:])
