"""How much of the secrets a robust model's hiding code carries: a receiver that knows the cover.

The embedder stays fixed. The model's revealing network is trained further on what an oracle
receiver sees, the exact residual of the stego (``--attack none``: the PNG stego minus the cover)
or of a real Pillow JPEG of it (``--attack jpeg75``: JPEG(stego) minus the cover), in place of
the decoupling network's estimate. Its validation PSNR is what this code can give when the
cover is separated perfectly: far above the model's own reveal, the decoupler is the limit; about
equal, the embedder's code is.

    python benchmarks/robust_oracle.py ../shared/data/train robust-1.safetensors --attack jpeg75 --minutes 40
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.nn.robust import RobustNet
from stegcli.train.data import ImageBank, list_images
from stegcli.train.losses import batched_means, psnr
from stegcli.train.robust_task import received_stego, validation_secrets
from stegcli.zoo import load_weights_file


@torch.no_grad()
def oracle_inputs(net: RobustNet, covers: torch.Tensor, secrets: torch.Tensor, attack: str,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(amplified exact residual, received image): the PNG stego, or a real JPEG of it, minus the cover."""
    received = received_stego(net, covers, secrets, attack)
    return net.amplified_residual(received, covers), received


@torch.no_grad()
def validate(net: RobustNet, covers: torch.Tensor, secrets: torch.Tensor, attack: str,
             with_model: bool) -> dict[str, float]:
    """Revealed PSNR through the oracle and, ``with_model``, through the model's decoupler, on the same images.

    Both go through the same revealing network: once it trains on the oracle's input, only the
    oracle's figure measures what it learnt.
    """
    def row(part: slice) -> dict[str, float]:
        residual, received = oracle_inputs(net, covers[part], secrets[part], attack)
        metrics = {"oracle_revealed_psnr": psnr(net.secrets_from(residual, received).clamp(0, 1), secrets[part])}
        if with_model:
            metrics["model_revealed_psnr"] = psnr(net.reveal(received)[0].clamp(0, 1), secrets[part])
        return metrics

    return batched_means(len(covers), row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (fixed train/validation split)")
    parser.add_argument("weights", type=Path, help="an exported robust-N file")
    parser.add_argument("--attack", choices=["none", "jpeg75"], default="none")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps (or the time limit)")
    parser.add_argument("--size", type=int, default=128, help="side of the validation centre crops")
    parser.add_argument("--every", type=int, default=500, help="validate every this many steps")
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--lr-warmup", type=int, default=300, help="steps of a linear learning-rate ramp")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net, _ = load_weights_file(args.weights, expected_name=None)
    if not isinstance(net, RobustNet):
        parser.error(f"{args.weights} is not a robust model")
    net.requires_grad_(False)
    net.reveal_net.requires_grad_(True)
    train = ImageBank(list_images(args.data, "train"), args.patch)
    val_covers = ImageBank(list_images(args.data, "val"), args.size).center_crops(args.size)
    n = net.config.secrets
    val_secrets = validation_secrets(val_covers, n)
    optimizer = torch.optim.Adam(net.reveal_net.parameters(), lr=args.lr)
    ramp = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / max(1, args.lr_warmup)))
    rng = np.random.default_rng(args.seed)

    def report(step: int) -> None:
        # the model's own figure only means something before the revealing network moved
        metrics = validate(net, val_covers, val_secrets, args.attack, with_model=step == 0)
        print(json.dumps({"step": step, "attack": args.attack, **{k: round(v, 2) for k, v in metrics.items()}}),
              flush=True)

    report(0)
    start, step = time.monotonic(), 0
    while time.monotonic() - start < args.minutes * 60 and (args.steps is None or step < args.steps):
        covers = train.random_crops(rng, args.batch, args.patch)
        secrets = train.random_crops(rng, args.batch * n, args.patch).reshape(args.batch, 3 * n, args.patch, args.patch)
        residual, received = oracle_inputs(net, covers, secrets, args.attack)
        loss = F.l1_loss(net.secrets_from(residual, received), secrets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        ramp.step()
        step += 1
        if step % args.every == 0:
            report(step)
    if step % args.every:
        report(step)


if __name__ == "__main__":
    main()
