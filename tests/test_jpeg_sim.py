import io

import numpy as np
import pytest
import torch
from helpers import smooth_image
from PIL import Image

from stegcli.eval.attacks import jpeg
from stegcli.eval.metrics import psnr
from stegcli.io.tensors import from_tensor, to_tensor
from stegcli.train.jpeg_sim import (
    jpeg_mix,
    quant_tables,
    real_jpeg,
    round_cubic,
    round_noise,
    simulate_jpeg,
)


def photo(seed: int = 0, size: int = 64) -> np.ndarray:
    """Smooth image plus texture, so JPEG has something to remove."""
    rng = np.random.default_rng(seed)
    image = smooth_image(size, size, seed).astype(float) + rng.normal(0, 12, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("quality", [50, 75, 95])
def test_quantisation_tables_are_the_ones_pillow_writes(quality):
    buf = io.BytesIO()
    Image.fromarray(photo()).save(buf, format="JPEG", quality=quality)
    tables = Image.open(buf).quantization
    luma, chroma = quant_tables(torch.tensor([quality]))
    assert list(tables[0]) == luma[0].flatten().int().tolist()
    assert list(tables[1]) == chroma[0].flatten().int().tolist()


@pytest.mark.parametrize("quality", [50, 90])
@pytest.mark.parametrize("rounding", [round_cubic, round_noise])
def test_simulators_distort_like_real_jpeg(quality, rounding):
    image = photo(1)
    x = to_tensor(image)
    torch.manual_seed(0)
    simulated = from_tensor(simulate_jpeg(x, torch.tensor([quality]), rounding))
    real = jpeg(image, quality)
    assert psnr(simulated, real) > psnr(real, image) + 2  # closer to real JPEG than JPEG is to the input
    assert abs(psnr(simulated, image) - psnr(real, image)) < 1.5  # and about as lossy


def test_real_jpeg_is_pillow_forward_and_identity_backward():
    image = photo(2)
    x = to_tensor(image).requires_grad_()
    out = real_jpeg(x, torch.tensor([75]))
    assert np.array_equal(from_tensor(out.detach()), jpeg(image, 75))
    out.sum().backward()
    assert torch.allclose(x.grad, torch.ones_like(x))


def test_jpeg_mix_is_differentiable_per_image_quality_and_any_size():
    x = torch.rand(3, 3, 40, 24, requires_grad=True)
    out = jpeg_mix(x, torch.tensor([50, 70, 95]))
    assert out.shape == x.shape and out.min() >= -1e-4 and out.max() <= 1 + 1e-4
    out.mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
