"""Robust images in images: the public API behind ``steg hide --robust`` / ``steg reveal --robust``.

Robust models (the U-Net pipeline :class:`~stegcli.nn.robust.RobustNet` or the
invertible :class:`~stegcli.nn.robust_inn.RobustINN`, revealed keylessly) have no
key: the stego carries everything, and it may be saved as JPEG, rescaled,
blurred, noised or cropped on the way; reveal recovers approximate secrets from
whatever arrives. Large images run in tiles with a halo wider
than the networks see, so memory follows the tile, not the image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from stegcli.attacks import resize
from stegcli.engine import check_min_side
from stegcli.errors import UsageError
from stegcli.images import fit_to
from stegcli.metrics import psnr
from stegcli.nn import RobustINN, RobustNet
from stegcli.tensors import from_tensor, round_up, to_tensor
from stegcli.tiling import run_tiled
from stegcli.zoo import get_spec, load_model

MAX_ROBUST_SECRETS = 3
PHASES = ((0, 0), (1, 0), (0, 1), (1, 1))  # (rows, columns) dropped before reading
TILE = 1024


def robust_model_for(count: int) -> str:
    """``robust-N`` for N secrets."""
    if not 1 <= count <= MAX_ROBUST_SECRETS:
        raise UsageError(f"{count} secrets: robust models hide 1 to {MAX_ROBUST_SECRETS} images")
    return f"robust-{count}"


class RobustCodec:
    """A loaded robust model hiding exactly ``secrets`` images per cover."""

    def __init__(self, model: RobustNet | RobustINN, name: str, device: torch.device | str = "cpu", tile: int = TILE) -> None:
        self.model, self.name, self.device = model.eval(), name, torch.device(device)
        self.secrets = model.config.secrets
        stride = model.config.stride
        self.tile = tile - tile % stride
        self.halo = round_up(model.config.reveal_radius, stride)

    @classmethod
    def from_name(cls, name: str, device: torch.device | str = "cpu") -> "RobustCodec":
        model, _ = load_model(get_spec(name, "robust").name, device, kind="robust")
        return cls(model, name, device)

    def check_count(self, count: int, what: str) -> None:
        if count != self.secrets:
            raise UsageError(f"{what} does not match {self.name}, which hides {self.secrets} image(s)")

    @torch.no_grad()
    def hide(self, cover: np.ndarray, secrets: list[np.ndarray]) -> np.ndarray:
        """The 8-bit stego image (same size as the cover); secrets are resized to the cover."""
        self.check_count(len(secrets), f"{len(secrets)} secret image(s)")
        check_min_side(cover, "cover")
        height, width = cover.shape[:2]
        secret_t = torch.cat([to_tensor(fit_to(s, height, width, f"secret {i + 1}"), self.device)
                              for i, s in enumerate(secrets)], dim=1)
        cover_t = to_tensor(cover, self.device)
        (stego,) = run_tiled(lambda c, s: (self.model.hide(c, s),), [cover_t, secret_t], (1, 1), (1,),
                             self.tile, self.halo)
        return from_tensor(stego)

    @torch.no_grad()
    def reveal(self, stego: np.ndarray, count: int | None = None, size: tuple[int, int] | None = None,
               phase: tuple[int, int] = (0, 0)) -> list[np.ndarray]:
        """The hidden images, at the size of the image given, or at ``size``.

        ``size`` is the stego's (height, width) as it was made: an image rescaled (or cropped and
        rescaled) on the way is resized back to it first (bicubic, as ``steg eval`` does), since
        the code is read pixel by pixel and training only saw images brought back to their size.
        ``phase`` drops that many first rows and columns (0 or 1 each) before reading: the code
        comes in 2-pixel steps, so a stego cropped at an odd offset is read out of step without
        it (:meth:`guess_phase` finds it).
        """
        count = self.secrets if count is None else count
        self.check_count(count, f"{count} image(s)")
        secrets, _ = self._read(self._received(stego, size, phase))
        return [from_tensor(chunk) for chunk in torch.split(secrets, 3, dim=1)]

    def phase_scores(self, stego: np.ndarray, size: tuple[int, int] | None = None) -> dict[tuple[int, int], float]:
        """For each phase, how close (PSNR, dB) the cover the model reads back is to the image read:
        in step, the reverse splits the image into a cover and a code; out of step, its cover keeps
        part of the code. ``benchmarks/robust_crop_phase.py`` measures how often the best is right."""
        if size is not None:
            stego = resize(stego, *size)  # once, not once a phase
        scores = {}
        for phase in PHASES:
            image = self._received(stego, None, phase)
            scores[phase] = psnr(from_tensor(self._read(image)[1]), image)
        return scores

    def guess_phase(self, stego: np.ndarray, size: tuple[int, int] | None = None) -> tuple[tuple[int, int], float]:
        """The phase of best :meth:`phase_scores`, and by how many dB it beats the next one."""
        scores = self.phase_scores(stego, size)
        best, second = sorted(scores, key=scores.__getitem__, reverse=True)[:2]
        return best, scores[best] - scores[second]

    @staticmethod
    def _received(stego: np.ndarray, size: tuple[int, int] | None, phase: tuple[int, int]) -> np.ndarray:
        """The image as it is read: resized back to ``size``, then ``phase`` rows and columns dropped."""
        if phase not in PHASES:
            raise UsageError(f"phase {phase}: rows and columns to drop must be 0 or 1")
        if size is not None:
            stego = resize(stego, *size)
        stego = stego[phase[0]:, phase[1]:]
        check_min_side(stego, "stego")
        return stego

    @torch.no_grad()
    def _read(self, image: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(secrets, cover) that the model reads from ``image``, in tiles."""
        def secrets_and_cover(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.model.reveal(x)  # the U-Net pipeline also gives its residual between them
            return out[0], out[-1]

        secrets, cover = run_tiled(secrets_and_cover, [to_tensor(image, self.device)], (1,), (1, 1), self.tile, self.halo)
        return secrets, cover


DEFAULT_JPEG_QUALITY = 90


def stego_is_jpeg(dest: str, quality: int | None = None) -> bool:
    """Whether a robust stego for ``dest`` is written as JPEG; refuses a quality that does not apply."""
    from stegcli.attacks import JPEG_SUFFIXES
    from stegcli.imageio import lossless_format

    if Path(dest).suffix.lower() in JPEG_SUFFIXES:
        if quality is not None and not 1 <= quality <= 95:
            raise UsageError(f"--quality {quality}: JPEG quality must be 1 to 95")
        return True
    if quality is not None:
        raise UsageError(f"--quality applies to JPEG outputs; {dest} is written losslessly")
    lossless_format(dest)  # refuses other lossy and unknown formats
    return False


def encode_stego(stego: np.ndarray, dest: str, quality: int | None = None) -> bytes:
    """Encode a robust stego for ``dest``: JPEG (at ``quality``, default 90) for .jpg names, else losslessly."""
    from stegcli.attacks import jpeg_bytes
    from stegcli.imageio import encode_image

    if stego_is_jpeg(dest, quality):
        return jpeg_bytes(stego, DEFAULT_JPEG_QUALITY if quality is None else quality)
    return encode_image(stego, dest)
