"""The training task of the robust models (``steg train robust``).

One step: embed the secrets in the cover, attack the stego (a different attack
per image, :mod:`stegcli.train.attack_layer`), decouple the residual and the
cover from the attacked image and reveal the secrets from them. Losses, as in
the robust-hiding seed::

    w_stego * L2(stego, cover) + cover * L1(cover', cover) + residual * L1(residual', A * residual)
    + reveal * L1(secrets', secrets) + adversarial * LSGAN(stego, revealed)

Two PatchGAN critics (stego vs cover, revealed vs secret images) train in the
same backward pass: the generators see the critics' weights detached, the
critics see the generated images detached, so one optimizer serves both.
``w_stego`` is steered towards a stego PSNR target (a running log-weight), so a
run ends near the invisibility users are promised whatever the other weights are.

A warm-up (a curriculum, as robust watermarking networks are usually trained)
first teaches plain hiding and revealing at a looser stego target, then blends
in the attacks and tightens the target over ``warmup_steps``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from stegcli.evaluate import EVAL_ATTACKS
from stegcli.nn.robust import RobustConfig, RobustNet
from stegcli.nn.unet import PatchDiscriminator
from stegcli.tensors import from_tensor, to_tensor
from stegcli.train.attack_layer import AttackLayer, AttackRanges
from stegcli.train.data import ImageBank
from stegcli.train.losses import batched_means, psnr, quantize_ste


@dataclass
class RobustWeights:
    stego: float = 30.0  # initial weight of L2(stego, cover); steered when stego_psnr_target > 0
    stego_psnr_target: float = 35.5  # dB after 8-bit rounding; 0 keeps the weight fixed
    cover: float = 1.0
    residual: float = 1.0
    reveal: float = 2.0
    adversarial: float = 0.01
    warmup_steps: int = 2000  # ramp from clean hiding at a looser stego target to the full attack mix
    warmup_slack_db: float = 10.0  # how much looser the stego target starts


class RobustTrainingModel(nn.Module):
    """The network users get plus what only training needs (critics, the stego weight), checkpointed together."""

    def __init__(self, config: RobustConfig, stego_weight: float) -> None:
        super().__init__()
        self.net = RobustNet(config)
        self.critic_stego = PatchDiscriminator(3)
        self.critic_secret = PatchDiscriminator(3)
        self.register_buffer("log_stego_weight", torch.tensor(math.log(stego_weight)))
        self.register_buffer("steps_seen", torch.tensor(0, dtype=torch.long))  # drives the warm-up, survives resumes


def lsgan_generator(critic: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    """The generator's LSGAN term with the critic's weights held fixed."""
    params = {k: v.detach() for k, v in critic.named_parameters()}
    return torch.mean((functional_call(critic, params, (fake,)) - 1) ** 2)


def lsgan_critic(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * (torch.mean((critic(real) - 1) ** 2) + torch.mean(critic(fake.detach()) ** 2))


STEER_RATE = 0.005  # log-weight change per dB of stego PSNR error per step


@torch.no_grad()
def steer_stego_weight(log_weight: torch.Tensor, target_db: float, stego_psnr: float) -> None:
    """Move a running log stego weight towards the weight that holds the stego PSNR at ``target_db``.

    A fixed weight ends wherever the other terms push; steering ends near the invisibility users are promised.
    """
    step = STEER_RATE * (target_db - min(stego_psnr, 60.0))  # inf: stego == cover
    log_weight.add_(step).clamp_(math.log(0.01), math.log(1e4))


def validation_secrets(covers: torch.Tensor, secrets: int) -> torch.Tensor:
    """(B, 3n, H, W): secret i of cover k is validation photograph k + 1 + i, never the cover's own."""
    return torch.cat([covers.roll(-(1 + i), 0) for i in range(secrets)], dim=1)


@torch.no_grad()
def received_stego(net: RobustNet, covers: torch.Tensor, secrets: torch.Tensor, attack: str = "none") -> torch.Tensor:
    """What a receiver gets: the stego as a PNG stores it, then through one attack of ``steg eval`` by name."""
    stego = quantize_ste(net.hide(covers, secrets))
    return stego if attack == "none" else eval_attacked(stego, attack)


def eval_attacked(images: torch.Tensor, attack: str) -> torch.Tensor:
    """``images`` through one attack of ``steg eval`` (real codecs and resampling, back at their size)."""
    return torch.cat([to_tensor(EVAL_ATTACKS[attack](from_tensor(x[None]), 0), images.device) for x in images])


def attacked_reveal_psnrs(reveal: Callable[[torch.Tensor], torch.Tensor], stego: torch.Tensor, secrets: torch.Tensor,
                          attacks: Iterable[str]) -> dict[str, float]:
    """``revealed_<attack>_psnr`` for each named ``steg eval`` attack on the PNG stego: one naming for every validation."""
    return {f"revealed_{attack}_psnr": psnr(reveal(eval_attacked(stego, attack)).clamp(0, 1), secrets) for attack in attacks}


def as_images(x: torch.Tensor) -> torch.Tensor:
    """(B, 3n, H, W) -> (B*n, 3, H, W)."""
    return x.reshape(-1, 3, *x.shape[-2:])


class RobustTask:
    VALIDATION_ATTACKS = ("jpeg75", "scale0.5")  # ``steg eval`` attacks the validation also reveals through

    def __init__(self, train: ImageBank, val: ImageBank, config: RobustConfig, patch: int = 128, batch: int = 16,
                 weights: RobustWeights | None = None, val_size: int = 128, ranges: AttackRanges | None = None,
                 freeze_embedder: bool = False) -> None:
        self.train_bank, self.config, self.patch, self.batch = train, config, patch, batch
        self.weights = weights or RobustWeights()
        self.model = RobustTrainingModel(config, self.weights.stego)
        self.freeze_embedder = freeze_embedder
        if freeze_embedder:  # train the receiving side on a fixed hiding code (--init a trained model)
            self.model.net.embed.requires_grad_(False)
        self.attacks = AttackLayer(ranges)
        covers = val.center_crops(val_size)
        self.val_covers = covers
        self.val_secrets = validation_secrets(covers, config.secrets)

    @property
    def net(self) -> RobustNet:
        return self.model.net

    def sample_batch(self, rng: np.random.Generator, device: torch.device):
        covers = self.train_bank.random_crops(rng, self.batch, self.patch)
        secrets = self.train_bank.random_crops(rng, self.batch * self.config.secrets, self.patch)
        secrets = secrets.reshape(self.batch, self.config.secret_channels, self.patch, self.patch)
        return covers.to(device), secrets.to(device), int(rng.integers(2**31))

    def loss(self, batch) -> tuple[torch.Tensor, dict[str, float]]:
        cover, secrets, seed = batch
        w, m = self.weights, self.model
        rng = np.random.default_rng(seed)
        ramp = min(1.0, float(m.steps_seen) / w.warmup_steps) if w.warmup_steps else 1.0
        kinds = [k if rng.random() < ramp else "none" for k in self.attacks.draw(rng, cover.shape[0])]
        stego = m.net.hide(cover, secrets)
        stego_q = quantize_ste(stego)
        attacked, _ = self.attacks(stego, rng, kinds)
        revealed, residual, cover_r = m.net.reveal(attacked)
        target = m.net.amplified_residual(stego_q, cover).detach()
        stego_weight = m.log_stego_weight.exp()
        loss = (stego_weight * F.mse_loss(stego, cover) + w.cover * F.l1_loss(cover_r, cover)
                + w.residual * F.l1_loss(residual, target) + w.reveal * F.l1_loss(revealed, secrets))
        if w.adversarial:
            fake_secrets = as_images(revealed)
            loss = loss + w.adversarial * (lsgan_generator(m.critic_stego, stego_q) + lsgan_generator(m.critic_secret, fake_secrets))
            loss = loss + lsgan_critic(m.critic_stego, cover, stego_q) + lsgan_critic(m.critic_secret, as_images(secrets), fake_secrets)
        stego_psnr = psnr(stego_q.detach(), cover)
        if w.stego_psnr_target > 0:
            steer_stego_weight(m.log_stego_weight, w.stego_psnr_target - (1 - ramp) * w.warmup_slack_db, stego_psnr)
        m.steps_seen += 1
        metrics = {"stego_psnr": stego_psnr, "secret_psnr": psnr(revealed.detach().clamp(0, 1), secrets),
                   "stego_weight": float(stego_weight)}
        return loss, metrics

    @torch.no_grad()
    def validate(self, device: torch.device) -> dict[str, float]:
        """Stego PSNR after rounding; revealed PSNR from the PNG stego (also per secret), from a real JPEG Q75 of
        it and from it downscaled to half and back (a code that only JPEG does not break can still be
        one that any resampling does: docs/robust-training.md, seventh session)."""
        self.model.eval()

        def row(part: slice) -> dict[str, float]:
            cover, secrets = self.val_covers[part].to(device), self.val_secrets[part].to(device)
            stego = received_stego(self.net, cover, secrets)
            revealed = self.net.reveal(stego)[0].clamp(0, 1)
            metrics = {"stego_psnr": psnr(stego, cover), "revealed_psnr": psnr(revealed, secrets)}
            metrics.update(attacked_reveal_psnrs(lambda x: self.net.reveal(x)[0], stego, secrets, self.VALIDATION_ATTACKS))
            if self.config.secrets > 1:  # a secret the model has not learnt hides in the mean
                for i, (r, t) in enumerate(zip(revealed.split(3, 1), secrets.split(3, 1)), start=1):
                    metrics[f"revealed_psnr_secret{i}"] = psnr(r, t)
            return metrics

        return batched_means(len(self.val_covers), row)

    def recipe(self) -> dict:
        return {"payload": "images", "secrets": self.config.secrets, "patch": self.patch, "batch": self.batch,
                "freeze_embedder": self.freeze_embedder,
                "loss_weights": asdict(self.weights), "attacks": asdict(self.attacks.r),
                "final_stego_weight": round(float(self.model.log_stego_weight.exp()), 3)}
