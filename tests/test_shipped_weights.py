"""The weights in weights/ really work: small images, real PNG round trips."""

import numpy as np
import pytest

from stegcli.bits import BitsCodec
from stegcli.evaluate import png_roundtrip
from stegcli.imageio import read_image
from stegcli.images import ImageCodec
from stegcli.metrics import psnr
from stegcli.samples import make_landscape, sample_path
from stegcli.zoo import get_spec, model_info


@pytest.fixture(autouse=True)
def shipped_weights(monkeypatch):
    monkeypatch.delenv("STEGCLI_WEIGHTS", raising=False)


@pytest.mark.parametrize("name", ["bits-1", "bits-3"])
def test_shipped_bits_model_round_trips_a_message(name):
    info = model_info(get_spec(name))
    assert info["installed"], f"{name} weights are missing from weights/"
    assert info["metrics"], "shipped weights carry their measured metrics"
    codec = BitsCodec.from_name(name, "cpu")
    cover = read_image(sample_path("cover.png"))[:96, :128]
    message = np.random.default_rng(0).integers(0, 256, codec.capacity_bytes(96, 128) // 2, dtype=np.uint8).tobytes()
    result = codec.embed(cover, message)
    stego = png_roundtrip(result.stego)
    assert codec.extract(stego, result.key) == message
    assert psnr(stego, cover) > 30


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_shipped_isn_model_reveals_keyless_from_the_stego_alone(n):
    """Keyless reveal must carry the secrets (not the key): far above what a blind guess of the secret gives."""
    name = f"isn-{n}"
    info = model_info(get_spec(name))
    assert info["installed"], f"{name} weights are missing from weights/"
    assert info["metrics"], "shipped weights carry their measured metrics"
    codec = ImageCodec.from_name(name, "cpu")
    cover = read_image(sample_path("cover.png"))[:96, :128]
    secrets = [make_landscape(20 + i, 96, 128) for i in range(n)]
    result = codec.hide(cover, secrets)
    stego = png_roundtrip(result.stego)
    assert psnr(stego, cover) > 30
    keyless = codec.reveal(stego)
    keyed = codec.reveal(stego, result.key)
    for secret, plain, exact in zip(secrets, keyless, keyed, strict=True):
        assert psnr(plain, secret) > 24
        assert psnr(plain, secret) > psnr(np.full_like(secret, secret.mean(axis=(0, 1), keepdims=True).astype(np.uint8)), secret) + 8
        assert psnr(exact, secret) > 45
