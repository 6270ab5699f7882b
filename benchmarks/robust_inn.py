"""Train the invertible robust models (robust-N): an ISN network through the robust attack layer.

Started as a probe (does an invertible hiding network learn a robust code faster than the robust
U-Nets? It does: thousands of CPU steps against tens of thousands), it now trains the shipped
``robust-N`` weights (``benchmarks/robust_inn_curriculum.sh`` runs its stages; ``--export`` writes
a :class:`~stegcli.nn.robust_inn.RobustINN` file). It trains a ``StegoINN`` with ``--secrets N``
through :class:`~stegcli.train.attack_layer.AttackLayer`: the stego is attacked, then reversed
keylessly (constant z), optionally after a small U-Net that may undo part of the attack
(``--enhance WIDTH``, starting as the identity; not exportable). The stego weight is steered to
``--target`` dB as in ``steg train robust``. ``--init`` starts from an INN weights file (``isn-N``
or ``robust-N``); a deeper network gets the file's blocks first and identity blocks after them.

Validation, as the robust training prints it: 70 validation centre crops of 128 px, PNG stego,
revealed PSNR from the PNG and after real ``steg eval`` attacks (docs/robust-training.md,
ninth session)::

    python benchmarks/robust_inn.py ../shared/data/train --run runs/inn --init weights/isn-1.safetensors --minutes 60
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stegcli.nn import RobustINN, RobustINNConfig
from stegcli.nn.unet import BranchedUNet, pad_to
from stegcli.train.attack_layer import AttackLayer, AttackRanges, parse_attack_mix
from stegcli.train.data import ImageBank, list_images
from stegcli.train.jpeg_sim import rgb_to_ycbcr
from stegcli.train.loop import Trainer, TrainSettings
from stegcli.train.losses import batched_means, psnr, quantize_ste
from stegcli.train.robust_task import (
    RobustWeights,
    attacked_reveal_psnrs,
    steer_stego_weight,
    validation_secrets,
)
from stegcli.zoo import load_weights_file, save_weights

VALIDATION_ATTACKS = ("jpeg75", "scale0.5", "blur1.0", "crop0.9")


def stego_error(stego: torch.Tensor, cover: torch.Tensor, chroma_weight: float = 1.0) -> torch.Tensor:
    """The stego's squared error, its chroma (JFIF Cb, Cr) weighted ``chroma_weight`` times its luma.

    JPEG quantises chroma far more coarsely than luma (``benchmarks/robust_jpeg_probe.py``): a weight
    above 1 moves the code's energy into the luma at the same RGB PSNR.
    """
    if chroma_weight == 1.0:
        return F.mse_loss(stego, cover)
    diff = (rgb_to_ycbcr(stego) - rgb_to_ycbcr(cover)) / 255
    return (diff[:, 0].square().mean() + chroma_weight * diff[:, 1:].square().mean(1).mean()) / (1 + chroma_weight)


class TrainedRobustINN(RobustINN):
    """A ``robust-N`` network in training: the stego weight's steering state, and an optional U-Net
    (``--enhance``, not part of an exported model) before the keyless reverse."""

    def __init__(self, config: RobustINNConfig, enhance_width: int = 0) -> None:
        super().__init__(config)
        self.enhance = BranchedUNet(1, 3, 3, enhance_width, 3) if enhance_width else None
        if self.enhance is not None:  # start as the identity
            nn.init.zeros_(self.enhance.out.weight)
            nn.init.zeros_(self.enhance.out.bias)
        self.register_buffer("log_stego_weight", torch.tensor(math.log(RobustWeights().stego)))

    def read_attacked(self, image: torch.Tensor) -> torch.Tensor:
        """The secrets from an attacked stego: the enhancer, if any, then :meth:`RobustINN.reveal`."""
        if self.enhance is not None:
            padded, (h, w) = pad_to(image, self.enhance.stride)
            image = image + self.enhance(padded)[..., :h, :w]
        return self.reveal(image)[0]


class RobustINNTask:
    """The loop's task: L2 stego (steered weight) + z * L2(z, 0) + reveal * L1 through the attack layer."""

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        self.train = ImageBank(list_images(data, "train"), args.patch)
        covers = ImageBank(list_images(data, "val"), args.size).center_crops(args.size)
        self.val_covers, self.val_secrets = covers, validation_secrets(covers, args.secrets)
        config = RobustINNConfig(args.secrets, args.blocks, args.growth, refine=args.refine)
        self.model = TrainedRobustINN(config, args.enhance)
        if args.freeze_inn:  # train what follows the reverse only: the stego and the code stay as they are
            self.model.inn.requires_grad_(False)
        ranges = AttackRanges()
        if args.attack_mix:
            ranges.weights = parse_attack_mix(args.attack_mix)
        self.attacks, self.args = AttackLayer(ranges), args

    def sample_batch(self, rng: np.random.Generator, device: torch.device):
        covers = self.train.random_crops(rng, self.args.batch, self.args.patch)
        secrets = torch.cat([self.train.random_crops(rng, self.args.batch, self.args.patch)
                             for _ in range(self.args.secrets)], 1)
        return covers.to(device), secrets.to(device), int(rng.integers(2**31))

    def loss(self, batch) -> tuple[torch.Tensor, dict[str, float]]:
        cover, secret, seed = batch
        m, a = self.model, self.args
        stego, z = m.inn(cover, secret)
        attacked, _ = self.attacks(stego, np.random.default_rng(seed))
        revealed = m.read_attacked(attacked)
        weight = m.log_stego_weight.exp()
        loss = (weight * stego_error(stego, cover, a.chroma_weight) + a.z_weight * F.mse_loss(z, torch.zeros_like(z))
                + a.reveal_weight * F.l1_loss(revealed, secret))
        stego_psnr = psnr(quantize_ste(stego).detach(), cover)
        steer_stego_weight(m.log_stego_weight, a.target, stego_psnr)
        return loss, {"stego_psnr": stego_psnr, "secret_psnr": psnr(revealed.detach().clamp(0, 1), secret),
                      "stego_weight": float(weight)}

    @torch.no_grad()
    def validate(self, device: torch.device) -> dict[str, float]:
        self.model.eval()

        def row(part: slice) -> dict[str, float]:
            cover, secret = self.val_covers[part].to(device), self.val_secrets[part].to(device)
            stego = quantize_ste(self.model.hide(cover, secret))
            read = self.model.read_attacked
            out = {"stego_psnr": psnr(stego, cover), "revealed_psnr": psnr(read(stego).clamp(0, 1), secret)}
            return out | attacked_reveal_psnrs(read, stego, secret, VALIDATION_ATTACKS)

        return batched_means(len(self.val_covers), row)


def export(task: RobustINNTask, path: Path, step: int, args: argparse.Namespace) -> dict[str, float]:
    """Write the trained network as ``robust-N`` weights (keyless reveal; the probe's enhancer is not part of it)."""
    if args.enhance:
        raise SystemExit("--export: a run with --enhance is not a robust-N model")
    config = task.model.config
    net = RobustINN(config)
    exported = net.state_dict().keys()  # the training network's extras (enhancer, steering state) stay behind
    net.load_state_dict({k: v for k, v in task.model.state_dict().items() if k in exported})
    metrics = task.validate(torch.device(args.device))
    recipe = {"trainer": "benchmarks/robust_inn.py", "steps": step, "init": str(args.init or ""),
              "last_stage": {"attack_mix": args.attack_mix, "lr": args.lr, "patch": args.patch, "batch": args.batch,
                             "target": args.target, "device": args.device}, "curriculum": args.note}
    save_weights(path, net, name=f"robust-{args.secrets}", kind="robust",
                 config={"robust_inn": config.to_dict(), "secrets": args.secrets}, recipe=recipe,
                 metrics={"validation": metrics})
    print(f"exported {path} (step {step}):", metrics, flush=True)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (fixed train/validation split)")
    parser.add_argument("--run", type=Path, required=True, help="run folder (checkpoint, log.jsonl)")
    parser.add_argument("--init", type=Path, help="an INN weights file to start from (weights/isn-N or robust-N.safetensors)")
    parser.add_argument("--resume", action="store_true", help="continue the run folder's checkpoint")
    parser.add_argument("--secrets", type=int, default=1, help="secret images per cover (1 to 3)")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--growth", type=int, default=16)
    parser.add_argument("--enhance", type=int, default=0, help="width of a U-Net before the reverse; 0: none")
    parser.add_argument("--refine", type=int, default=0,
                        help="width of the exported refinement U-Net after the reverse; 0: none")
    parser.add_argument("--freeze-inn", action="store_true", help="train only what follows the reverse (--refine)")
    parser.add_argument("--attack-mix", default="", help="as steg train robust --attack-mix; default: its mix")
    parser.add_argument("--target", type=float, default=34.0, help="stego PSNR target, dB")
    parser.add_argument("--chroma-weight", type=float, default=1.0,
                        help="weight of the stego's chroma error against its luma error (1: plain RGB MSE)")
    parser.add_argument("--z-weight", type=float, default=1.0)
    parser.add_argument("--reveal-weight", type=float, default=1.0)
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=128, help="side of the validation centre crops")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--steps", type=int, default=100_000, help="stop at this step (or the time limit)")
    parser.add_argument("--every", type=int, default=250, help="validate every this many steps")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the attack layer's Pillow JPEG runs there)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--export", type=Path, help="after training, write robust-N weights here")
    parser.add_argument("--note", default="", help="how the run was trained, kept in the exported recipe")
    args = parser.parse_args()
    if args.freeze_inn and not (args.refine or args.enhance):
        parser.error("--freeze-inn leaves nothing to train without --refine (or --enhance)")
    torch.set_num_threads(args.threads)
    task = RobustINNTask(args.data, args)
    settings = TrainSettings(steps=args.steps, lr=args.lr, decay_every=10**6, minutes=args.minutes, lr_warmup=200,
                             val_every=args.every)
    device = torch.device(args.device)
    trainer = Trainer(task, args.run, settings, device)
    if args.resume and trainer.checkpoint_path.exists():
        trainer.resume()
    elif args.init:
        source, _ = load_weights_file(args.init, expected_name=None)
        if isinstance(source, RobustINN):  # continue a shipped robust-N, and its refinement if both have one
            if source.refine is not None and task.model.refine is not None:
                task.model.refine.load_state_dict(source.refine.state_dict())
            source = source.inn
        missing, unexpected = task.model.inn.load_state_dict(source.state_dict(), strict=False)
        if unexpected:
            parser.error(f"{args.init} has blocks this network lacks: {unexpected[:3]}")
        print(f"initialised from {args.init}; identity blocks: {len({k.split('.')[1] for k in missing})}")
    if trainer.step < args.steps:  # an export-only call (--steps 0) validates once, in export()
        print(f"step {trainer.step} validation:", task.validate(device), flush=True)
    trainer.fit()
    if args.export:
        export(task, args.export, trainer.step, args)


if __name__ == "__main__":
    main()
