import numpy as np
import pytest
import torch
from helpers import smooth_image, tiny_inn

from stegcli.codecs.engine import StegoEngine
from stegcli.codecs.tiling import run_tiled
from stegcli.io.tensors import to_tensor


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


def test_the_receptive_radius_is_tight_and_a_halo_of_it_is_enough():
    """A value of z depends on secret pixels ``radius`` away and not one Haar block further; tiles with that
    halo give the one-pass result up to float64 rounding (which differs with the tile size on some CPUs)."""
    model = tiny_inn(3, seed=2, blocks=2, scale=0.2, dtype=torch.float64)
    radius = model.config.receptive_radius
    cover, secret = torch.rand(1, 3, 64, 32, dtype=torch.float64), torch.rand(1, 3, 64, 32, dtype=torch.float64)
    row, col = 8, 8  # a z value (half resolution) covering full-resolution rows 16 and 17
    last_seen, first_unseen = secret.clone(), secret.clone()
    last_seen[..., 2 * row + 1 + radius, 2 * col] += 1e6  # the far edge's influence is faint: make it large
    first_unseen[..., 2 * row + 2 + radius, 2 * col] += 1e6
    with torch.no_grad():
        z = model(cover, secret)[1][..., row, col]
        assert float((model(cover, last_seen)[1][..., row, col] - z).abs().max()) > 1e-9
        assert float((model(cover, first_unseen)[1][..., row, col] - z).abs().max()) < 1e-12
        cover, secret = torch.rand(1, 3, 160, 160, dtype=torch.float64), torch.rand(1, 3, 160, 160, dtype=torch.float64)
        _, z = model(cover, secret)
        _, z_tiled = run_tiled(model, [cover, secret], (1, 1), (1, 2), tile=64, halo=radius)
    assert torch.allclose(z_tiled, z, rtol=1e-13, atol=1e-13)


def test_tile_must_fall_on_wavelet_blocks():
    model = tiny_inn(3)
    with pytest.raises(ValueError, match="multiples"):
        run_tiled(model, [torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)], (1, 1), (1, 2), tile=5, halo=4)


def test_engine_on_tiles_keeps_keyed_reveal_exact():
    model = tiny_inn(3, seed=4, scale=0.003)
    small, big = StegoEngine(model, "isn-1", tile=64), StegoEngine(model, "isn-1")
    cover, secret = smooth_image(150, 130, 1), to_tensor(smooth_image(150, 130, 2))
    stego, key = (lambda r: (r.stego, r.key))(small.hide(cover, secret))
    stego_big = big.hide(cover, secret).stego
    assert np.abs(stego.astype(int) - stego_big.astype(int)).max() <= 1  # float order may flip a rounding
    _, revealed = small.reveal(stego, key)
    assert torch.equal((revealed * 255).round(), (secret * 255).round())


def test_a_padding_engine_reads_odd_sizes_as_one_reflect_padded_pass():
    from stegcli.codecs.engine import pad_to

    model = tiny_inn(3, seed=5, scale=0.02)
    engine = StegoEngine(model, "robust-1", tile=64, pad=True)
    cover, secret = smooth_image(101, 75, 1), to_tensor(smooth_image(101, 75, 2))
    stego = engine.hide(cover, secret)
    assert stego.key is None and stego.stego.shape == cover.shape  # every pixel, no key
    whole, _ = model(pad_to(to_tensor(cover), 2), pad_to(secret, 2))
    assert np.abs(stego.stego.astype(int) - (whole[..., :101, :75].clamp(0, 1)[0].permute(1, 2, 0) * 255).round().int().numpy()).max() <= 1
    cover_read, secrets_read = engine.reveal(stego.stego)
    assert cover_read.shape == (1, 3, 101, 75) and secrets_read.shape == (1, 3, 101, 75)


def test_tiled_runs_report_each_tile_as_it_is_done():
    model = tiny_inn(3, seed=4, scale=0.003)
    engine = StegoEngine(model, "isn-1", tile=64)
    seen = []
    engine.progress = lambda done, total: seen.append((done, total))
    engine.hide(smooth_image(150, 130, 1), to_tensor(smooth_image(150, 130, 2)))
    assert seen == [(i, 9) for i in range(1, 10)]  # 3 x 3 tiles of 64 over 150 x 130 (aligned to 150 x 130)
