"""The size a robust stego was written at, found from a zoomed copy of it alone.

The invertible robust models write part of their code at the finest step the pixel grid holds,
two pixels (the Haar wavelet's), so the stego's spectrum has a line at 0.5 cycles a pixel that
photographs lack. A stego cropped and resized back, or enlarged, is read out of step pixel by
pixel, but its line is still there, moved to 0.5 x (stego pixels per image pixel): where the line
is tells the size to resize the image back to. Photographs have lines of their own (a JPEG
source's 8-pixel blocks give 0.25 and 0.375), so this module only proposes sizes; the reveal
reads the one in step with the code (:meth:`stegcli.codecs.robust.RobustCodec.reveal` with
``size="auto"``). A reduction moves the line above the new Nyquist frequency: a halving takes
it away, and a milder one folds it back below 0.5 cycles, where it reads as an enlargement. So
this proposes enlargements and crops only (the reveal also tries undoing reductions); and a line
still at 0.5 cycles (:func:`at_own_size`) says the image was not zoomed at all, even after a JPEG.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from stegcli.nn.color import luma

LOWEST = 0.3  # cycles a pixel: enlargements up to 1.67x (crops keeping 60% of a side)
PADDING = 8  # zero-padding factor of the spectra: frequency steps of 1/(8 x side)
FLOOR_WIDTH = 0.04  # cycles a pixel either side of a frequency that its noise floor is taken over
OWN_SIZE_LINE = 4.0  # both axes' strength at 0.5 cycles above which the code is where it was written (about 2 without a line)


def fine_detail(image: np.ndarray) -> np.ndarray:
    """The luma less its 1-pixel Gaussian blur: the band where the code's line lies, without the
    photograph's far stronger coarse content."""
    blurred = np.asarray(Image.fromarray(image, "RGB").filter(ImageFilter.GaussianBlur(radius=1.0)))
    return luma(image.astype(np.float64) - blurred)


def line_strength(detail: np.ndarray, axis: int, freqs: np.ndarray) -> np.ndarray:
    """Power along ``axis`` at ``freqs`` (cycles a pixel), averaged over the other axis and
    divided by the median power within ``FLOOR_WIDTH`` of each frequency: a line stands out
    from its neighbourhood, whatever the image's contrast and the slope of its spectrum."""
    rows = np.moveaxis(detail, axis, -1)
    n = rows.shape[-1]
    power = (np.abs(np.fft.rfft(rows * np.hanning(n), PADDING * n, axis=-1)) ** 2).mean(0)
    grid = np.fft.rfftfreq(PADDING * n)
    reach = int(FLOOR_WIDTH * PADDING * n)
    start = max(0, int(np.searchsorted(grid, freqs[0])) - reach)
    floor = np.array([np.median(power[max(0, i - reach) : i + reach + 1]) for i in range(start, len(grid))])
    return np.interp(freqs, grid[start:], power[start:] / np.maximum(floor, 1e-12))


def own_size_line(image: np.ndarray) -> float:
    """The strength of the line at 0.5 cycles a pixel, both axes added: about 2 where there is
    none, far more on a stego at the size it was made (a JPEG weakens it; a zoom moves it)."""
    detail, half = fine_detail(image), np.array([0.5])
    return float(line_strength(detail, 0, half)[0] + line_strength(detail, 1, half)[0])


def at_own_size(image: np.ndarray) -> bool:
    """Whether the code's line is still at 0.5 cycles a pixel: the image has the size it was
    written at (cropped perhaps, but neither rescaled nor cropped and resized back)."""
    return own_size_line(image) > OWN_SIZE_LINE


def stego_scales(image: np.ndarray, count: int = 3) -> list[float]:
    """Up to ``count`` stego pixels per image pixel, strongest line first, each in [2 x LOWEST, 1].

    A uniform zoom moves the line to the same frequency on both axes, so the two axes' spectra
    are added; the candidates are their highest local maxima.
    """
    h, w = image.shape[:2]
    freqs = np.arange(LOWEST, 0.5 + 1e-9, 1 / (PADDING * max(h, w)))
    detail = fine_detail(image)
    strength = line_strength(detail, 0, freqs) + line_strength(detail, 1, freqs)
    peaks = 1 + np.flatnonzero((strength[1:-1] > strength[:-2]) & (strength[1:-1] >= strength[2:]))
    chosen: list[int] = []
    for i in peaks[np.argsort(strength[peaks])[::-1]]:  # a line's side lobes lie within 2 / side of it
        if all(abs(freqs[i] - freqs[j]) > 2 / max(h, w) for j in chosen):
            chosen.append(int(i))
    peaks = chosen[:count]
    return [float(2 * freqs[i]) for i in peaks]


def stego_sizes(image: np.ndarray, count: int = 3) -> list[tuple[int, int]]:
    """Sizes (height, width) the image may have been zoomed from, strongest first; never its own."""
    h, w = image.shape[:2]
    sizes: list[tuple[int, int]] = []
    for scale in stego_scales(image, count):
        size = (round(h * scale), round(w * scale))
        if size != (h, w) and size not in sizes:
            sizes.append(size)
    return sizes
