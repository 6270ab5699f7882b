"""Render the measured tables of docs/models.md from ``steg eval --json`` outputs.

    python benchmarks/models_table.py benchmarks/results/eval-bits-*.json
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


def main(paths: list[str]) -> None:
    reports = [json.loads(Path(p).read_text()) for p in paths]
    bits = [r for r in reports if "message_bytes" in r]
    if bits:
        print("| model | message bytes | stego PSNR dB | stego PSNR-Y dB | stego SSIM | exact, key | exact, z only"
              " | exact, keyless | keyless bit accuracy |")
        print("|---|---|---|---|---|---|---|---|---|")
        for report in sorted(bits, key=lambda r: (r["model"], -r["message_bytes"])):
            print(f"| {bits_row(report)} |")


if __name__ == "__main__":
    main(sys.argv[1:])
