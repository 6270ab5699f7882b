"""Render the measured tables of docs/models.md from ``steg eval --json`` outputs.

    python benchmarks/models_table.py benchmarks/results/eval-bits-*.json
    python benchmarks/models_table.py benchmarks/results/eval-isn-*.json
    python benchmarks/models_table.py benchmarks/results/attacks-*.json   (one row per model and attack)
    python benchmarks/models_table.py --two-sets benchmarks/results/eval-*-512.json benchmarks/results/attacks-robust-*-512.json
        (each file beside its ``-second`` twin, the second validation set: stego and keyless revealed PSNR)
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


def mean_pair(report: dict, attack: str | None = None) -> tuple[float, float]:
    """(stego, revealed) mean PSNR of an image report, or of one attack's row of an attack report."""
    row = report["attacks"][attack] if attack else report
    return row["stego_psnr"]["mean"], row["revealed_psnr"]["mean"]


def two_sets(paths: list[str]) -> None:
    """Validation split against the second validation set, per model (and attack: none, jpeg75)."""
    print("| model | attack | validation split: stego / keyless revealed PSNR dB | second set: stego / keyless "
          "revealed PSNR dB | second set minus split (revealed) |")
    print("|---|---|---|---|---|")
    for path in sorted(Path(p) for p in paths if not p.endswith("-second.json")):
        twin = path.with_name(f"{path.stem}-second.json")
        if not twin.exists():
            continue
        val, second = json.loads(path.read_text()), json.loads(twin.read_text())
        attacks = [a for a in ("none", "jpeg75") if a in second.get("attacks", {})] or [None]
        for attack in attacks:
            (vs, vr), (ss, sr) = mean_pair(val, attack), mean_pair(second, attack)
            print(f"| {val['model']} | {attack or '-'} | {vs:.2f} / {vr:.2f} | {ss:.2f} / {sr:.2f} | {sr - vr:+.2f} |")


def main(paths: list[str]) -> None:
    if paths[:1] == ["--two-sets"]:
        two_sets(paths[1:])
        return
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
