"""The training task shared by every INN hiding model (``steg train bits|isn``).

One loss for all payloads, as in the ISN/HiNet papers::

    stego * L2(stego, cover) + low * L2(LL(stego), LL(cover)) + z * L2(z, 0)
    + reveal * payload_loss(secret', secret) + cover * L2(cover', cover)

where ``(cover', secret') = reverse(round8(stego), 0)``: the reverse pass sees
the stego as a PNG stores it (straight-through rounding) and the constant z,
so keyless reveal is what gets trained. A *payload* says what the secret is
(framed bits, images), how to draw it and how to score it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.nn import MosaicINN, StegoINN
from stegcli.nn.wavelet import haar_dwt
from stegcli.payload.mapping import BIT_HIGH, THRESHOLD, bit_margins
from stegcli.train.data import ImageBank
from stegcli.train.losses import batched_means, psnr, quantize_ste


@dataclass
class LossWeights:
    stego: float = 32.0  # L2(stego, cover)
    low: float = 0.0  # L2 of the low-frequency (LL) wavelet band of stego vs cover
    z: float = 1.0  # L2(z, 0): keeps the key from being a copy of the secret
    reveal: float = 1.0  # payload loss of the keyless reveal
    cover: float = 1.0  # L2(cover', cover)


class Payload(Protocol):
    channels: int

    def sample(self, rng: np.random.Generator, count: int, size: int) -> torch.Tensor: ...

    def loss(self, revealed: torch.Tensor, truth: torch.Tensor) -> torch.Tensor: ...

    def score(self, revealed: torch.Tensor, truth: torch.Tensor) -> dict[str, float]: ...

    def recipe(self) -> dict: ...

    def exported(self) -> tuple[str, str, dict]: ...


def random_messages(rng: np.random.Generator, count: int, planes: int, size: int) -> torch.Tensor:
    """Message signals like real framed payloads: ones in the minority, zero padding at the end."""
    out = np.zeros((count, size, size, planes), dtype=np.float32)
    n = size * size * planes
    for i in range(count):
        density = rng.uniform(0.3, 0.5)  # text and compressed data sit at 0.4 to 0.5
        fill = n if rng.random() < 0.75 else int(n * rng.uniform(0.05, 1.0))
        flat = (rng.random(n) < density).astype(np.float32)
        flat[fill:] = 0
        out[i] = flat.reshape(size, size, planes)
    return torch.from_numpy(out * BIT_HIGH).permute(0, 3, 1, 2).contiguous()


def scattered_messages(rng: np.random.Generator, count: int, planes: int, size: int) -> torch.Tensor:
    """Message signals like keyless payloads (:mod:`stegcli.payload.container`): coded bits, half of them ones,
    at a random share of positions scattered over the image by the layout, zeros elsewhere."""
    shape = (count, planes, size, size)
    fill = torch.from_numpy(rng.uniform(0.1, 1.0, (count, 1, 1, 1)).astype(np.float32))
    used = torch.from_numpy(rng.random(shape, dtype=np.float32)) < fill
    ones = torch.from_numpy(rng.random(shape, dtype=np.float32)) < 0.5
    return (used & ones).float() * BIT_HIGH


def margin_loss(revealed: torch.Tensor, truth: torch.Tensor, margin: float = 0.6) -> torch.Tensor:
    """Squared hinge on each bit's distance past the threshold (1 at its ideal value): every bit is pushed to
    ``margin`` of the way to its value and no further, so the network spends its capacity on the bits that a
    threshold would read wrong, which is all that exact keyless extraction needs."""
    sign = (truth > THRESHOLD).float() * 2 - 1
    return F.relu(margin - sign * bit_margins(revealed)).pow(2).mean()


BITS_LOSSES = ("mse", "margin")


class BitsPayload:
    """Framed bits mapped to {0, 0.5}, ``bpp`` planes of 3 channels.

    ``loss="mse"`` (the shipped bits-N recipe): MSE to the {0, 0.5} signal on framed, dense messages;
    ``"margin"``: :func:`margin_loss` on :func:`scattered_messages`, the keyless payloads' layout.
    """

    def __init__(self, bpp: int, loss: str = "mse") -> None:
        if loss not in BITS_LOSSES:
            raise ValueError(f"bits loss must be one of {BITS_LOSSES}, not {loss!r}")
        self.bpp, self.channels, self.loss_kind = bpp, 3 * bpp, loss

    def sample(self, rng: np.random.Generator, count: int, size: int) -> torch.Tensor:
        if self.loss_kind == "margin":
            return scattered_messages(rng, count, self.channels, size)
        return random_messages(rng, count, self.channels, size)

    def loss(self, revealed: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        if self.loss_kind == "margin":
            return margin_loss(revealed, truth)
        return F.mse_loss(revealed, truth)

    def score(self, revealed: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
        return {"bit_acc": ((revealed > THRESHOLD) == (truth > THRESHOLD)).float().mean().item()}

    def recipe(self) -> dict:
        return {"payload": "bits", "bpp": self.bpp, "bits_loss": self.loss_kind}

    def exported(self) -> tuple[str, str, dict]:
        """(model name, family, config fields) of the weights file it trains."""
        return f"bits-{self.bpp}", "bits", {"bpp": self.bpp}


class ImagesPayload:
    """``count`` secret images drawn independently of the cover."""

    def __init__(self, count: int, bank: ImageBank) -> None:
        self.count, self.bank, self.channels = count, bank, 3 * count

    def sample(self, rng: np.random.Generator, count: int, size: int) -> torch.Tensor:
        crops = self.bank.random_crops(rng, count * self.count, size)
        return crops.reshape(count, self.channels, size, size)

    def loss(self, revealed: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(revealed, truth)

    def score(self, revealed: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
        return {"secret_psnr": psnr(revealed.clamp(0, 1), truth)}

    def recipe(self) -> dict:
        return {"payload": "images", "secrets": self.count}

    def exported(self) -> tuple[str, str, dict]:
        """(model name, family, config fields) of the weights file it trains."""
        return f"isn-{self.count}", "isn", {"secrets": self.count}


@dataclass
class HidingPass:
    loss: torch.Tensor  # every term but the payload's
    stego: torch.Tensor  # before rounding
    revealed: torch.Tensor  # keyless reverse of the 8-bit stego


class HidingTask:
    def __init__(self, train: ImageBank, val: ImageBank, model: StegoINN | MosaicINN, payload: Payload,
                 patch: int = 64, batch: int = 16, weights: LossWeights | None = None, val_size: int = 128) -> None:
        if model.config.secret_channels != payload.channels:
            raise ValueError(f"model has {model.config.secret_channels} secret channels, payload needs {payload.channels}")
        self.train_bank, self.payload, self.patch, self.batch = train, payload, patch, batch
        self.weights = weights or LossWeights()
        self.model = model
        rng = np.random.default_rng(1234)
        self.val_covers = val.center_crops(val_size)
        self.val_secrets = payload.sample(rng, len(self.val_covers), val_size)

    def sample_batch(self, rng: np.random.Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        covers = self.train_bank.random_crops(rng, self.batch, self.patch)
        secrets = self.payload.sample(rng, self.batch, self.patch)
        return covers.to(device), secrets.to(device)

    def hide_and_reveal(self, net: StegoINN, cover: torch.Tensor, secret: torch.Tensor) -> HidingPass:
        """Forward, then keyless reverse of the 8-bit stego, with every loss term but the payload's."""
        w = self.weights
        stego, z = net(cover, secret)
        cover_r, secret_r = net.reverse(quantize_ste(stego), net.constant_z(stego))
        loss = w.stego * F.mse_loss(stego, cover) + w.z * F.mse_loss(z, torch.zeros_like(z)) + w.cover * F.mse_loss(cover_r, cover)
        if w.low:
            low = cover.shape[1]
            loss = loss + w.low * F.mse_loss(haar_dwt(stego)[:, :low], haar_dwt(cover)[:, :low])
        return HidingPass(loss, stego, secret_r)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        cover, secret = batch
        run = self.hide_and_reveal(self.model, cover, secret)
        loss = run.loss + self.weights.reveal * self.payload.loss(run.revealed, secret)
        with torch.no_grad():
            metrics = {"stego_psnr": psnr(run.stego.detach().clamp(0, 1), cover), **self.payload.score(run.revealed, secret)}
        return loss, metrics

    @torch.no_grad()
    def validate(self, device: torch.device) -> dict[str, float]:
        """Stego PSNR after rounding, and the payload score keyless and with z alone (no rounding residual)."""
        self.model.eval()

        def row(part: slice) -> dict[str, float]:
            cover, secret = self.val_covers[part].to(device), self.val_secrets[part].to(device)
            stego, z = self.model(cover, secret)
            stego_q = (stego.clamp(0, 1) * 255).round() / 255
            _, keyless = self.model.reverse(stego_q, self.model.constant_z(stego))
            _, z_only = self.model.reverse(stego_q, z)
            out = {"stego_psnr": psnr(stego_q, cover)}
            out.update({f"keyless_{k}": v for k, v in self.payload.score(keyless, secret).items()})
            out.update({f"z_only_{k}": v for k, v in self.payload.score(z_only, secret).items()})
            return out

        return batched_means(len(self.val_covers), row)

    def recipe(self) -> dict:
        return {**self.payload.recipe(), "patch": self.patch, "batch": self.batch, "loss_weights": asdict(self.weights)}

    def exported(self) -> tuple[str, str, torch.nn.Module, dict]:
        """(name, family, network, config) of the weights file this task trains."""
        name, kind, fields = self.payload.exported()
        return name, kind, self.model, {"inn": self.model.config.to_dict(), **fields}
