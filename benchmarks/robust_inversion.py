"""How much of the secrets a robust model's hiding code determines: the embedder inverted by gradient descent.

For each validation pair, search the secrets whose embedding in the (known) cover reproduces the
exact residual of the PNG stego (``--attack none``) or of a real Pillow JPEG of it (``--attack
jpeg75``), starting from mid-grey (or, ``--start reveal``, from what the model reveals: does
fitting the residual move those towards the true secrets?). No network is trained: if the secrets found are far closer to
the true ones than what the model reveals, the code holds more than its receiver reads; if not,
the code itself is the limit (or the search stalls: compare ``residual_fit_error_to_signal`` with
the fit of the true secrets, which 8-bit rounding and the attack keep above zero).

    python benchmarks/robust_inversion.py ../shared/data/train robust-1.safetensors --attack none --steps 300
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from stegcli.nn.robust import RobustNet
from stegcli.train.data import ImageBank, list_images
from stegcli.train.losses import psnr
from stegcli.train.robust_task import received_stego, validation_secrets
from stegcli.zoo import load_weights_file


def invert(net: RobustNet, covers: torch.Tensor, target: torch.Tensor, start: torch.Tensor, steps: int, lr: float,
           every: int) -> list[tuple[torch.Tensor, float]]:
    """Secrets (in [0, 1]) whose amplified residual in ``covers`` approaches ``target``, every ``every`` steps.

    The search starts from the secrets ``start``; each entry also holds how far the residual they
    give still is from the target (error / signal).
    """
    logits = torch.logit(start.clamp(0.01, 0.99)).requires_grad_(True)
    optimizer = torch.optim.Adam([logits], lr=lr)
    found = []
    for step in range(1, steps + 1):
        residual = net.amplified_residual(net.hide(covers, torch.sigmoid(logits)), covers)
        loss = (residual - target).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % every == 0 or step == steps:
            fit = float((residual.detach() - target).norm() / target.norm())
            found.append((torch.sigmoid(logits).detach(), fit))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (fixed train/validation split)")
    parser.add_argument("weights", type=Path, help="an exported robust-N file")
    parser.add_argument("--attack", choices=["none", "jpeg75"], default="none")
    parser.add_argument("--steps", type=int, default=300, help="gradient steps per batch of validation pairs")
    parser.add_argument("--every", type=int, default=100, help="report every this many steps")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's step on the secrets' logits")
    parser.add_argument("--start", choices=["grey", "reveal"], default="grey",
                        help="start from mid-grey (no prior) or from what the model reveals")
    parser.add_argument("--size", type=int, default=128, help="side of the validation centre crops")
    parser.add_argument("--images", type=int, default=None, help="only the first this many validation pairs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net, _ = load_weights_file(args.weights, expected_name=None)
    if not isinstance(net, RobustNet):
        parser.error(f"{args.weights} is not a robust model")
    net.requires_grad_(False)
    covers = ImageBank(list_images(args.data, "val"), args.size).center_crops(args.size)
    secrets = validation_secrets(covers, net.config.secrets)
    covers, secrets = covers[: args.images], secrets[: args.images]
    rows: dict[int, list[tuple[float, float]]] = {}
    model_psnr, true_fit = [], []
    for part in torch.split(torch.arange(len(covers)), 8):
        with torch.no_grad():
            received = received_stego(net, covers[part], secrets[part], args.attack)
            revealed = net.reveal(received)[0].clamp(0, 1)
            model_psnr.append(psnr(revealed, secrets[part]))
            target = net.amplified_residual(received, covers[part])
            exact = net.amplified_residual(net.hide(covers[part], secrets[part]), covers[part])
            true_fit.append(float((exact - target).norm() / target.norm()))  # 8-bit rounding (and the attack)
        start = torch.full_like(revealed, 0.5) if args.start == "grey" else revealed
        for i, (found, fit) in enumerate(invert(net, covers[part], target, start, args.steps, args.lr, args.every)):
            rows.setdefault(i, []).append((psnr(found, secrets[part]), fit))
    steps = [min(args.steps, (i + 1) * args.every) for i in range(len(rows))]
    for step, i in zip(steps, sorted(rows)):
        found_psnr, fit = np.mean(rows[i], axis=0)
        print(json.dumps({"step": step, "attack": args.attack, "start": args.start, "model_revealed_psnr": round(float(np.mean(model_psnr)), 2),
                          "inverted_psnr": round(float(found_psnr), 2),
                          "residual_fit_error_to_signal": round(float(fit), 3),
                          "true_secrets_fit_error_to_signal": round(float(np.mean(true_fit)), 3)}), flush=True)


if __name__ == "__main__":
    main()
