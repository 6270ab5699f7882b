"""The validation `steg train robust` prints, for any robust weights file or run checkpoint.

Stego PSNR, revealed PSNR from the PNG stego (overall and per secret), after a real JPEG
at quality 75 and after a downscale to half and back, on 128x128 centre crops of the fixed
validation split, and the floor: each secret against its mean colour (``flat_guess_psnr``).
Per-secret numbers show whether a multi-secret model has learnt every secret.
``--diagnose`` adds where the hidden code gets lost: how well the decoupling network
recovers the embedded residual from the PNG stego, what the revealing network makes of the
exact residual, how much of the residual's energy lies in low frequencies, whether the residual
is a faint copy of the secret or a code, what the reveal scores with the secrets' true luma or
true chroma swapped in (is structure or colour lost?), and, for scale, what the secrets score
at 1/2, 1/4 and 1/8 of their resolution.

    python benchmarks/robust_validation.py ../shared/data/train runs/gpu/robust-2.safetensors
    python benchmarks/robust_validation.py ../shared/data/train runs/robust-2/checkpoint.safetensors
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.metrics import flat_guess
from stegcli.metrics import psnr as image_psnr
from stegcli.nn.robust import RobustNet
from stegcli.train.checkpoint import checkpoint_model_state
from stegcli.train.data import ImageBank, list_images
from stegcli.train.jpeg_sim import rgb_to_ycbcr, ycbcr_to_rgb
from stegcli.train.losses import psnr
from stegcli.train.robust_task import RobustTask, as_images, received_stego
from stegcli.zoo import load_weights_file


@torch.no_grad()
def diagnose(net: RobustNet, covers: torch.Tensor, secrets: torch.Tensor) -> dict[str, float | None]:
    """Where the code is lost between embedding and reveal (no attack: the PNG stego).

    The residual ratios are None when every stego rounds to its cover (nothing is hidden).
    """
    net.eval()
    stego = received_stego(net, covers, secrets)
    residual = net.amplified_residual(stego, covers)
    revealed, estimate, cover_estimate = net.reveal(stego)
    revealed = revealed.clamp(0, 1)
    secrets_from_exact = net.secrets_from(residual, stego)
    energy = float(residual.pow(2).sum())
    return {
        "residual_correlation": float(F.cosine_similarity(estimate.flatten(), residual.flatten(), dim=0)) if energy else None,
        "residual_error_to_signal": float((estimate - residual).norm() / residual.norm()) if energy else None,
        "residual_low_frequency_share": float(block_means(residual, 4).pow(2).sum()) / energy if energy else None,
        "residual_secret_correlation": secret_correlation(residual, secrets) if energy else None,
        "decoupled_cover_psnr": psnr(cover_estimate.clamp(0, 1), covers),
        "revealed_from_exact_residual_psnr": psnr(secrets_from_exact.clamp(0, 1), secrets),
        "revealed_with_true_luma_psnr": psnr(with_planes_of(revealed, secrets, luma=True), secrets),
        "revealed_with_true_chroma_psnr": psnr(with_planes_of(revealed, secrets, luma=False), secrets),
        **{f"secrets_at_1/{k}_resolution_psnr": psnr(block_means(secrets, k), secrets) for k in (2, 4, 8)},
    }


def with_planes_of(revealed: torch.Tensor, secrets: torch.Tensor, luma: bool) -> torch.Tensor:
    """``revealed`` with its luma (Y) or its chroma (Cb, Cr) taken from the true secrets.

    Which swap gains more tells whether a reveal loses the secrets' structure or their colours.
    """
    mine, true = (rgb_to_ycbcr(as_images(x)) for x in (revealed, secrets))
    planes = torch.cat([true[:, :1], mine[:, 1:]] if luma else [mine[:, :1], true[:, 1:]], dim=1)
    return ycbcr_to_rgb(planes).clamp(0, 1).reshape(secrets.shape)


def block_means(x: torch.Tensor, k: int) -> torch.Tensor:
    """``x`` averaged over k x k blocks and resized back: what survives of it at 1/k of its resolution."""
    return F.interpolate(F.avg_pool2d(x, k, ceil_mode=True), size=x.shape[-2:], mode="bilinear", align_corners=False)


def secret_correlation(residual: torch.Tensor, secrets: torch.Tensor) -> float:
    """Mean correlation, per image and secret, of the residual with the secret (each without its mean colour).

    Near 1: the residual is a faint copy of the secret; near 0: a code that does not resemble it.
    """
    def centred(x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 3, *x.shape[-2:])
        return (x - x.mean((2, 3), keepdim=True)).flatten(1)

    n = secrets.shape[1] // 3
    r = centred(residual).repeat_interleave(n, dim=0)  # residual k against each secret of cover k
    return float(F.cosine_similarity(r, centred(secrets), dim=1).mean())


def flat_guess_psnr(secrets: torch.Tensor) -> float:
    """Mean PSNR of each validation secret against its own mean colour: the floor a reveal must clear."""
    images = (secrets.reshape(-1, 3, *secrets.shape[-2:]) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    return float(np.mean([image_psnr(flat_guess(image), image) for image in images]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the training photographs (the validation split is taken from them)")
    parser.add_argument("weights", type=Path, help="an exported robust-N file, or a run's checkpoint.safetensors")
    parser.add_argument("--config-from", type=Path, help="for a checkpoint: an exported file of the same architecture")
    parser.add_argument("--size", type=int, default=128, help="side of the validation centre crops")
    parser.add_argument("--diagnose", action="store_true", help="also: how well the decoupled residual matches the embedded one")
    args = parser.parse_args()
    is_checkpoint = args.weights.name == "checkpoint.safetensors"
    if is_checkpoint and args.config_from is None:
        parser.error("a checkpoint needs --config-from FILE (an exported file of the same architecture)")
    net, _ = load_weights_file(args.config_from if is_checkpoint else args.weights, expected_name=None)
    val = ImageBank(list_images(args.data, "val"), args.size)
    task = RobustTask(val, val, net.config, patch=args.size, batch=1, val_size=args.size)
    task.net.load_state_dict(checkpoint_model_state(args.weights, "net.") if is_checkpoint else net.state_dict())
    metrics = task.validate(torch.device("cpu"))
    metrics["flat_guess_psnr"] = flat_guess_psnr(task.val_secrets)
    if args.diagnose:
        metrics |= diagnose(task.net, task.val_covers, task.val_secrets)
    print(json.dumps({"weights": str(args.weights), **{k: v if v is None else round(v, 2) for k, v in metrics.items()}}))


if __name__ == "__main__":
    main()
