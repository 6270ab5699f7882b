"""Training task for the bit-payload models (``steg train bits``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from stegcli.nn import INNConfig, StegoINN
from stegcli.payload.mapping import BIT_HIGH, THRESHOLD
from stegcli.train.data import ImageBank
from stegcli.train.losses import psnr, quantize_ste


@dataclass
class BitsLossWeights:
    stego: float = 32.0  # L2(stego, cover)
    z: float = 1.0  # L2(z, 0): keeps the key from being a copy of the message
    reveal: float = 1.0  # L2(message', message), reverse fed the rounded stego and z = 0
    cover: float = 1.0  # L2(cover', cover)


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


class BitsTask:
    def __init__(self, train: ImageBank, val: ImageBank, bpp: int, inn: INNConfig, patch: int = 64,
                 batch: int = 16, weights: BitsLossWeights | None = None, val_size: int = 128) -> None:
        self.train_bank, self.bpp, self.patch, self.batch = train, bpp, patch, batch
        self.weights = weights or BitsLossWeights()
        self.model = StegoINN(inn)
        rng = np.random.default_rng(1234)
        self.val_covers = val.center_crops(val_size)
        self.val_messages = random_messages(rng, len(self.val_covers), 3 * bpp, val_size)

    def sample_batch(self, rng: np.random.Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        covers = self.train_bank.random_crops(rng, self.batch, self.patch)
        messages = random_messages(rng, self.batch, 3 * self.bpp, self.patch)
        return covers.to(device), messages.to(device)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        cover, message = batch
        w = self.weights
        stego, z = self.model(cover, message)
        stego_q = quantize_ste(stego)
        cover_r, message_r = self.model.reverse(stego_q, self.model.constant_z(stego))
        loss = (w.stego * F.mse_loss(stego, cover) + w.z * F.mse_loss(z, torch.zeros_like(z))
                + w.reveal * F.mse_loss(message_r, message)
                + w.cover * F.mse_loss(cover_r, cover))
        with torch.no_grad():
            acc = ((message_r > THRESHOLD) == (message > THRESHOLD)).float().mean().item()
        return loss, {"stego_psnr": psnr(stego.detach().clamp(0, 1), cover), "bit_acc": acc}

    @torch.no_grad()
    def validate(self, device: torch.device) -> dict[str, float]:
        self.model.eval()
        stats = {"stego_psnr": [], "keyless_bit_acc": [], "keyed_bit_acc": []}
        for i in range(0, len(self.val_covers), 8):
            cover, message = self.val_covers[i : i + 8].to(device), self.val_messages[i : i + 8].to(device)
            stego, z = self.model(cover, message)
            stego_q = (stego.clamp(0, 1) * 255).round() / 255
            truth = message > THRESHOLD
            _, keyless = self.model.reverse(stego_q, self.model.constant_z(stego))
            _, keyed = self.model.reverse(stego_q, z)
            stats["stego_psnr"].append(psnr(stego_q, cover))
            stats["keyless_bit_acc"].append(((keyless > THRESHOLD) == truth).float().mean().item())
            stats["keyed_bit_acc"].append(((keyed > THRESHOLD) == truth).float().mean().item())
        return {k: float(np.mean(v)) for k, v in stats.items()}

    def recipe(self) -> dict:
        return {"task": "bits", "bpp": self.bpp, "patch": self.patch, "batch": self.batch,
                "loss_weights": asdict(self.weights)}
