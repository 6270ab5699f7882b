"""Where a JPEG's 8x8 blocks lie in an image it left behind.

A JPEG stores each 8x8 block's DCT coefficients as multiples of its quantisation steps, so the
decoded image, cut into blocks at the encoder's grid, gives coefficients that cluster on those
multiples; cut anywhere else, they do not. A robust stego saved as JPEG and cropped afterwards
keeps that grid, moved by the crop: its origin's parity is the phase the code is read in
(:meth:`stegcli.codecs.robust.RobustCodec.reveal`), which no cue of the code itself tells once a JPEG has
smoothed it. Only the highest frequencies are looked at: a JPEG taken after hiding quantised
them, while a JPEG the cover went through before hiding left its grid in the lowest frequencies
alone, the highest carrying the code written after it; read there, that older grid would give a
phase the code does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stegcli.nn.color import luma as jfif_luma
from stegcli.nn.dct import dct_matrix

BLOCK = 8
COEFFICIENTS = ((7, 7), (7, 0), (0, 7), (6, 6), (7, 6), (6, 7))  # the highest: a JPEG's taken after hiding
STEPS = np.arange(2, 17)  # quantisation steps tried (1 would match any rounding); coarser ones are zeros here
GRID_EVIDENCE = 0.5  # share of the median alignment's room below 1 the best one takes up: a JPEG after hiding
# stands far above it, a lossless image or one JPEG'd before hiding far below
MAX_BLOCKS = 512  # blocks sampled per alignment: a fixed cost, and the 128-px crops measured had 256


DCT = dct_matrix(BLOCK)  # its 2-D form on a block B is DCT @ B @ DCT.T


@dataclass(frozen=True)
class JpegGrid:
    """The block grid a JPEG left: its origin (row, column), each 0 to 7, and its evidence: how far
    its coefficients' clustering stands above the median alignment's, as a share of the median's
    room below 1 (a smooth picture clusters well in any alignment; a grid still stands out)."""

    origin: tuple[int, int]
    evidence: float

    @property
    def phase(self) -> tuple[int, int]:
        """Rows and columns (0 or 1) to drop to read a code written where the JPEG's grid began."""
        return self.origin[0] % 2, self.origin[1] % 2


def clustering(luma: np.ndarray, origin: tuple[int, int]) -> float:
    """How tightly the :data:`COEFFICIENTS` of the blocks starting at ``origin`` sit on multiples
    of one step (the best step per coefficient; 1 when exactly on them), averaged."""
    rows, cols = (luma.shape[0] - origin[0]) // BLOCK, (luma.shape[1] - origin[1]) // BLOCK
    blocks = luma[origin[0] : origin[0] + rows * BLOCK, origin[1] : origin[1] + cols * BLOCK]
    blocks = blocks.reshape(rows, BLOCK, cols, BLOCK).swapaxes(1, 2).reshape(-1, BLOCK, BLOCK)
    blocks = blocks[np.linspace(0, len(blocks) - 1, min(len(blocks), MAX_BLOCKS)).astype(int)]
    coefficients = DCT @ blocks @ DCT.T
    u, v = zip(*COEFFICIENTS)
    angles = (2 * np.pi / STEPS)[:, None, None] * coefficients[:, u, v][None]  # step, block, coefficient
    on_multiples = np.hypot(np.cos(angles).mean(axis=1), np.sin(angles).mean(axis=1))  # step, coefficient
    return float(on_multiples.max(axis=0).mean())


def likeliest_grid(image: np.ndarray) -> JpegGrid | None:
    """The alignment that stands out most, however little (None for an image under four blocks)."""
    if min(image.shape[:2]) < 4 * BLOCK:
        return None
    luma = jfif_luma(image) - 128  # the Y a JPEG quantises
    scores = {(y, x): clustering(luma, (y, x)) for y in range(BLOCK) for x in range(BLOCK)}
    origin = max(scores, key=scores.__getitem__)
    median = float(np.median(list(scores.values())))
    return JpegGrid(origin, (scores[origin] - median) / max(1 - median, 1e-9))


def jpeg_grid(image: np.ndarray) -> JpegGrid | None:
    """The grid of the last JPEG the image went through, or None if it shows none (a lossless
    image, a JPEG at very high quality, or one rescaled since)."""
    grid = likeliest_grid(image)
    return grid if grid is not None and grid.evidence > GRID_EVIDENCE else None
