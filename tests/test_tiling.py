import numpy as np
import pytest
import torch
from helpers import smooth_image, tiny_inn

from stegcli.engine import StegoEngine
from stegcli.tensors import to_tensor
from stegcli.tiling import run_tiled


def test_tiled_forward_and_reverse_equal_one_pass_in_float64():
    model = tiny_inn(6, seed=1, blocks=2, scale=0.05, dtype=torch.float64)
    cover, secret = torch.rand(1, 3, 200, 172, dtype=torch.float64), torch.rand(1, 6, 200, 172, dtype=torch.float64)
    halo = model.config.receptive_radius
    with torch.no_grad():
        stego, z = model(cover, secret)
        stego_t, z_t = run_tiled(model, [cover, secret], (1, 1), (1, 2), tile=64, halo=halo)
        _, secret_t = run_tiled(model.reverse, [stego, z], (1, 2), (1, 1), tile=48, halo=halo)
    assert torch.allclose(stego_t, stego, atol=1e-12) and torch.allclose(z_t, z, atol=1e-12)
    assert torch.allclose(secret_t, secret, atol=1e-9)


def test_a_halo_below_the_receptive_field_changes_the_result():
    model = tiny_inn(3, seed=2, blocks=2, scale=0.2, dtype=torch.float64)
    cover, secret = torch.rand(1, 3, 160, 160, dtype=torch.float64), torch.rand(1, 3, 160, 160, dtype=torch.float64)
    radius = model.config.receptive_radius
    with torch.no_grad():
        _, z = model(cover, secret)
        _, z_short = run_tiled(model, [cover, secret], (1, 1), (1, 2), tile=64, halo=radius - 2)
        _, z_full = run_tiled(model, [cover, secret], (1, 1), (1, 2), tile=64, halo=radius)
    assert not torch.allclose(z_short, z, rtol=0, atol=1e-14)  # the radius is tight ...
    assert torch.allclose(z_full, z, rtol=0, atol=1e-14)  # ... and enough


def test_tile_must_fall_on_wavelet_blocks():
    model = tiny_inn(3)
    with pytest.raises(ValueError, match="multiples"):
        run_tiled(model, [torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)], (1, 1), (1, 2), tile=5, halo=4)


def test_engine_on_tiles_keeps_keyed_reveal_exact():
    model = tiny_inn(3, seed=4, scale=0.003)
    small, big = StegoEngine(model, "isn-1", tile=64), StegoEngine(model, "isn-1")
    cover, secret = smooth_image(150, 130, 1), to_tensor(smooth_image(150, 130, 2))
    stego, key = small.forward(cover, secret)
    stego_big, _ = big.forward(cover, secret)
    assert np.abs(stego.astype(int) - stego_big.astype(int)).max() <= 1  # float order may flip a rounding
    revealed = small.reverse(stego, key)
    assert torch.equal((revealed * 255).round(), (secret * 255).round())
