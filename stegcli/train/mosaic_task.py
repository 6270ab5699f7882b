"""Training the mosaic network (InvMIHNet): the hiding loss plus the rescaling terms of the seed.

Stage ``rescale`` trains the rescaling INN alone (shrink, round to 8 bits,
grow back with constant high bands); stage ``joint`` trains both halves through
the whole pipeline::

    hiding terms of HidingTask on (cover, mosaic)        stego, low band, z, cover'
    + z * L2(high bands, 0)                                reveal can use the constant
    + reveal * L1(secrets', secrets)                       keyless, from the 8-bit stego
    + tiles * L2(tiles, bicubic downscale of the secrets)  the seed's lambda2
    + mosaic * L2(mosaic', mosaic)                         the seed's lambda3
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from stegcli.errors import UsageError
from stegcli.nn import MosaicINN, splice, split
from stegcli.train.data import ImageBank
from stegcli.train.hiding_task import HidingTask, LossWeights, Payload
from stegcli.train.losses import psnr, quantize_ste

STAGES = ("rescale", "joint")


@dataclass
class MosaicWeights(LossWeights):
    tiles: float = 4.0  # L2 of each tile to the bicubic downscale of its secret
    mosaic: float = 5.0  # L2 of the revealed mosaic to the hidden one


def downscale(images: torch.Tensor, factor: int) -> torch.Tensor:
    """Antialiased bicubic downscale: what a tile should look like."""
    h, w = images.shape[-2:]
    return F.interpolate(images, size=(h // factor, w // factor), mode="bicubic", antialias=True, align_corners=False)


class MosaicTask(HidingTask):
    model: MosaicINN
    weights: MosaicWeights

    def __init__(self, train: ImageBank, val: ImageBank, model: MosaicINN, payload: Payload, patch: int = 96,
                 batch: int = 4, weights: MosaicWeights | None = None, val_size: int = 144, stage: str = "joint") -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        stride = model.config.stride
        if patch % stride or val_size % stride:
            raise UsageError(f"--patch {patch} (and the validation size {val_size}) must be multiples of {stride}, "
                             f"the stride of {model.config.grid}x{model.config.grid} mosaics")
        super().__init__(train, val, model, payload, patch, batch, weights or MosaicWeights(), val_size)
        self.stage = stage

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        cover, secret = batch
        w, grid = self.weights, self.model.config.grid
        tiles, high = self.model.shrink(secret)
        target = downscale(secret, grid)
        loss = w.tiles * F.mse_loss(tiles, target) + w.z * F.mse_loss(high, torch.zeros_like(high))
        if self.stage == "rescale":  # no hiding yet: reveal from the 8-bit tiles themselves
            revealed_tiles, metrics = quantize_ste(tiles), {}
        else:
            mosaic = splice(tiles, grid)
            run = self.hide_and_reveal(self.model.hide, cover, mosaic)
            loss = loss + run.loss + w.mosaic * F.mse_loss(run.revealed, mosaic)
            revealed_tiles, metrics = split(run.revealed, grid), {"stego_psnr": psnr(run.stego.detach().clamp(0, 1), cover)}
        revealed = self.model.grow(revealed_tiles, torch.zeros_like(high))
        loss = loss + w.reveal * self.payload.loss(revealed, secret)
        with torch.no_grad():
            metrics.update(tile_psnr=psnr(tiles.detach().clamp(0, 1), target.clamp(0, 1)), **self.payload.score(revealed, secret))
        return loss, metrics

    @torch.no_grad()
    def validate(self, device: torch.device) -> dict[str, float]:
        """Joint stage: the full pipeline (HidingTask); rescale stage: secrets grown back from 8-bit tiles."""
        if self.stage == "joint":
            return super().validate(device)
        self.model.eval()
        scores = []
        for i in range(0, len(self.val_secrets), 8):
            secret = self.val_secrets[i : i + 8].to(device)
            tiles, high = self.model.shrink(secret)
            grown = self.model.grow((tiles.clamp(0, 1) * 255).round() / 255, torch.zeros_like(high))
            scores.append(psnr(grown.clamp(0, 1), secret))
        return {"rescaled_secret_psnr": float(sum(scores) / len(scores))}

    def recipe(self) -> dict:
        return {**super().recipe(), "stage": self.stage}

    def exported(self) -> tuple[str, str, torch.nn.Module, dict]:
        secrets = self.model.config.secrets
        return f"mosaic-{secrets}", "mosaic", self.model, {"mosaic": self.model.config.to_dict(), "secrets": secrets}
