"""The validation `steg train robust` prints, for any robust weights file or run checkpoint.

Stego PSNR, revealed PSNR from the PNG stego (overall and per secret) and after a
real JPEG at quality 75, on 128x128 centre crops of the fixed validation split.
Per-secret numbers show whether a multi-secret model has learnt every secret.

    python benchmarks/robust_validation.py ../shared/data/train runs/gpu/robust-2.safetensors
    python benchmarks/robust_validation.py ../shared/data/train runs/robust-2/checkpoint.safetensors
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from stegcli.train.checkpoint import checkpoint_model_state
from stegcli.train.data import ImageBank, list_images
from stegcli.train.robust_task import RobustTask
from stegcli.zoo import load_weights_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (the validation split is taken from them)")
    parser.add_argument("weights", type=Path, help="an exported robust-N file, or a run's checkpoint.safetensors")
    parser.add_argument("--config-from", type=Path, help="for a checkpoint: an exported file of the same architecture")
    parser.add_argument("--size", type=int, default=128, help="side of the validation centre crops")
    args = parser.parse_args()
    is_checkpoint = args.weights.name == "checkpoint.safetensors"
    if is_checkpoint and args.config_from is None:
        parser.error("a checkpoint needs --config-from FILE (an exported file of the same architecture)")
    net, _ = load_weights_file(args.config_from if is_checkpoint else args.weights, expected_name=None)
    val = ImageBank(list_images(args.data, "val"), args.size)
    task = RobustTask(val, val, net.config, patch=args.size, batch=1, val_size=args.size)
    task.net.load_state_dict(checkpoint_model_state(args.weights, "net.") if is_checkpoint else net.state_dict())
    metrics = task.validate(torch.device("cpu"))
    print(json.dumps({"weights": str(args.weights), **{k: round(v, 2) for k, v in metrics.items()}}))


if __name__ == "__main__":
    main()
