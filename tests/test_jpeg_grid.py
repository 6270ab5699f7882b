"""Finding the 8x8 grid of the last JPEG an image went through (stegcli.codecs.jpeg_grid)."""

import numpy as np
from helpers import smooth_image

from stegcli.codecs.jpeg_grid import DCT, GRID_EVIDENCE, jpeg_grid, likeliest_grid
from stegcli.eval.attacks import jpeg


def textured(side: int = 128, seed: int = 0) -> np.ndarray:
    """A smooth picture with fine texture of the strength a robust code gives a photograph."""
    rng = np.random.default_rng(seed)
    image = smooth_image(side, side, seed).astype(np.float64) + rng.normal(0, 12, (side, side, 3))
    return np.clip(image, 0, 255).round().astype(np.uint8)


def fine_texture(shape: tuple[int, ...], sigma: float, seed: int = 0) -> np.ndarray:
    """Noise less its 3x3 mean: texture in the highest frequencies only, as a code written after
    a JPEG lies over that JPEG's grid."""
    noise = np.random.default_rng(seed).normal(0, sigma, shape)
    padded = np.pad(noise, ((1, 1), (1, 1), (0, 0)), mode="reflect")
    mean = sum(padded[y : y + shape[0], x : x + shape[1]] for y in range(3) for x in range(3)) / 9
    return noise - mean


def test_the_dct_is_the_orthonormal_one_a_jpeg_quantises():
    assert np.allclose(DCT @ DCT.T, np.eye(8))
    assert np.allclose(DCT[0], 1 / np.sqrt(8))  # the DC row: the block's mean times 8 in 2-D


def test_a_lossless_image_shows_no_grid():
    assert jpeg_grid(textured()) is None
    assert likeliest_grid(textured()).evidence < GRID_EVIDENCE  # some alignment is always likeliest
    assert likeliest_grid(textured()[:24, :24]) is None
    assert jpeg_grid(textured()[:24, :24]) is None  # too small to tell


def test_a_jpegs_grid_is_found_where_it_began_and_moves_with_a_crop():
    image = textured(136, 1)
    for quality in (90, 75, 50):
        compressed = jpeg(image, quality)
        grid = jpeg_grid(compressed[:128, :128])
        assert grid is not None and grid.origin == (0, 0) and grid.phase == (0, 0), quality
        cropped = jpeg_grid(compressed[5:, 2:])  # 5 rows and 2 columns gone: blocks now begin at 3 and 6
        assert cropped is not None and cropped.origin == (3, 6) and cropped.phase == (1, 0), quality


def test_the_grid_of_a_jpeg_taken_after_a_crop_is_the_crops_own():
    grid = jpeg_grid(jpeg(textured(136, 2)[3:, 1:], 75))
    assert grid is not None and grid.origin == (0, 0)


def test_a_jpeg_taken_before_fine_texture_was_written_shows_no_grid():
    """A cover that went through a JPEG before a code was hidden in it keeps that JPEG's grid in its
    lowest frequencies; the code is read where the stego was written, not where that grid lies."""
    compressed = jpeg(smooth_image(141, 141, 0), 50)[5:, 3:].astype(np.float64)  # its grid at (3, 5)
    for sigma in (3, 4):
        image = np.clip(compressed + fine_texture(compressed.shape, sigma), 0, 255).round().astype(np.uint8)
        assert jpeg_grid(image) is None, sigma
