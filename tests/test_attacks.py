"""The real attacks of ``steg attack``: each one does what it says, alone and chained."""

import io

import numpy as np
import pytest
from helpers import run_steg, smooth_image
from PIL import Image

from stegcli.errors import UsageError
from stegcli.eval.attacks import (
    AttackSpec,
    apply_attacks,
    center_crop,
    encode_attacked,
    gaussian_blur,
    gaussian_noise,
    jpeg,
    rescale,
)
from stegcli.eval.metrics import psnr


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    base = smooth_image(64, 80, 3).astype(int)
    return np.clip(base + rng.integers(-40, 40, base.shape), 0, 255).astype(np.uint8)  # textured: JPEG has work to do


def test_jpeg_loses_more_at_lower_quality(image):
    q90, q50 = psnr(jpeg(image, 90), image), psnr(jpeg(image, 50), image)
    assert q50 < q90 < 60 and jpeg(image, 75).shape == image.shape


def test_gaussian_noise_has_the_asked_spread_and_is_seeded(image):
    flat = np.full((200, 200, 3), 128, np.uint8)
    noisy = gaussian_noise(flat, 0.05, seed=1).astype(float)
    assert abs(noisy.std() - 0.05 * 255) < 0.5 and abs(noisy.mean() - 128) < 0.5
    assert np.array_equal(gaussian_noise(image, 0.05, 1), gaussian_noise(image, 0.05, 1))
    assert not np.array_equal(gaussian_noise(image, 0.05, 1), gaussian_noise(image, 0.05, 2))


def test_gaussian_blur_smooths_and_keeps_the_mean(image):
    blurred = gaussian_blur(image, 2.0)
    assert blurred.shape == image.shape
    assert np.abs(np.diff(blurred.astype(int), axis=1)).mean() < 0.5 * np.abs(np.diff(image.astype(int), axis=1)).mean()
    assert abs(blurred.mean() - image.mean()) < 1.0


def test_rescale_changes_the_size_and_back_is_close(image):
    half, big = rescale(image, 0.5), rescale(image, 1.5)
    assert half.shape == (32, 40, 3) and big.shape == (96, 120, 3)
    smooth = smooth_image(64, 80, 3)
    assert psnr(rescale(rescale(smooth, 1.5), 1 / 1.5), smooth) > 35


def test_center_crop_keeps_the_middle(image):
    cropped = center_crop(image, 0.5)
    assert cropped.shape == (32, 40, 3) and np.array_equal(cropped, image[16:48, 20:60])


def test_chain_applies_in_order_and_checks_its_arguments(image):
    spec = AttackSpec(crop=0.5, scale=2.0)
    assert apply_attacks(image, spec).shape == image.shape  # crop first, then scale back up
    assert AttackSpec().empty and not spec.empty and spec.describe() == "crop 0.5, scale 2.0"
    for bad in (dict(crop=0), dict(crop=1.5), dict(scale=-1), dict(blur=0), dict(noise=-0.1), dict(jpeg=0), dict(jpeg=100),
                dict(scale=float("inf")), dict(blur=float("inf")), dict(blur=1e30), dict(noise=float("inf")),
                dict(noise=float("nan")), dict(noise=1.5)):
        with pytest.raises(UsageError):
            AttackSpec(**bad)


def test_a_scale_past_the_pixel_limit_is_refused_before_any_work(image):
    with pytest.raises(UsageError, match="would grow past"):
        apply_attacks(image, AttackSpec(scale=1e6))


def test_jpeg_destination_is_one_real_jpeg_encode(image):
    data = encode_attacked(image, AttackSpec(jpeg=75), "out.jpg")
    assert data[:2] == b"\xff\xd8"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), jpeg(image, 75))
    with pytest.raises(UsageError, match="--jpeg"):
        encode_attacked(image, AttackSpec(noise=0.01), "out.jpg")
    png = encode_attacked(image, AttackSpec(jpeg=75), "out.png")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), jpeg(image, 75))


def test_cli_attack(tmp_path, image):
    src = tmp_path / "stego.png"
    Image.fromarray(image).save(src)
    out = tmp_path / "attacked.jpg"
    r = run_steg(["attack", str(src), "-o", str(out), "--jpeg", "75", "--blur", "1", "--scale", "0.5"])
    assert r.code == 0, r.stderr
    assert Image.open(out).format == "JPEG" and Image.open(out).size == (40, 32)
    r = run_steg(["attack", str(src), "-o", str(out), "--jpeg", "75"])
    assert r.code == 2 and "--force" in r.stderr
    r = run_steg(["attack", str(src), "-o", str(tmp_path / "x.png")])
    assert r.code == 2 and "at least one attack" in r.stderr and not (tmp_path / "x.png").exists()
    r = run_steg(["attack", "-", "--noise", "0.02"], stdin=src.read_bytes())
    assert r.code == 0 and r.stdout.startswith(b"\x89PNG")
