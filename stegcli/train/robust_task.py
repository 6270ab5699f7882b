"""The training task of the robust models (``steg train robust``).

One step: the invertible network hides the secrets (z is dropped: there is no key), the stego goes
through the attack layer (a different attack per image, :mod:`stegcli.train.attack_layer`), and the
keyless reverse (constant z) reads the secrets back. Loss::

    w_stego * E(stego, cover) + z * L2(z, 0) + reveal * L1(secrets', secrets)

``E`` is the stego's squared error, its chroma optionally weighted above its luma
(:func:`stego_error`); ``w_stego`` is steered towards a stego PSNR target (a running log-weight,
:func:`steer_stego_weight`), so a run ends near the invisibility users are promised whatever the
other weights are. ``L2(z, 0)`` is what makes the constant z of the keyless reverse the right guess.
docs/models.md tells how the shipped files were trained with it (``benchmarks/robust_inn_curriculum.sh``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stegcli.errors import ModelError
from stegcli.eval.evaluate import EVAL_ATTACKS
from stegcli.io.tensors import from_tensor, to_tensor
from stegcli.nn import RobustINN, RobustINNConfig, StegoINN
from stegcli.nn.color import rgb_to_ycbcr
from stegcli.train.attack_layer import AttackLayer, AttackRanges
from stegcli.train.data import ImageBank
from stegcli.train.losses import batched_means, psnr, quantize_ste

VALIDATION_ATTACKS = ("jpeg75", "scale0.5", "blur1.0", "crop0.9")  # ``steg eval`` attacks the validation reveals through
STEER_RATE = 0.005  # log-weight change per dB of stego PSNR error per step


@dataclass
class RobustWeights:
    stego: float = 30.0  # initial weight of the stego error; steered when stego_psnr_target > 0
    stego_psnr_target: float = 34.0  # dB after 8-bit rounding; 0 keeps the weight fixed
    chroma: float = 1.0  # weight of the stego's chroma error against its luma error (1: plain RGB MSE)
    z: float = 1.0
    reveal: float = 1.0


def stego_error(stego: torch.Tensor, cover: torch.Tensor, chroma_weight: float = 1.0) -> torch.Tensor:
    """The stego's squared error, its chroma (JFIF Cb, Cr) weighted ``chroma_weight`` times its luma.

    JPEG quantises chroma far more coarsely than luma: a weight above 1 moves the code's energy into
    the luma at the same RGB PSNR.
    """
    if chroma_weight == 1.0:
        return F.mse_loss(stego, cover)
    diff = (rgb_to_ycbcr(stego) - rgb_to_ycbcr(cover)) / 255
    return (diff[:, 0].square().mean() + chroma_weight * diff[:, 1:].square().mean(1).mean()) / (1 + chroma_weight)


@torch.no_grad()
def steer_stego_weight(log_weight: torch.Tensor, target_db: float, stego_psnr: float) -> None:
    """Move a running log stego weight towards the weight that holds the stego PSNR at ``target_db``."""
    step = STEER_RATE * (target_db - min(stego_psnr, 60.0))  # inf: stego == cover
    log_weight.add_(step).clamp_(math.log(0.01), math.log(1e4))


def validation_secrets(covers: torch.Tensor, secrets: int) -> torch.Tensor:
    """(B, 3n, H, W): secret i of cover k is validation photograph k + 1 + i, never the cover's own."""
    return torch.cat([covers.roll(-(1 + i), 0) for i in range(secrets)], dim=1)


def eval_attacked(images: torch.Tensor, attack: str) -> torch.Tensor:
    """``images`` through one attack of ``steg eval`` (real codecs and resampling, back at their size)."""
    return torch.cat([to_tensor(EVAL_ATTACKS[attack](from_tensor(x[None]), 0), images.device) for x in images])


def attacked_reveal_psnrs(reveal: Callable[[torch.Tensor], torch.Tensor], stego: torch.Tensor, secrets: torch.Tensor,
                          attacks: Iterable[str]) -> dict[str, float]:
    """``revealed_<attack>_psnr`` for each named ``steg eval`` attack on the PNG stego."""
    return {f"revealed_{attack}_psnr": psnr(reveal(eval_attacked(stego, attack)).clamp(0, 1), secrets) for attack in attacks}


class RobustTrainingModel(nn.Module):
    """The network users get (``net``) and the stego weight's steering state, checkpointed together."""

    def __init__(self, config: RobustINNConfig, stego_weight: float = RobustWeights.stego) -> None:
        super().__init__()
        self.net = RobustINN(config)
        self.register_buffer("log_stego_weight", torch.tensor(math.log(stego_weight)))

    def read_attacked(self, image: torch.Tensor) -> torch.Tensor:
        """The secrets from an attacked stego, as the receiver reads them (keyless)."""
        return self.net.reverse(image)[1]


class RobustTask:
    def __init__(self, train: ImageBank, val: ImageBank, config: RobustINNConfig, patch: int = 128, batch: int = 8,
                 weights: RobustWeights | None = None, val_size: int = 128, ranges: AttackRanges | None = None,
                 model: RobustTrainingModel | None = None) -> None:
        self.train_bank, self.config, self.patch, self.batch = train, config, patch, batch
        self.weights = weights or RobustWeights()
        self.model = model or RobustTrainingModel(config, self.weights.stego)
        self.attacks = AttackLayer(ranges)
        self.val_covers = val.center_crops(val_size)
        self.val_secrets = validation_secrets(self.val_covers, config.secrets)

    @property
    def net(self) -> RobustINN:
        return self.model.net

    def sample_batch(self, rng: np.random.Generator, device: torch.device):
        covers = self.train_bank.random_crops(rng, self.batch, self.patch)
        secrets = torch.cat([self.train_bank.random_crops(rng, self.batch, self.patch)
                             for _ in range(self.config.secrets)], 1)
        return covers.to(device), secrets.to(device), int(rng.integers(2**31))

    def loss(self, batch) -> tuple[torch.Tensor, dict[str, float]]:
        cover, secrets, seed = batch
        m, w = self.model, self.weights
        stego, z = m.net(cover, secrets)
        attacked, _ = self.attacks(stego, np.random.default_rng(seed))
        revealed = m.read_attacked(attacked)
        stego_weight = m.log_stego_weight.exp()
        loss = (stego_weight * stego_error(stego, cover, w.chroma) + w.z * F.mse_loss(z, torch.zeros_like(z))
                + w.reveal * F.l1_loss(revealed, secrets))
        stego_psnr = psnr(quantize_ste(stego).detach(), cover)
        if w.stego_psnr_target > 0:
            steer_stego_weight(m.log_stego_weight, w.stego_psnr_target, stego_psnr)
        return loss, {"stego_psnr": stego_psnr, "secret_psnr": psnr(revealed.detach().clamp(0, 1), secrets),
                      "stego_weight": float(stego_weight)}

    @torch.no_grad()
    def validate(self, device: torch.device) -> dict[str, float]:
        """Stego PSNR after rounding; revealed PSNR from the PNG stego and after each of
        :data:`VALIDATION_ATTACKS` (the real ones of ``steg eval``)."""
        self.model.eval()

        def row(part: slice) -> dict[str, float]:
            cover, secrets = self.val_covers[part].to(device), self.val_secrets[part].to(device)
            stego = quantize_ste(self.net(cover, secrets)[0])
            read = self.model.read_attacked
            out = {"stego_psnr": psnr(stego, cover), "revealed_psnr": psnr(read(stego).clamp(0, 1), secrets)}
            return out | attacked_reveal_psnrs(read, stego, secrets, VALIDATION_ATTACKS)

        return batched_means(len(self.val_covers), row)

    def recipe(self) -> dict:
        return {"payload": "images", "secrets": self.config.secrets, "patch": self.patch, "batch": self.batch,
                "loss_weights": asdict(self.weights), "attacks": asdict(self.attacks.r),
                "final_stego_weight": round(float(self.model.log_stego_weight.exp()), 3)}

    def exported(self) -> tuple[str, str, nn.Module, dict]:
        """(name, family, network, config) of the weights file: the network users get, without the training extras."""
        secrets = self.config.secrets
        return f"robust-{secrets}", "robust", self.net, {"robust_inn": self.config.to_dict(), "secrets": secrets}


def load_inn_start(net: RobustINN, source: nn.Module, where: str = "the file") -> int:
    """Fill ``net`` from an ``isn-N`` (:class:`StegoINN`) or ``robust-N`` (:class:`RobustINN`) network.

    A deeper ``net`` keeps the file's blocks first and identity blocks after them (their zero
    output layers). Returns how many blocks start as the identity.
    """
    if not isinstance(source, (RobustINN, StegoINN)):
        raise ModelError(f"{where} is not an isn-N or robust-N network")
    if isinstance(source, RobustINN):
        source = source.inn
    if source.config.subnet != net.inn.config.subnet:  # same names, other shapes: say which
        raise ModelError(f"{where} has {source.config.subnet} subnets; this network's are {net.inn.config.subnet}")
    try:
        missing, unexpected = net.inn.load_state_dict(source.state_dict(), strict=False)
    except RuntimeError:  # a size mismatch: other widths or another number of secrets
        raise ModelError(f"{where} is not an invertible network of this width and secret count") from None
    if unexpected:
        raise ModelError(f"{where} has blocks this network lacks: {unexpected[:3]}")
    return len({key.split(".")[1] for key in missing})
