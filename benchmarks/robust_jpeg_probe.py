"""Where does JPEG hurt a robust model's code: the luma, the chroma, or the 4:2:0 chroma subsampling?

For a ``robust-N`` file, on the 70 validation centre crops the robust training validates on, the
stego is saved as PNG, then one part of a real JPEG at ``--quality`` is let through at a time
(Pillow's JFIF YCbCr), and the keyless reveal's PSNR printed for each:

- ``png``: no JPEG (the ceiling); ``ycbcr_roundtrip``: only the 8-bit YCbCr conversion (the control);
- ``jpeg``: Pillow's JPEG as ``steg attack`` makes it (4:2:0); ``jpeg_444``: the same without subsampling;
- ``jpeg_luma``: the JPEG's Y with the stego's own chroma; ``jpeg_chroma``: the JPEG's chroma with the
  stego's own Y;
- ``sim_cubic``, ``sim_noise``, ``sim_mix``: the training's differentiable JPEG simulators at the same
  quality (:mod:`stegcli.train.jpeg_sim`; ``sim_mix`` is the random blend the attack layer applies),
  then 8-bit rounding: does training see the JPEG that the reveal meets?
- ``luma_change_only``, ``chroma_blur1`` / ``2`` / ``4``: no JPEG, but the stego's change from the
  cover moved into the luma (as ``--luma-only`` writes it), or its chroma blurred at 1, 2 or 4 px
  (as ``--chroma-blur`` writes it): how much of the code such a projection leaves to start from.

It also prints how the stego's residual (stego - cover) energy splits over Y, Cb and Cr, and what
kind of error the reveal makes from the PNG and after the JPEG: its mean squared error per JFIF
plane (8-bit units) and the PSNR left once reveal and secret are both blurred (Gaussian, sigma 1,
2 and 4 px; errors that stay after sigma 4 are coarse blotches, not lost detail)::

    python benchmarks/robust_jpeg_probe.py ../shared/data/train weights/robust-1.safetensors
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from stegcli.attacks import jpeg
from stegcli.metrics import psnr
from stegcli.nn import RobustINN
from stegcli.nn.filters import blur, low_pass_chroma, luma_change
from stegcli.tensors import from_tensor, to_tensor
from stegcli.train import jpeg_sim
from stegcli.train.data import ImageBank, list_images
from stegcli.train.losses import psnr as train_psnr
from stegcli.train.robust_task import validation_secrets
from stegcli.zoo import load_weights_file


def ycbcr(image: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(image, "RGB").convert("YCbCr"))


def rgb(planes: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(planes, "YCbCr").convert("RGB"))


def variants(stego: np.ndarray, quality: int) -> dict[str, np.ndarray]:
    """The stego through each partial JPEG of the module's list."""
    own, compressed = ycbcr(stego), ycbcr(jpeg(stego, quality))
    luma, chroma = own.copy(), own.copy()
    luma[..., 0], chroma[..., 1:] = compressed[..., 0], compressed[..., 1:]
    return {"png": stego, "ycbcr_roundtrip": rgb(own), "jpeg": jpeg(stego, quality),
            "jpeg_444": jpeg(stego, quality, full_chroma=True), "jpeg_luma": rgb(luma), "jpeg_chroma": rgb(chroma),
            **simulated(stego, quality)}


def simulated(stego: np.ndarray, quality: int) -> dict[str, np.ndarray]:
    """The stego through each training simulator of JPEG at ``quality``, rounded to 8 bits."""
    x, q = to_tensor(stego), torch.tensor([quality])
    sims = {"sim_cubic": jpeg_sim.simulate_jpeg(x, q, jpeg_sim.round_cubic),
            "sim_noise": jpeg_sim.simulate_jpeg(x, q, jpeg_sim.round_noise), "sim_mix": jpeg_sim.jpeg_mix(x, q)}
    return {name: from_tensor(image) for name, image in sims.items()}


BLUR_SIGMAS = (1.0, 2.0, 4.0)  # pixels: the projections' chroma blur, the error profile's scales


def projected(stego: np.ndarray, cover: np.ndarray) -> dict[str, np.ndarray]:
    """The stego with its change from the cover in the luma only, or with the change's chroma blurred."""
    cover_t = to_tensor(cover)
    change = to_tensor(stego) - cover_t
    return {"luma_change_only": from_tensor(cover_t + luma_change(change)),
            **{f"chroma_blur{sigma:g}": from_tensor(cover_t + low_pass_chroma(change, sigma)) for sigma in BLUR_SIGMAS}}


PROFILED = ("png", "jpeg")  # the variants whose reveal error is broken down


def error_profile(revealed: torch.Tensor, secrets: torch.Tensor) -> dict[str, float]:
    """The reveal's squared error per JFIF plane (8-bit units) and its PSNR once both are blurred."""
    def one_per_row(x: torch.Tensor) -> torch.Tensor:  # (B, 3n, H, W) -> (Bn, 3, H, W)
        return x.reshape(-1, 3, *x.shape[-2:])

    error = jpeg_sim.rgb_to_ycbcr(one_per_row(revealed)) - jpeg_sim.rgb_to_ycbcr(one_per_row(secrets))
    profile = {f"mse_{p}": float(error[:, i].square().mean()) for i, p in enumerate(("Y", "Cb", "Cr"))}
    for sigma in BLUR_SIGMAS:
        profile[f"psnr_blur{sigma:g}"] = float(train_psnr(blur(revealed, sigma), blur(secrets, sigma)))
    return profile


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("weights", type=Path)
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    model, _ = load_weights_file(args.weights)
    if not isinstance(model, RobustINN):
        raise SystemExit(f"{args.weights} is not an invertible robust model")
    n = model.config.secrets
    covers = ImageBank(list_images(args.data, "val"), args.size).center_crops(args.size)
    secrets = validation_secrets(covers, n)
    scores: dict[str, list[float]] = {}
    profiles: dict[str, list[dict[str, float]]] = {}
    energy = np.zeros(3)
    for cover, secret in zip(covers, secrets):
        stego = from_tensor(model.hide(cover[None], secret[None]))  # 8-bit, as a PNG keeps it
        residual = ycbcr(stego).astype(float) - ycbcr(from_tensor(cover[None])).astype(float)
        energy += (residual**2).mean(axis=(0, 1))
        truth = [from_tensor(s[None]) for s in secret.split(3)]
        for name, image in {**variants(stego, args.quality), **projected(stego, from_tensor(cover[None]))}.items():
            revealed = model.reveal(to_tensor(image))[0].clamp(0, 1)
            scores.setdefault(name, []).append(np.mean([psnr(from_tensor(r[None]), t)
                                                        for r, t in zip(revealed[0].split(3), truth)]))
            if name in PROFILED:
                profiles.setdefault(name, []).append(error_profile(revealed, secret[None]))
    report = {"revealed_psnr": {k: round(float(np.mean(v)), 2) for k, v in scores.items()},
              "residual_energy_share": dict(zip(("Y", "Cb", "Cr"), np.round(energy / energy.sum(), 3).tolist())),
              "revealed_error": {name: {k: round(float(np.mean([r[k] for r in rows])), 2) for k in rows[0]}
                                 for name, rows in profiles.items()}}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
