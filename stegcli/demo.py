"""``steg demo``: the main job on the bundled samples, end to end."""

from __future__ import annotations

from pathlib import Path

import torch

from stegcli.bits import BitsCodec
from stegcli.imageio import encode_png, read_image, write_output
from stegcli.evaluate import png_roundtrip
from stegcli.metrics import psnr, ssim
from stegcli.samples import sample_path
from stegcli.zoo import model_info, registered_models


def run_demo(out_dir: Path, device: torch.device) -> list[dict]:
    """Embed the bundled text with every installed bits model; write inputs and outputs to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cover = read_image(sample_path("cover.png"), "cover")
    message = sample_path("message.txt").read_bytes()
    write_output(out_dir / "cover.png", encode_png(cover))
    write_output(out_dir / "message.txt", message)
    rows = []
    for spec in registered_models("bits"):
        if not model_info(spec)["installed"]:
            continue
        codec = BitsCodec.from_name(spec.name, device)
        result = codec.embed(cover, message)
        stego = png_roundtrip(result.stego)
        write_output(out_dir / f"stego-{spec.name}.png", encode_png(stego))
        write_output(out_dir / f"z-{spec.name}.npy", result.key.to_bytes())
        extracted = codec.extract(stego, result.key)
        write_output(out_dir / f"extracted-{spec.name}.txt", extracted)
        rows.append({
            "model": spec.name,
            "bytes": len(message),
            "capacity_bytes": result.capacity_bytes,
            "bpp": codec.bpp,
            "stego_psnr": psnr(stego, cover),
            "stego_ssim": ssim(stego, cover),
            "exact_with_key": extracted == message,
            "exact_keyless": codec.try_extract(stego, None) == message,
        })
    return rows
