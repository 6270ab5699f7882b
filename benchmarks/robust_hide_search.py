"""Can a search at hide time make an invertible robust model's stego survive JPEG better?

For each validation pair the model's stego is the start; then ``--steps`` Adam steps move its
pixels (the network stays fixed) to lower the keyless reveal's error after the training's
differentiable JPEG (:func:`stegcli.train.jpeg_sim.simulate_jpeg`, cubic and noisy rounding in
turn) at each of ``--qualities``, plus ``--clean-weight`` times the error without an attack. The
stego may not drift further from the cover than the model's own stego does (a penalty on its mean
squared error above that budget). Both stegos are then rounded to 8 bits and revealed after real
Pillow JPEGs, so the gain is measured on the codec, not on the simulator the search saw::

    python benchmarks/robust_hide_search.py ../shared/data/train weights/robust-1.safetensors --size 128 --pairs 8

It prints the mean over pairs of the stego PSNR and of the revealed PSNR (PNG, JPEG 90/75/50), for
the model's stego (``model``) and the searched one (``searched``), as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from stegcli.attacks import jpeg
from stegcli.metrics import psnr
from stegcli.nn import RobustINN
from stegcli.tensors import from_tensor, to_tensor
from stegcli.train import jpeg_sim
from stegcli.train.data import ImageBank, list_images
from stegcli.train.robust_task import validation_secrets
from stegcli.zoo import load_weights_file

REPORTED_QUALITIES = (90, 75, 50)
BUDGET_PENALTY = 100.0  # on the stego's squared error above the model's own, per unit


def searched_stego(model: RobustINN, cover: torch.Tensor, secrets: torch.Tensor, qualities: list[int], steps: int,
                   lr: float, clean_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(the model's stego, the searched stego), both (1, 3, H, W) in [0, 1] before rounding."""
    with torch.no_grad():
        start = model.hide(cover, secrets).clamp(0, 1)
    budget = torch.mean((start - cover) ** 2)
    delta = torch.zeros_like(start, requires_grad=True)
    optimizer = torch.optim.Adam([delta], lr=lr)

    def reveal_error(image: torch.Tensor) -> torch.Tensor:
        return torch.mean((model.reveal(image)[0] - secrets) ** 2)

    for step in range(steps):
        stego = (start + delta).clamp(0, 1)
        rounding = jpeg_sim.round_cubic if step % 2 else jpeg_sim.round_noise
        loss = clean_weight * reveal_error(stego)
        for q in qualities:
            loss = loss + reveal_error(jpeg_sim.simulate_jpeg(stego, torch.tensor([q]), rounding)) / len(qualities)
        loss = loss + BUDGET_PENALTY * torch.relu(torch.mean((stego - cover) ** 2) - budget)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return start, (start + delta).detach().clamp(0, 1)


@torch.no_grad()
def scores(model: RobustINN, stego: torch.Tensor, cover: np.ndarray, truths: list[np.ndarray]) -> dict[str, float]:
    """Stego PSNR and revealed PSNR (mean over secrets) after a PNG save and after real JPEGs."""
    image = from_tensor(stego)
    received = {"png": image, **{f"jpeg{q}": jpeg(image, q) for q in REPORTED_QUALITIES}}
    row = {"stego": psnr(image, cover)}
    for name, attacked in received.items():
        revealed = model.reveal(to_tensor(attacked))[0].split(3, dim=1)
        row[name] = float(np.mean([psnr(from_tensor(r), t) for r, t in zip(revealed, truths, strict=True)]))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (fixed train/validation split)")
    parser.add_argument("weights", type=Path, help="an invertible robust-N file")
    parser.add_argument("--size", type=int, default=128, help="side of the validation centre crops")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--lr", type=float, default=0.005, help="Adam's step on the pixels ([0, 1] units)")
    parser.add_argument("--qualities", default="50,75,90", help="JPEG qualities the search reveals through")
    parser.add_argument("--clean-weight", type=float, default=1.0, help="weight of the error without an attack")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = load_weights_file(args.weights)
    if not isinstance(model, RobustINN):
        raise SystemExit(f"{args.weights} is not an invertible robust model")
    model.eval().requires_grad_(False)
    qualities = [int(q) for q in args.qualities.split(",")]
    covers = ImageBank(list_images(args.data, "val"), args.size).center_crops(args.size)
    secrets = validation_secrets(covers, model.config.secrets)[: args.pairs]
    rows: dict[str, list[dict[str, float]]] = {"model": [], "searched": []}
    started = time.time()
    for cover, secret in zip(covers, secrets):
        cover, secret = cover[None], secret[None]
        start, found = searched_stego(model, cover, secret, qualities, args.steps, args.lr, args.clean_weight)
        cover_u8, truths = from_tensor(cover), [from_tensor(s) for s in secret.split(3, dim=1)]
        rows["model"].append(scores(model, start, cover_u8, truths))
        rows["searched"].append(scores(model, found, cover_u8, truths))
    report = {name: {k: round(float(np.mean([r[k] for r in values])), 2) for k in values[0]}
              for name, values in rows.items()}
    report["seconds_per_pair"] = round((time.time() - started) / len(secrets), 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
