"""Robust images in images: the public API behind ``steg hide --robust`` / ``steg reveal --robust``.

Robust models (the invertible :class:`~stegcli.nn.robust_inn.RobustINN`, revealed
keylessly) have no key: the stego carries everything, and it may be saved as JPEG, rescaled,
blurred, noised or cropped on the way; reveal recovers approximate secrets from
whatever arrives. Large images run in tiles with a halo wider
than the networks see, so memory follows the tile, not the image.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from stegcli.codecs.base import Codec
from stegcli.codecs.engine import MIN_SIDE, TILE, HideResult, check_image
from stegcli.codecs.images import check_secret_list, secret_tensor
from stegcli.codecs.jpeg_grid import jpeg_grid
from stegcli.codecs.zoom import at_own_size, stego_sizes
from stegcli.errors import CapacityError, ModelError, UsageError
from stegcli.eval.attacks import resize
from stegcli.eval.metrics import psnr
from stegcli.io.tensors import from_tensor
from stegcli.models.registry import ModelSpec
from stegcli.nn import RobustINN

PHASES = ((0, 0), (1, 0), (0, 1), (1, 1))  # (rows, columns) dropped before reading
SIZE_CANDIDATES = 2  # zoomed sizes a size="auto" read tries besides the image's own
UNDONE_REDUCTIONS = (0.75, 0.5)  # reductions a size="auto" read tries undoing when the code's line is gone

log = logging.getLogger("stegcli")


def cover_fit(image: np.ndarray, secrets: torch.Tensor, cover: torch.Tensor) -> float:
    """PSNR (dB) of the cover read against the image read: in step, the reverse splits the image
    into a cover and a code; out of step, its cover keeps part of the code."""
    return psnr(from_tensor(cover), image)


def cover_smoothness(image: np.ndarray, secrets: torch.Tensor, cover: torch.Tensor) -> float:
    """Minus the cover read's mean step between neighbouring pixels: out of step, the code the
    reverse fails to split off stays in its cover as fine texture."""
    return -float((cover[..., 1:, :] - cover[..., :-1, :]).abs().mean() + (cover[..., 1:] - cover[..., :-1]).abs().mean())


def secret_range(image: np.ndarray, secrets: torch.Tensor, cover: torch.Tensor) -> float:
    """Minus how far the secrets read fall outside [0, 1]: out of step, some models misread the
    code into values no image has."""
    return -float((secrets - secrets.clamp(0, 1)).abs().mean())


PhaseReads = dict[tuple[int, int], tuple[torch.Tensor, dict[str, float]]]  # phase -> (secrets read, cues)
PROBE_TILE = 128  # side of the corner tiles that zoomed sizes are judged on


def corner_probe(image: np.ndarray, tile: int = PROBE_TILE) -> np.ndarray:
    """The image's four corner tiles as one 2x2 mosaic, or the image itself if that is not at
    least twice as large.

    Every tile starts at an even row and column, so the mosaic has the image's phase; and a read
    at a wrong zoom is furthest out of step at the corners. Four reads of the mosaic judge a size
    for a fraction of four reads of the whole image.
    """
    height, width = image.shape[:2]
    if height * width < 2 * (2 * tile) ** 2:
        return image
    bottom, right = (height - tile) // 2 * 2, (width - tile) // 2 * 2
    rows = [np.concatenate([image[y : y + tile, x : x + tile] for x in (0, right)], axis=1) for y in (0, bottom)]
    return np.concatenate(rows, axis=0)


# name -> (image read, secrets read, cover read) -> how likely the phase is in step. Which one
# picks the phase best depends on the model: it was measured on each model's validation crops and the
# winner is kept in the weights file's ``reading`` metadata. A file may also name several
# joined by "+" (:func:`cue_scores`), where no single one is reliable.
PHASE_CUES = {"cover_fit": cover_fit, "cover_smoothness": cover_smoothness, "secret_range": secret_range}
DEFAULT_PHASE_CUE = "cover_fit"  # for files without a measured one


def cue_parts(cue: str) -> list[str]:
    """The :data:`PHASE_CUES` a cue name joins with "+" (each once), or a one-line error."""
    parts = cue.split("+")
    if any(part not in PHASE_CUES for part in parts) or len(set(parts)) < len(parts):
        raise ValueError(f"unknown phase cue {cue!r} (known: {', '.join(PHASE_CUES)}, or several joined by '+')")
    return parts


def cue_scores(cues: dict[tuple[int, int], dict[str, float]], cue: str) -> dict[tuple[int, int], float]:
    """Each phase's score under ``cue`` (higher: more likely in step). Cues joined by "+" are each
    standardised over the phases and summed, so that none counts for more by its units: two cues
    that each pick wrongly now and then, on different images, outvote each other's slips."""
    parts = cue_parts(cue)
    if len(parts) == 1:
        return {phase: values[cue] for phase, values in cues.items()}
    total = dict.fromkeys(cues, 0.0)
    for part in parts:
        values = np.array([cues[phase][part] for phase in total])
        standardised = (values - values.mean()) / (values.std() or 1.0)
        for phase, value in zip(total, standardised, strict=True):
            total[phase] += float(value)
    return total


def cues_by_phase(reads: PhaseReads) -> dict[tuple[int, int], dict[str, float]]:
    """Every cue per phase, without the secrets read."""
    return {phase: cues for phase, (_, cues) in reads.items()}


def fit_contrast(reads: PhaseReads) -> float:
    """How far (dB) the best phase's cover fit stands above the mean of the other three: a few dB
    with the code intact, little once a JPEG or a zoom has smoothed it, and then no cue tells the
    phase reliably."""
    fits = [cues["cover_fit"] for _, cues in reads.values()]
    return max(fits) - (sum(fits) - max(fits)) / (len(fits) - 1)


def secret_images(secrets: torch.Tensor) -> list[np.ndarray]:
    """The 8-bit images of a read's stacked secrets (3 channels each)."""
    return [from_tensor(chunk) for chunk in torch.split(secrets, 3, dim=1)]


def candidate_sizes(stego: np.ndarray) -> list[tuple[int, int]]:
    """Sizes (height, width) besides its own that a ``size="auto"`` read judges an image at.

    None while the code's line is at 0.5 cycles a pixel (:func:`~stegcli.codecs.zoom.at_own_size`:
    the image was not rescaled, and a JPEG, which weakens the phase cues, cannot lure the read to a
    wrong zoom). Otherwise the sizes the line's new place proposes (a crop resized back, an
    enlargement), and the image enlarged to undo each of :data:`UNDONE_REDUCTIONS`: a reduction
    takes the line away, and a halved stego, say, reveals far more at about its size than as it
    is.
    """
    if at_own_size(stego):
        return []
    height, width = stego.shape[:2]
    sizes = stego_sizes(stego, SIZE_CANDIDATES) + [(round(height / f), round(width / f)) for f in UNDONE_REDUCTIONS]
    return [size for size in dict.fromkeys(sizes) if min(size) > MIN_SIDE and size != (height, width)]  # room for a phase


class RobustCodec(Codec):
    """A loaded robust model hiding exactly ``secrets`` images per cover; no key."""

    families = ("robust",)
    pad = True  # any size and any crop is read

    def __init__(self, model: RobustINN, spec: ModelSpec, device: torch.device | str = "cpu", tile: int = TILE,
                 phase_cue: str = DEFAULT_PHASE_CUE, phase_floor: float = 0.0) -> None:
        try:
            cue_parts(phase_cue)
        except ValueError as error:
            raise ModelError(f"{spec.name}: {error}") from None
        if not 0 <= phase_floor < 100:
            raise ModelError(f"{spec.name}: phase floor {phase_floor!r} is not a contrast in dB")
        super().__init__(model, spec, device, tile)
        self.phase_cue = phase_cue
        self.phase_floor = phase_floor  # below this fit_contrast, an image at its own size is read in phase (0, 0)

    @classmethod
    def reading_options(cls, spec: ModelSpec, reading: dict) -> dict:
        """The phase cue and floor measured for this file (defaults for files without them)."""
        try:
            floor = float(reading.get("phase_floor", 0.0))
        except (TypeError, ValueError):
            raise ModelError(f"{spec.name}: phase floor {reading['phase_floor']!r} is not a number") from None
        return {"phase_cue": reading.get("phase_cue", DEFAULT_PHASE_CUE), "phase_floor": floor}

    def hide(self, cover: np.ndarray, secrets: list[np.ndarray]) -> HideResult:
        """The 8-bit stego image (same size as the cover, no key); secrets are resized to the cover."""
        check_secret_list(secrets)
        self.check_count(len(secrets), f"{len(secrets)} secret image(s)")
        height, width = self.engine.region(cover, "cover")
        return self.engine.hide(cover, secret_tensor(secrets, height, width, height, width, self.secrets, self.engine.device))

    @torch.no_grad()
    def reveal(self, stego: np.ndarray, *, key: None = None, count: int | None = None,
               size: tuple[int, int] | str | None = None, phase: tuple[int, int] | str | None = None) -> list[np.ndarray]:
        """The hidden images, at the size of the image given, or at ``size``.

        ``size`` is the stego's (height, width) as it was made: an image rescaled (or cropped and
        rescaled) on the way is resized back to it first (bicubic, as ``steg eval`` does), since
        the code is read pixel by pixel and training only saw images brought back to their size.
        ``"auto"`` finds it for a crop resized back, an enlargement or a reduction: of the image
        as it is and at each of its :func:`candidate_sizes`, the one in step with the code
        (:meth:`_in_step`) is read, so the secrets come at the size of the part of the stego that
        arrived. ``phase`` drops that many first rows and columns (0 or 1 each) before
        reading: the code comes in 2-pixel steps, so a stego cropped at an odd offset is read out
        of step without it. ``"auto"`` reads all four phases and keeps the one
        :meth:`phase_scores` rates best, or, in an image that went through a JPEG since the code
        was written, the one its 8x8 grid gives (:meth:`_best_read`). The default is (0, 0), or
        ``"auto"`` with a size found automatically, which needs the phase found too.
        """
        if key is not None:
            raise UsageError(f"{self.name} has no key: everything is in the stego image")
        count = self.secrets if count is None else count
        self.check_count(count, f"{count} image(s)")
        if size == "auto":
            if phase not in (None, "auto"):
                raise UsageError("a size found automatically comes with its phase; give no phase")
            secrets = self._best_read([stego] + [resize(stego, *other) for other in candidate_sizes(stego)], own_size=True)
        elif phase == "auto":
            image = self._resized(stego, size)
            secrets = self._best_read([image], own_size=image is stego)
        else:
            secrets, _ = self._read(self._shifted(self._resized(stego, size), phase or (0, 0)))
        return secret_images(secrets)

    def _best_read(self, images: list[np.ndarray], own_size: bool) -> torch.Tensor:
        """The secrets of the image of :meth:`_in_step` read whole, in the phase the model's
        :attr:`phase_cue` rates best.

        ``own_size`` says ``images[0]`` is the image as it came. Read as it is, an image that went
        through a JPEG after the code was written is read in the phase its 8x8 grid gives
        (:func:`~stegcli.codecs.jpeg_grid.jpeg_grid`): the stego was written where the grid began, and a
        crop since moved both alike, while the JPEG smoothed the code until its own cues pick
        about at random. Without a grid, with its phases' :func:`fit_contrast` under
        :attr:`phase_floor`, it is read in phase (0, 0): not cropped at an odd offset, which is
        the likelier case, and the phase it had when it was written.
        """
        chosen, reads = self._in_step(images) if len(images) > 1 else (0, None)
        image, as_it_came = images[chosen], own_size and chosen == 0
        where = f"at {image.shape[1]}x{image.shape[0]} " if len(images) > 1 else ""
        grid = jpeg_grid(image) if as_it_came else None
        if grid is not None:
            log.info("reading %sin phase %d,%d, where the 8x8 grid of the JPEG it went through begins (row %d, "
                     "column %d; evidence %.2f)", where, *grid.phase, *grid.origin, grid.evidence)
            return reads[grid.phase][0] if reads else self._read(self._shifted(image, grid.phase))[0]
        reads = reads or self.phase_reads(image)
        contrast = fit_contrast(reads)
        if as_it_came and contrast < self.phase_floor:
            log.info("reading %sin phase 0,0: its phases' cover fits differ by %.2f dB, under the %.2f dB that "
                     "tells them apart", where, contrast, self.phase_floor)
            return reads[(0, 0)][0]
        phase, margin = _best_of(cue_scores(cues_by_phase(reads), self.phase_cue))
        log.info("reading %sin phase %d,%d (its %s beats the next phase's by %.3g)", where, *phase,
                 self.phase_cue.replace("_", " "), margin)
        return reads[phase][0]

    def _in_step(self, images: list[np.ndarray]) -> tuple[int, PhaseReads | None]:
        """Which of ``images`` (one image at several zooms) is in step with the code, judged on
        their :func:`corner_probe`; and its phase reads, if its probe was the whole image.

        In step, the cover that one phase reads back fits the image far better than the other
        three's; out of step, or with the code smoothed away, all four fit about alike.
        """
        probes = [corner_probe(image) for image in images]
        reads = [self.phase_reads(probe) for probe in probes]
        chosen = int(np.argmax([fit_contrast(read) for read in reads]))
        return chosen, reads[chosen] if probes[chosen] is images[chosen] else None

    def phase_cues(self, stego: np.ndarray, size: tuple[int, int] | None = None) -> dict[tuple[int, int], dict[str, float]]:
        """Every cue of :data:`PHASE_CUES` for each phase (higher: more likely in step)."""
        return cues_by_phase(self.phase_reads(self._resized(stego, size)))

    def phase_scores(self, stego: np.ndarray, size: tuple[int, int] | None = None) -> dict[tuple[int, int], float]:
        """For each phase, the model's :attr:`phase_cue` (:func:`cue_scores`): how likely it is in
        step (higher: more likely)."""
        return cue_scores(self.phase_cues(stego, size), self.phase_cue)

    def guess_phase(self, stego: np.ndarray, size: tuple[int, int] | None = None) -> tuple[tuple[int, int], float]:
        """The phase of best :meth:`phase_scores`, and by how much it beats the next one."""
        return _best_of(self.phase_scores(stego, size))

    @torch.no_grad()
    def phase_reads(self, stego: np.ndarray) -> PhaseReads:
        """Per phase: (secrets read, every cue of :data:`PHASE_CUES`); :func:`fit_contrast` of them
        says whether the phase can be told at all."""
        reads = {}
        for phase in PHASES:
            image = self._shifted(stego, phase)
            secrets, cover = self._read(image)
            reads[phase] = secrets, {name: cue(image, secrets, cover) for name, cue in PHASE_CUES.items()}
        return reads

    @staticmethod
    def _resized(stego: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
        """The image resized back to ``size``, with a notice when that changes it."""
        if size is not None and min(size) < MIN_SIDE:
            raise UsageError(f"size {tuple(size)}: each side at least {MIN_SIDE} pixels")
        if size is not None and stego.shape[:2] != tuple(size):
            log.info("resizing the %dx%d image to %dx%d before revealing", stego.shape[1], stego.shape[0], size[1], size[0])
            stego = resize(stego, *size)
        return stego

    @staticmethod
    def _shifted(stego: np.ndarray, phase: tuple[int, int]) -> np.ndarray:
        """The image without its first ``phase`` rows and columns, as it is read."""
        if phase not in PHASES:
            raise UsageError(f"phase {phase}: rows and columns to drop must be 0 or 1")
        check_image(stego, "stego")
        height, width = stego.shape[:2]
        if min(height - phase[0], width - phase[1]) < MIN_SIDE:
            raise CapacityError(f"stego is {width}x{height}; reading it in phase {phase[0]},{phase[1]} would leave "
                                f"under {MIN_SIDE} pixels on a side (other phases need {MIN_SIDE + 1}x{MIN_SIDE + 1})")
        return stego[phase[0]:, phase[1]:]

    def _read(self, image: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(secrets, cover) that the model reads from ``image`` (keyless, in tiles)."""
        cover, secrets = self.engine.reveal(image)
        return secrets, cover


def _best_of(scores: dict[tuple[int, int], float]) -> tuple[tuple[int, int], float]:
    """The phase of best score, and by how much it beats the next one."""
    best, second = sorted(scores, key=scores.__getitem__, reverse=True)[:2]
    return best, scores[best] - scores[second]
