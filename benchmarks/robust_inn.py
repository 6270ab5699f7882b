"""Train the invertible robust models (robust-N): the script form of ``steg train robust`` used for the shipped files.

It runs the same task as ``steg train robust`` (:class:`~stegcli.train.robust_inn_task.RobustINNTask`:
an ``isn-N`` network trained through the attack layer and read back by its keyless reverse) with
what the curricula need: ``benchmarks/robust_inn_curriculum.sh`` runs its stages, ``--note``
records them in the exported recipe, ``--every`` and ``--size`` set the validation. It also keeps
one probe the CLI does not have: ``--enhance WIDTH``, a small U-Net before the reverse, starting as
the identity (not exportable; docs/robust-training.md, ninth session). ``--init`` starts from an
INN weights file (``isn-N`` or ``robust-N``); a deeper network gets the file's blocks first and
identity blocks after them.

Validation, as the robust training prints it: 70 validation centre crops of 128 px, PNG stego,
revealed PSNR from the PNG and after real ``steg eval`` attacks::

    python benchmarks/robust_inn.py ../shared/data/train --run runs/inn --init weights/isn-1.safetensors --minutes 60
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from stegcli.errors import ModelError
from stegcli.nn import RobustINNConfig
from stegcli.nn.unet import BranchedUNet, pad_to
from stegcli.train.attack_layer import AttackRanges, parse_attack_mix
from stegcli.train.data import ImageBank, list_images
from stegcli.train.loop import Trainer, TrainSettings
from stegcli.train.recipes import export as export_weights
from stegcli.train.robust_inn_task import (
    RobustINNTask,
    RobustINNTrainingModel,
    RobustINNWeights,
    load_inn_start,
)
from stegcli.zoo import load_weights_file


class EnhancedRobustINN(RobustINNTrainingModel):
    """The training model with a U-Net before the keyless reverse (``--enhance``, a probe: not
    part of an exported model), starting as the identity."""

    def __init__(self, config: RobustINNConfig, enhance_width: int) -> None:
        super().__init__(config)
        self.enhance = BranchedUNet(1, 3, 3, enhance_width, 3)
        nn.init.zeros_(self.enhance.out.weight)
        nn.init.zeros_(self.enhance.out.bias)

    def read_attacked(self, image: torch.Tensor) -> torch.Tensor:
        padded, (h, w) = pad_to(image, self.enhance.stride)
        return super().read_attacked(image + self.enhance(padded)[..., :h, :w])


def build_task(data: Path, args: argparse.Namespace) -> RobustINNTask:
    train = ImageBank(list_images(data, "train"), args.patch)
    val = ImageBank(list_images(data, "val"), args.size)
    config = RobustINNConfig(args.secrets, args.blocks, args.growth, refine=args.refine, luma_only=args.luma_only)
    weights = RobustINNWeights(stego_psnr_target=args.target, chroma=args.chroma_weight, z=args.z_weight,
                               reveal=args.reveal_weight)
    ranges = AttackRanges(weights=parse_attack_mix(args.attack_mix)) if args.attack_mix else None
    model = EnhancedRobustINN(config, args.enhance) if args.enhance else None
    return RobustINNTask(train, val, config, args.patch, args.batch, weights, args.size, ranges, args.freeze_inn, model)


def export(trainer: Trainer, path: Path, args: argparse.Namespace) -> dict[str, float]:
    """Write the trained network as ``robust-N`` weights (keyless reveal; the probe's enhancer is not part of it)."""
    if args.enhance:
        raise SystemExit("--export: a run with --enhance is not a robust-N model")
    metrics = trainer.task.validate(trainer.device)
    export_weights(trainer, path, {"validation": metrics},
                   notes={"trainer": "benchmarks/robust_inn.py", "init": str(args.init or ""), "curriculum": args.note,
                          "device": args.device})
    print(f"exported {path} (step {trainer.step}):", metrics, flush=True)
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
    parser.add_argument("--luma-only", action="store_true", help="the stego differs from the cover in luma only")
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
    task = build_task(args.data, args)
    settings = TrainSettings(steps=args.steps, lr=args.lr, decay_every=10**6, minutes=args.minutes, lr_warmup=200,
                             val_every=args.every)
    device = torch.device(args.device)
    trainer = Trainer(task, args.run, settings, device)
    if args.resume and trainer.checkpoint_path.exists():
        trainer.resume()
    elif args.init:
        source, _ = load_weights_file(args.init, expected_name=None)
        try:
            identity = load_inn_start(task.net, source, str(args.init))
        except ModelError as exc:
            parser.error(str(exc))
        print(f"initialised from {args.init}; identity blocks: {identity}")
    if trainer.step < args.steps:  # an export-only call (--steps 0) validates once, in export()
        print(f"step {trainer.step} validation:", task.validate(device), flush=True)
    trainer.fit()
    if args.export:
        export(trainer, args.export, args)


if __name__ == "__main__":
    main()
