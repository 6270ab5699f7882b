"""Finding the size a zoomed robust stego was written at (stegcli.registration)."""

import numpy as np

from stegcli.attacks import center_crop, rescale, resize
from stegcli.registration import stego_scales, stego_sizes


def coded(side: int = 192) -> np.ndarray:
    """A smooth picture plus faint 2-pixel stripes, the line the robust models' code has at 0.5 cycles a pixel."""
    y, x = np.mgrid[:side, :side]
    picture = 128 + 60 * np.sin((3 * x + 2 * y) / side)[..., None] * np.array([1.0, 0.8, 0.6])
    stripes = 4.0 * ((-1.0) ** x + (-1.0) ** y)
    return np.clip(picture + stripes[..., None], 0, 255).astype(np.uint8)


def test_a_crop_resized_back_is_traced_to_the_crops_size():
    image = coded()
    for keep in (0.9, 0.8, 0.7):
        zoomed = resize(center_crop(image, keep), 192, 192)
        side = round(192 * keep)
        assert abs(stego_scales(zoomed, 1)[0] - keep) < 1.5 / 192
        assert stego_sizes(zoomed, 1) == [(side, side)]


def test_an_enlargement_is_traced_to_the_original_size():
    zoomed = rescale(coded(), 1.5)
    assert stego_sizes(zoomed, 1) == [(192, 192)]


def test_the_images_own_size_is_never_proposed():
    image = coded()
    assert (192, 192) not in stego_sizes(image, 3)
    assert all(0.6 - 1e-9 <= scale < 1 for scale in stego_scales(image, 3))
