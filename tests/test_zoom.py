"""Finding the size a zoomed robust stego was written at (stegcli.codecs.zoom)."""

import numpy as np

from stegcli.codecs.zoom import at_own_size, own_size_line, stego_scales, stego_sizes
from stegcli.eval.attacks import center_crop, jpeg, rescale, resize


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


def test_the_line_at_its_own_place_says_the_image_was_not_rescaled():
    image = coded()
    assert at_own_size(image) and at_own_size(jpeg(image, 75)) and at_own_size(image[1:, 3:])  # JPEG, a plain crop
    for zoomed in (resize(center_crop(image, 0.9), 192, 192), rescale(image, 1.5), rescale(image, 0.5)):
        assert not at_own_size(zoomed)
    y, x = np.mgrid[:192, :192]
    picture = np.clip(128 + 60 * np.sin((3 * x + 2 * y) / 192), 0, 255).astype(np.uint8)
    assert own_size_line(np.repeat(picture[..., None], 3, axis=2)) < 3  # no code, no line
