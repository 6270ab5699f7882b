import torch
from helpers import tiny_inn

from stegcli.codecs.engine import StegoEngine
from stegcli.nn import INNConfig, StegoINN
from stegcli.nn.wavelet import haar_dwt, haar_iwt


def test_random_inn_inverse_reproduces_input_in_float64():
    model = tiny_inn(9, seed=3, blocks=3, scale=0.05, dtype=torch.float64)
    cover = torch.rand(2, 3, 16, 16, dtype=torch.float64)
    secret = torch.rand(2, 9, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        stego, z = model(cover, secret)
        cover_r, secret_r = model.reverse(stego, z)
    assert (stego - cover).abs().max() > 1e-3  # the random network really changes the cover
    assert (cover_r - cover).abs().max() < 1e-9
    assert (secret_r - secret).abs().max() < 1e-9


def test_fresh_inn_starts_as_identity():
    model = StegoINN(INNConfig(secret_channels=3, blocks=2, growth=8))
    cover, secret = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    stego, z = model(cover, secret)
    assert torch.allclose(stego, cover, atol=1e-6)
    assert z.shape == (1, 12, 4, 4)


def test_any_number_of_secret_channels():
    for channels in (3, 6, 15):
        model = tiny_inn(channels, blocks=1)
        stego, z = model(torch.rand(1, 3, 8, 8), torch.rand(1, channels, 8, 8))
        assert stego.shape == (1, 3, 8, 8) and z.shape == (1, 4 * channels, 4, 4)


def test_scale_is_bounded_by_the_clamp():
    model = tiny_inn(3, blocks=1, scale=50.0)
    block = model.blocks[0]
    s = block._scale(torch.randn(1, 12, 4, 4) * 100)
    assert s.abs().max() <= block.clamp + 1e-6


def test_every_parameter_receives_a_gradient():
    model = tiny_inn(3, blocks=2)
    stego, z = model(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    _, secret_r = model.reverse(stego, torch.zeros_like(z))
    (stego.sum() + z.pow(2).sum() + secret_r.sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_channels_last_bands_compute_what_the_default_layout_does():
    """The fast layout changes only the order of float sums: a pass in the default layout agrees to
    float rounding, and the engine's key stores z in the default order."""
    model = tiny_inn(3, seed=0, blocks=2, scale=0.05)
    cover, secret = torch.rand(1, 3, 32, 48), torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        b1, b2 = haar_dwt(cover), haar_dwt(secret)
        for block in model.blocks:
            b1, b2 = block(b1, b2)
        stego, z = model(cover, secret)
    assert z.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(stego, haar_iwt(b1), atol=1e-5) and torch.allclose(z, b2, atol=1e-5)
    key = StegoEngine(model, "tiny").hide((cover[0].permute(1, 2, 0) * 255).byte().numpy(), secret).key
    assert key.z.flags["C_CONTIGUOUS"]


def test_plain_subnet_inn_is_invertible_and_starts_as_identity():
    config = INNConfig(secret_channels=3, blocks=2, growth=8, subnet="plain")
    fresh = StegoINN(config)
    cover, secret = torch.rand(1, 3, 8, 8, dtype=torch.float64), torch.rand(1, 3, 8, 8, dtype=torch.float64)
    assert torch.allclose(fresh(cover.float(), secret.float())[0], cover.float(), atol=1e-6)
    model = StegoINN(config).double()
    torch.manual_seed(0)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.05)
    with torch.no_grad():
        stego, z = model(cover, secret)
        cover_r, secret_r = model.reverse(stego, z)
    assert (stego - cover).abs().max() > 1e-3
    assert (cover_r - cover).abs().max() < 1e-9 and (secret_r - secret).abs().max() < 1e-9


def test_configs_saved_before_the_subnet_field_build_dense_subnets():
    from stegcli.nn.subnets import DenseSubnet

    old = {"blocks": 2, "clamp": 2.0, "cover_channels": 3, "growth": 8, "secret_channels": 3}
    config = INNConfig.from_dict(old)
    assert config.subnet == "dense" and isinstance(StegoINN(config).blocks[0].phi, DenseSubnet)
    try:
        StegoINN(INNConfig(3, blocks=1, growth=8, subnet="wide"))
    except ValueError as error:
        assert "unknown subnet 'wide'" in str(error)
    else:
        raise AssertionError("an unknown subnet was built")
