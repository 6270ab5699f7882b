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

It also prints how the stego's residual (stego - cover) energy splits over Y, Cb and Cr::

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
from stegcli.tensors import from_tensor, to_tensor
from stegcli.train import jpeg_sim
from stegcli.train.data import ImageBank, list_images
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
    energy = np.zeros(3)
    for cover, secret in zip(covers, secrets):
        stego = from_tensor(model.hide(cover[None], secret[None]))  # 8-bit, as a PNG keeps it
        residual = ycbcr(stego).astype(float) - ycbcr(from_tensor(cover[None])).astype(float)
        energy += (residual**2).mean(axis=(0, 1))
        truth = [from_tensor(s[None]) for s in secret.split(3)]
        for name, image in variants(stego, args.quality).items():
            revealed = model.reveal(to_tensor(image))[0][0].split(3)
            scores.setdefault(name, []).append(np.mean([psnr(from_tensor(r[None]), t) for r, t in zip(revealed, truth)]))
    report = {"revealed_psnr": {k: round(float(np.mean(v)), 2) for k, v in scores.items()},
              "residual_energy_share": dict(zip(("Y", "Cb", "Cr"), np.round(energy / energy.sum(), 3).tolist()))}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
