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
import torch.nn.functional as F
from torch import nn

from stegcli.nn.config import ArchConfig
from stegcli.nn.filters import blur, gaussian_radius
from stegcli.nn.unet import BranchedUNet, pad_to, unet_radius, unet_stride


@dataclass(frozen=True)
class RobustConfig(ArchConfig):
    secrets: int
    width: int = 32
    levels: int = 4
    amplify: float = 10.0  # the decoupling target is the residual times this
    fold: int = 1  # each U-Net sees fold x fold pixel blocks as channels (space-to-depth); 1: plain pixels
    residual_blur: float = 0.0  # Gaussian sigma (pixels) of a fixed low-pass on the embedded residual; 0: none

    @property
    def secret_channels(self) -> int:
        return 3 * self.secrets

    @property
    def stride(self) -> int:
        """Image sides are padded to a multiple of this."""
        return unet_stride(self.levels) * self.fold

    @property
    def receptive_radius(self) -> int:
        """A bound on how far (pixels) one U-Net sees: 3x3 convs, pooling and upsampling at every level,
        each of its pixels a fold x fold block.

        Decoupling then revealing chains two U-Nets, so reveal sees twice as far; the residual's
        low-pass, if any, widens what hiding sees by its kernel's radius.
        """
        smoothing = gaussian_radius(self.residual_blur) if self.residual_blur else 0
        return unet_radius(self.levels) * self.fold + smoothing

    @property
    def reveal_radius(self) -> int:
        """How far (pixels) hiding or revealing sees: revealing chains two U-Nets."""
        return 2 * self.receptive_radius


class RobustNet(nn.Module):
    def __init__(self, config: RobustConfig) -> None:
        super().__init__()
        self.config = config
        w, lv, f2 = config.width, config.levels, config.fold**2
        self.embed = BranchedUNet(1 + config.secrets, 3 * f2, 3 * f2, w, lv)
        self.decouple = BranchedUNet(1, 3 * f2, 6 * f2, w, lv)
        self.reveal_net = BranchedUNet(2, 3 * f2, config.secret_channels * f2, w, lv)
        nn.init.zeros_(self.embed.out.weight)  # start from stego == cover
        nn.init.zeros_(self.embed.out.bias)

    def grow_from(self, source: "RobustNet") -> None:
        """Start from a trained model with fewer secrets (``steg train robust -n 2 --init robust-1...``).

        The grown model hides and reveals the source's secrets exactly as the source did; the new
        secrets start from the source's code for its last secret and must be learnt. Started from
        scratch, the 2- and 3-secret models learnt at most one of their secrets (docs/robust-training.md).
        """
        mine, theirs = self.config, source.config
        shape = ("width", "levels", "amplify", "fold", "residual_blur")
        if any(getattr(mine, k) != getattr(theirs, k) for k in shape) or theirs.secrets > mine.secrets:
            raise ValueError(f"cannot grow {mine} from {theirs}: {', '.join(shape)} must match "
                             "and the source must hide fewer secrets")
        self.embed.grow_from(source.embed)
        self.decouple.load_state_dict(source.decouple.state_dict())
        self.reveal_net.grow_from(source.reveal_net)

    def _run_unet(self, unet: BranchedUNet, x: torch.Tensor) -> torch.Tensor:
        """Run one U-Net on images of any size: pad, fold pixel blocks into channels, unfold, crop.

        Folding keeps every input image's channels together, so each still gets its own encoder.
        """
        x, (h, w) = pad_to(x, self.config.stride)
        f = self.config.fold
        return F.pixel_shuffle(unet(F.pixel_unshuffle(x, f)), f)[..., :h, :w]

    def hide(self, cover: torch.Tensor, secrets: torch.Tensor) -> torch.Tensor:
        """Stego (B, 3, H, W) before rounding: cover plus the embedded residual. Any size.

        ``residual_blur`` keeps the residual below the frequencies that downscaling and blur remove,
        whatever the U-Net would write (folded U-Nets learn pixel-grid codes that resampling breaks).
        """
        residual = self._run_unet(self.embed, torch.cat([cover, secrets], dim=1))
        return cover + (blur(residual, self.config.residual_blur) if self.config.residual_blur else residual)

    def decouple_residual(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(amplified residual, cover) estimated from a possibly attacked stego."""
        out = self._run_unet(self.decouple, image)
        return out[:, :3], out[:, 3:]

    def amplified_residual(self, stego: torch.Tensor, cover: torch.Tensor) -> torch.Tensor:
        """What the decoupling network is trained to recover from ``stego``: its residual times ``amplify``."""
        return (stego - cover) * self.config.amplify

    def secrets_from(self, residual: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """The secrets read from an (estimated) amplified residual and the image it came from."""
        return self._run_unet(self.reveal_net, torch.cat([residual, image], dim=1))

    def reveal(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(secrets, amplified residual, cover) recovered from a possibly attacked stego."""
        residual, cover = self.decouple_residual(image)
        return self.secrets_from(residual, image), residual, cover
