"""Measured quality of a model on a folder of images (``steg eval``).

Every number goes through a real PNG encode/decode, so it is what users get;
``--attacks`` adds real distortions (Pillow JPEG, noise, blur, resampling,
cropping) between the saved stego and the reveal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from stegcli.codecs.bits import BitsCodec, message_or_none
from stegcli.codecs.images import ImageCodec
from stegcli.errors import CapacityError, UsageError
from stegcli.eval import attacks
from stegcli.eval.metrics import flat_guess, psnr, psnr_y, ssim
from stegcli.io.files import STDIO
from stegcli.io.images import decode_image, encode_image
from stegcli.payload.framing import frame_message

Progress = Callable[[int, int], None] | None  # told (covers done, covers) after each cover


def fixed_crops(files: list[Path], count: int, size: int, seed: int, per_cover: int = 1,
                shift: int = 0) -> list[np.ndarray]:
    """``count`` seeded random crops, cycling through the images that are large enough.

    Crop ``j`` comes from image ``j // per_cover + shift + j % per_cover`` (cycled): with
    ``per_cover=n, shift=1`` the n secrets of cover k come from the n images after cover k's image,
    so an evaluation that draws covers and secrets from one folder never hides a photograph in itself
    (as long as n is smaller than the number of usable images).
    """
    rng = np.random.default_rng(seed)
    images = [img for img in (decode_image(p.read_bytes(), str(p)) for p in files) if min(img.shape[:2]) >= size]
    if not images:
        raise ValueError(f"no image of at least {size}x{size} pixels")
    crops = []
    for i in range(count):
        img = images[(i // per_cover + shift + i % per_cover) % len(images)]
        y = int(rng.integers(img.shape[0] - size + 1))
        x = int(rng.integers(img.shape[1] - size + 1))
        crops.append(img[y : y + size, x : x + size].copy())
    return crops


def _tick(progress: Progress, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def png_roundtrip(image: np.ndarray) -> np.ndarray:
    return decode_image(encode_image(image, STDIO), "<roundtrip>")


@dataclass
class Summary:
    mean: float
    min: float

    @classmethod
    def of(cls, values: list[float]) -> "Summary":
        finite = [v for v in values if math.isfinite(v)]
        return cls(float(np.mean(finite)) if finite else math.inf, float(np.min(values)))


def evaluate_bits(codec: BitsCodec, covers: list[np.ndarray], seed: int = 0, fill: float = 1.0,
                  progress: Progress = None) -> dict:
    """Embed random messages of ``fill`` x capacity, save/load as PNG, extract with and without key."""
    rng = np.random.default_rng(seed)
    stego_psnr, stego_psnr_y, stego_ssim, keyed, z_only, keyless, bit_acc = [], [], [], 0, 0, 0, []
    for cover in covers:
        n = int(codec.capacity_bytes(*cover.shape[:2]) * fill)
        message = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        stego, key = codec.encode(cover, message)
        stego = png_roundtrip(stego)
        stego_psnr.append(psnr(stego, cover))
        stego_psnr_y.append(psnr_y(stego, cover))
        stego_ssim.append(ssim(stego, cover))
        keyed += codec.try_extract(stego, key) == message
        z_only += codec.try_extract(stego, replace(key, residual=np.zeros_like(key.residual))) == message
        keyless_bits = codec.raw_bits(stego, None)
        keyless += message_or_none(keyless_bits) == message
        truth = frame_message(message, codec.capacity_bits(*cover.shape[:2]))
        bit_acc.append(float(np.mean(keyless_bits == truth)))
        _tick(progress, len(bit_acc), len(covers))
    n = len(covers)
    return {
        "model": codec.name,
        "pairs": n,
        "size": f"{covers[0].shape[1]}x{covers[0].shape[0]}",
        "message_bytes": int(codec.capacity_bytes(*covers[0].shape[:2]) * fill),
        "stego_psnr": Summary.of(stego_psnr).__dict__,
        "stego_psnr_y": Summary.of(stego_psnr_y).__dict__,
        "stego_ssim": Summary.of(stego_ssim).__dict__,
        "exact_with_key": keyed / n,
        "exact_with_z_only": z_only / n,
        "exact_keyless": keyless / n,
        "keyless_bit_accuracy": Summary.of(bit_acc).__dict__,
    }


EVAL_PASSPHRASE = b"stegcli evaluation"


def keyless_case(codec: BitsCodec, cover: np.ndarray, message: bytes, passphrase: bytes | None,
                 stealth: bool = False) -> dict:
    """One keyless embed, a real PNG round trip, one keyless extract: what a user of embed-bits gets.

    A refusal (exit 4 in the CLI) is an outcome here, not an error: ``exact`` False and the reason.
    """
    start = time.perf_counter()
    try:
        result = codec.embed_keyless(cover, message, passphrase, stealth=stealth)
    except CapacityError as exc:
        return {"bytes": len(message), "exact": False, "refused": str(exc), "embed_seconds": time.perf_counter() - start}
    embed_seconds = time.perf_counter() - start
    stego = png_roundtrip(result.stego)
    start = time.perf_counter()
    extracted = codec.try_extract_keyless(stego, passphrase)
    return {"bytes": len(message), "exact": extracted == message, "steps": result.steps,
            "stego_psnr": psnr(stego, cover), "stego_psnr_y": psnr_y(stego, cover), "stego_ssim": ssim(stego, cover),
            "changed": float(np.mean(stego != cover)), "embed_seconds": embed_seconds, "extract_seconds": time.perf_counter() - start}


def evaluate_keyless(codec: BitsCodec, covers: list[np.ndarray], seed: int = 0, fill: float = 1.0,
                     passphrase: bytes | None = EVAL_PASSPHRASE, stealth: bool = False, progress: Progress = None) -> dict:
    """Keyless payloads of ``fill`` x the keyless capacity (of the stealth setting with ``stealth``), sealed
    under ``passphrase`` (None: CRC only)."""
    rng = np.random.default_rng(seed)
    sealed = passphrase is not None
    rows = []
    for cover in covers:
        n = int(codec.keyless_capacity_bytes(*cover.shape[:2], sealed, stealth) * fill)
        rows.append(keyless_case(codec, cover, rng.integers(0, 256, n, dtype=np.uint8).tobytes(), passphrase, stealth))
        _tick(progress, len(rows), len(covers))
    done = [r for r in rows if "steps" in r]
    report = {"model": codec.name, "pairs": len(covers), "size": f"{covers[0].shape[1]}x{covers[0].shape[0]}",
              "message_bytes": rows[0]["bytes"], "passphrase": sealed, "stealth": stealth,
              "exact_keyless": sum(r["exact"] for r in rows) / len(rows),
              "refused": sum("refused" in r for r in rows) / len(rows)}
    for key in ("stego_psnr", "stego_psnr_y", "stego_ssim", "changed", "steps", "embed_seconds", "extract_seconds"):
        if done:
            report[key] = Summary.of([float(r[key]) for r in done]).__dict__
    return report


def _quality(prefix: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, list[float]]:
    return {
        f"{prefix}_psnr": [psnr(a, b) for a, b in pairs],
        f"{prefix}_psnr_y": [psnr_y(a, b) for a, b in pairs],
        f"{prefix}_ssim": [ssim(a, b) for a, b in pairs],
    }


def cover_sets(covers: list[np.ndarray], secrets: list[np.ndarray], per_cover: int):
    """(k, cover k, its secrets): secret i of cover k is ``secrets[k * per_cover + i]`` (see :func:`fixed_crops`),
    so every pair of a run is fixed."""
    if len(secrets) < per_cover * len(covers):
        raise ValueError(f"{len(covers)} covers need {per_cover * len(covers)} secrets, got {len(secrets)}")
    for k, cover in enumerate(covers):
        yield k, cover, secrets[k * per_cover : (k + 1) * per_cover]


def _header(name: str, covers: list[np.ndarray]) -> dict:
    return {"model": name, "pairs": len(covers), "size": f"{covers[0].shape[1]}x{covers[0].shape[0]}"}


def evaluate_images(codec: ImageCodec, covers: list[np.ndarray], secrets: list[np.ndarray],
                    progress: Progress = None) -> dict:
    """Hide ``codec.secrets`` secrets per cover, save/load the stego as PNG, reveal keyless and keyed."""
    values: dict[str, list[float]] = {}
    for k, cover, hidden in cover_sets(covers, secrets, codec.secrets):
        result = codec.hide(cover, hidden)
        stego = png_roundtrip(result.stego)
        rows = _quality("stego", [(stego, cover)])
        rows.update(_quality("revealed", list(zip(codec.reveal(stego), hidden, strict=True))))
        rows.update(_quality("revealed_with_key", list(zip(codec.reveal(stego, key=result.key), hidden, strict=True))))
        for key, vals in rows.items():
            values.setdefault(key, []).extend(vals)
        _tick(progress, k + 1, len(covers))
    return {**_header(codec.name, covers), **{key: Summary.of(vals).__dict__ for key, vals in values.items()}}


# name -> attack of ``steg eval --attacks``; the receiver gets the image back at the stego's size
EVAL_ATTACKS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "none": lambda im, seed: im,
    "jpeg90": lambda im, seed: attacks.jpeg(im, 90),
    "jpeg75": lambda im, seed: attacks.jpeg(im, 75),
    "jpeg50": lambda im, seed: attacks.jpeg(im, 50),
    "noise0.03": lambda im, seed: attacks.gaussian_noise(im, 0.03, seed),
    "blur1.0": lambda im, seed: attacks.gaussian_blur(im, 1.0),
    "scale0.5": lambda im, seed: attacks.resize(attacks.rescale(im, 0.5), *im.shape[:2]),
    "scale1.5": lambda im, seed: attacks.resize(attacks.rescale(im, 1.5), *im.shape[:2]),
    "crop0.9": lambda im, seed: attacks.resize(attacks.center_crop(im, 0.9), *im.shape[:2]),
}


def parse_attacks(text: str) -> list[str]:
    """``all`` or a comma-separated list of :data:`EVAL_ATTACKS` names."""
    names = list(EVAL_ATTACKS) if text == "all" else [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in EVAL_ATTACKS]
    if unknown or not names:
        raise UsageError(f"--attacks {text!r}: use 'all' or names from {', '.join(EVAL_ATTACKS)}")
    return names


def evaluate_attacks(name: str, per_cover: int, hide: Callable[[np.ndarray, list[np.ndarray]], np.ndarray],
                     reveal: Callable[[np.ndarray], list[np.ndarray]], covers: list[np.ndarray],
                     secrets: list[np.ndarray], attack_names: list[str], progress: Progress = None) -> dict:
    """Hide, save as PNG, attack with real codecs and resampling, reveal without a key; one row per attack.

    ``stego_*`` compares the PNG stego with its cover (the same in every row);
    ``revealed_*`` compares what reveal returns after the attack with the hidden images;
    ``flat_guess`` is the floor: each hidden image against its own mean colour (:func:`flat_guess`).
    """
    rows: dict[str, dict[str, list[float]]] = {a: {} for a in attack_names}
    floor: dict[str, list[float]] = {"revealed_psnr": [], "revealed_ssim": []}
    for k, cover, hidden in cover_sets(covers, secrets, per_cover):
        guesses = [(flat_guess(s), s) for s in hidden]
        floor["revealed_psnr"] += [psnr(g, s) for g, s in guesses]
        floor["revealed_ssim"] += [ssim(g, s) for g, s in guesses]
        stego = png_roundtrip(hide(cover, hidden))
        stego_q = {"stego_psnr": [psnr(stego, cover)], "stego_ssim": [ssim(stego, cover)]}
        for attack in attack_names:
            revealed = reveal(EVAL_ATTACKS[attack](stego, k))  # every attack returns 8-bit pixels already
            pairs = list(zip(revealed, hidden, strict=True))
            values = {**stego_q, "revealed_psnr": [psnr(a, b) for a, b in pairs],
                      "revealed_ssim": [ssim(a, b) for a, b in pairs]}
            for key, vals in values.items():
                rows[attack].setdefault(key, []).extend(vals)
        _tick(progress, k + 1, len(covers))
    return {**_header(name, covers),
            "attacks": {a: {key: Summary.of(vals).__dict__ for key, vals in r.items()} for a, r in rows.items()},
            "flat_guess": {key: Summary.of(vals).__dict__ for key, vals in floor.items()}}
