"""``steg demo``: the main jobs on the bundled samples, end to end, with what they measured."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from stegcli.codecs.bits import BitsCodec
from stegcli.codecs.images import ImageCodec
from stegcli.errors import CapacityError
from stegcli.eval.evaluate import png_roundtrip
from stegcli.eval.metrics import psnr, ssim
from stegcli.io.files import STDIO, write_output
from stegcli.io.images import encode_image, read_image
from stegcli.models.registry import KEYLESS_BITS_MODEL, registered_models
from stegcli.models.weights import model_info
from stegcli.samples import sample_path


def _installed(kind: str) -> list[str]:
    return [spec.name for spec in registered_models(kind) if model_info(spec)["installed"]]


def demo_models() -> list[str]:
    """The installed models the demo runs: every bits model, and isn-1."""
    return _installed("bits") + [name for name in _installed("isn") if name == "isn-1"]


def run_bits_demo(out_dir: Path, device: torch.device) -> list[dict]:
    """Embed the bundled text with every installed bits model; write inputs and outputs to ``out_dir``."""
    cover = read_image(sample_path("cover.png"), "cover")
    message = sample_path("message.txt").read_bytes()
    write_output(out_dir / "message.txt", message)
    rows = []
    for name in _installed("bits"):
        codec = BitsCodec.from_name(name, device)
        result = codec.embed(cover, message)
        stego = png_roundtrip(result.stego)
        write_output(out_dir / f"stego-{name}.png", encode_image(stego, STDIO))
        write_output(out_dir / f"z-{name}.npy", result.key.to_bytes())
        extracted = codec.extract(stego, result.key)
        write_output(out_dir / f"extracted-{name}.txt", extracted)
        rows.append({
            "model": name, "bytes": len(message), "capacity_bytes": result.capacity_bytes, "bpp": codec.bpp,
            "stego_psnr": psnr(stego, cover), "stego_ssim": ssim(stego, cover),
            "exact_with_key": extracted == message, "exact_keyless": codec.try_extract(stego, None) == message,
        })
    return rows


DEMO_PASSPHRASE = b"stegcli demo"


def run_passphrase_demo(out_dir: Path, device: torch.device) -> dict | None:
    """The everyday job: one stego, no key file, opened by a passphrase and by nothing else."""
    if KEYLESS_BITS_MODEL not in _installed("bits"):
        return None
    cover = read_image(sample_path("cover.png"), "cover")
    message = sample_path("message.txt").read_bytes()
    codec = BitsCodec.from_name(KEYLESS_BITS_MODEL, device)
    row = {"model": codec.name, "passphrase": DEMO_PASSPHRASE.decode(), "bytes": len(message)}
    try:
        result = codec.embed_keyless(cover, message, DEMO_PASSPHRASE)
    except CapacityError as exc:  # an untrained or foreign bits-1: show the refusal, as embed-bits would
        return row | {"refused": str(exc)}
    stego = png_roundtrip(result.stego)
    write_output(out_dir / "stego-passphrase.png", encode_image(stego, STDIO))
    extracted = codec.extract_keyless(stego, DEMO_PASSPHRASE)
    write_output(out_dir / "extracted-passphrase.txt", extracted)
    return row | {
        "capacity_bytes": result.capacity_bytes, "steps": result.steps,
        "stego_psnr": psnr(stego, cover), "stego_ssim": ssim(stego, cover), "exact": extracted == message,
        "wrong_passphrase_refused": codec.try_extract_keyless(stego, b"not the passphrase") is None,
        "no_passphrase_refused": codec.try_extract_keyless(stego, None) is None,
    }


def figure(cover: np.ndarray, stego: np.ndarray, secret: np.ndarray, revealed: np.ndarray) -> np.ndarray:
    """Cover | stego | x20 residual | secret | revealed, side by side as in the papers' figures."""
    residual = np.clip(np.abs(stego.astype(np.int16) - cover.astype(np.int16)) * 20, 0, 255).astype(np.uint8)
    gap = np.full((cover.shape[0], 4, 3), 255, dtype=np.uint8)
    parts = [cover, stego, residual, secret, revealed]
    return np.concatenate([p for part in parts for p in (part, gap)][:-1], axis=1)


def run_image_demo(out_dir: Path, device: torch.device) -> list[dict]:
    """Hide the bundled secret image in the bundled cover with isn-1, if installed."""
    if "isn-1" not in _installed("isn"):
        return []
    cover = read_image(sample_path("cover.png"), "cover")
    secret = read_image(sample_path("secret.png"), "secret")
    codec = ImageCodec.from_name("isn-1", device)
    result = codec.hide(cover, [secret])
    stego = png_roundtrip(result.stego)
    keyless = codec.reveal(stego)[0]
    keyed = codec.reveal(stego, key=result.key)[0]
    write_output(out_dir / "secret.png", encode_image(secret, STDIO))
    write_output(out_dir / "stego-isn-1.png", encode_image(stego, STDIO))
    write_output(out_dir / "revealed-isn-1.png", encode_image(keyless, STDIO))
    write_output(out_dir / "figure-isn-1.png", encode_image(figure(cover, stego, secret, keyless), STDIO))
    return [{
        "model": "isn-1", "stego_psnr": psnr(stego, cover), "stego_ssim": ssim(stego, cover),
        "revealed_psnr": psnr(keyless, secret), "revealed_ssim": ssim(keyless, secret),
        "revealed_with_key_psnr": psnr(keyed, secret),
    }]


def run_demo(out_dir: Path, device: torch.device) -> tuple[dict | None, list[dict], list[dict]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_output(out_dir / "cover.png", encode_image(read_image(sample_path("cover.png"), "cover"), STDIO))
    return run_passphrase_demo(out_dir, device), run_bits_demo(out_dir, device), run_image_demo(out_dir, device)
