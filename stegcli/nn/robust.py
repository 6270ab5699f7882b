"""The robust hiding network (after "Hiding Images into Images with Real-world Robustness").

Three U-Nets, trained together against simulated attacks:

* ``embed``: cover and secrets (one encoder each) -> a residual added to the cover;
* ``decouple``: attacked stego -> the residual (amplified by ``amplify``) and the cover;
* ``reveal``: recovered residual and attacked stego (one encoder each) -> the secrets.

There is no key: everything the receiver needs is in the stego image, which may
be saved as JPEG, rescaled, blurred or cropped on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from stegcli.nn.config import ArchConfig
from stegcli.nn.unet import BranchedUNet, pad_to


@dataclass(frozen=True)
class RobustConfig(ArchConfig):
    secrets: int
    width: int = 32
    levels: int = 4
    amplify: float = 10.0  # the decoupling target is the residual times this

    @property
    def secret_channels(self) -> int:
        return 3 * self.secrets

    @property
    def stride(self) -> int:
        return 2 ** (self.levels - 1)

    @property
    def receptive_radius(self) -> int:
        """A bound on how far (pixels) one U-Net sees: 3x3 convs, pooling and upsampling at every level.

        Decoupling then revealing chains two U-Nets, so reveal sees twice as far.
        """
        return 6 * 2**self.levels


class RobustNet(nn.Module):
    def __init__(self, config: RobustConfig) -> None:
        super().__init__()
        self.config = config
        w, lv = config.width, config.levels
        self.embed = BranchedUNet(1 + config.secrets, 3, 3, w, lv)
        self.decouple = BranchedUNet(1, 3, 6, w, lv)
        self.reveal_net = BranchedUNet(2, 3, config.secret_channels, w, lv)
        nn.init.zeros_(self.embed.out.weight)  # start from stego == cover
        nn.init.zeros_(self.embed.out.bias)

    def grow_from(self, source: "RobustNet") -> None:
        """Start from a trained model with fewer secrets (``steg train robust -n 2 --init robust-1...``).

        The grown model hides and reveals the source's secrets exactly as the source did; the new
        secrets start from the source's code for its last secret and must be learnt. Started from
        scratch, the 2- and 3-secret models learnt at most one of their secrets (docs/robust-training.md).
        """
        mine, theirs = self.config, source.config
        if (mine.width, mine.levels, mine.amplify) != (theirs.width, theirs.levels, theirs.amplify) or theirs.secrets > mine.secrets:
            raise ValueError(f"cannot grow {mine} from {theirs}: widths, levels and amplification must match "
                             "and the source must hide fewer secrets")
        self.embed.grow_from(source.embed)
        self.decouple.load_state_dict(source.decouple.state_dict())
        self.reveal_net.grow_from(source.reveal_net)

    def hide(self, cover: torch.Tensor, secrets: torch.Tensor) -> torch.Tensor:
        """Stego (B, 3, H, W) before rounding: cover plus the embedded residual. Any size."""
        x, (h, w) = pad_to(torch.cat([cover, secrets], dim=1), self.config.stride)
        return cover + self.embed(x)[..., :h, :w]

    def decouple_residual(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(amplified residual, cover) estimated from a possibly attacked stego."""
        x, (h, w) = pad_to(image, self.config.stride)
        out = self.decouple(x)[..., :h, :w]
        return out[:, :3], out[:, 3:]

    def amplified_residual(self, stego: torch.Tensor, cover: torch.Tensor) -> torch.Tensor:
        """What the decoupling network is trained to recover from ``stego``: its residual times ``amplify``."""
        return (stego - cover) * self.config.amplify

    def secrets_from(self, residual: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """The secrets read from an (estimated) amplified residual and the image it came from."""
        x, (h, w) = pad_to(torch.cat([residual, image], dim=1), self.config.stride)
        return self.reveal_net(x)[..., :h, :w]

    def reveal(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(secrets, amplified residual, cover) recovered from a possibly attacked stego."""
        residual, cover = self.decouple_residual(image)
        return self.secrets_from(residual, image), residual, cover
