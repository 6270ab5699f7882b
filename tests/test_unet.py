import pytest
import torch
from helpers import tiny_robust

from stegcli.nn import RobustConfig, RobustNet
from stegcli.nn.unet import BranchedUNet, PatchDiscriminator, level_widths, pad_to


@pytest.mark.parametrize("branches,levels", [(1, 2), (2, 3), (4, 4)])
def test_branched_unet_maps_each_input_to_the_output_size(branches, levels):
    net = BranchedUNet(branches, 3, 5, width=4, levels=levels)
    x = torch.rand(2, 3 * branches, 8 * net.stride, 3 * net.stride)
    assert net(x).shape == (2, 5, 8 * net.stride, 3 * net.stride)


def test_every_input_has_its_own_encoder():
    net = BranchedUNet(3, 3, 3, width=4, levels=3)
    assert len(net.encoders) == 3
    weights = [enc.levels[0][0].weight for enc in net.encoders]
    assert all(w.data_ptr() != weights[0].data_ptr() for w in weights[1:])  # unshared
    assert net.merges[0][0].in_channels == 3 * 4 + 4  # the decoder sees every branch's skip


def test_branched_unet_refuses_the_wrong_channel_count():
    with pytest.raises(ValueError, match="input channels"):
        BranchedUNet(2, 3, 3, width=4, levels=2)(torch.rand(1, 3, 8, 8))


def test_level_widths_double_then_cap():
    assert level_widths(32, 5) == [32, 64, 128, 128, 128]


def test_pad_to_reaches_the_stride_and_reports_the_size():
    x, size = pad_to(torch.rand(1, 3, 13, 17), 8)
    assert x.shape[-2:] == (16, 24) and size == (13, 17)
    tiny, _ = pad_to(torch.rand(1, 3, 3, 2), 8)  # too small to reflect: replicate
    assert tiny.shape[-2:] == (8, 8)


@pytest.mark.parametrize("secrets", [1, 2, 3])
def test_robust_net_shapes_at_odd_sizes(secrets):
    net = tiny_robust(secrets)
    cover, hidden = torch.rand(1, 3, 37, 50), torch.rand(1, 3 * secrets, 37, 50)
    stego = net.hide(cover, hidden)
    revealed, residual, cover_r = net.reveal(stego)
    assert stego.shape == cover.shape and revealed.shape == hidden.shape
    assert residual.shape == cover_r.shape == cover.shape


def test_a_fresh_robust_net_starts_from_stego_equal_to_cover():
    net = RobustNet(RobustConfig(1, width=4, levels=2))
    cover = torch.rand(1, 3, 16, 16)
    assert torch.equal(net.hide(cover, torch.rand(1, 3, 16, 16)), cover)


def test_receptive_radius_bounds_what_hide_and_twice_it_what_reveal_sees():
    net = tiny_robust(1, seed=3, scale=0.3).double()
    radius = net.config.receptive_radius
    size, centre = 4 * radius + 40, 2 * radius + 20
    cover, secret = torch.rand(1, 3, size, size, dtype=torch.float64), torch.rand(1, 3, size, size, dtype=torch.float64)
    bumped = cover.clone()
    bumped[..., centre, centre] += 1
    with torch.no_grad():
        for run, reach in ((lambda c: net.hide(c, secret), radius), (lambda c: net.reveal(c)[0], 2 * radius)):
            changed = torch.nonzero((run(bumped) - run(cover)).abs().sum((0, 1)) > 0)
            assert changed.numel() and (changed - centre).abs().max() <= reach


def test_patch_discriminator_scores_patches():
    scores = PatchDiscriminator(3, width=8)(torch.rand(2, 3, 64, 64))
    assert scores.shape[:2] == (2, 1) and scores.shape[-1] > 1


def randomised(net: torch.nn.Module) -> torch.nn.Module:
    """A stand-in for a trained net: every weight non-zero."""
    torch.manual_seed(0)
    for p in net.parameters():
        p.data.normal_(0, 0.1)
    return net


@pytest.mark.parametrize("steps", [[1, 3], [1, 2, 3]])
def test_a_grown_robust_net_starts_as_its_source(steps):
    source = randomised(RobustNet(RobustConfig(1, width=4, levels=3)))
    grown = source
    for n in steps[1:]:
        bigger = RobustNet(RobustConfig(n, width=4, levels=3))
        bigger.grow_from(grown)
        grown = bigger
    cover, secrets = torch.rand(2, 3, 24, 16), torch.rand(2, 9, 24, 16)
    with torch.no_grad():
        stego = source.hide(cover, secrets[:, :3])
        # the new secrets are not hidden yet (equal up to float summation order: the convs have more, zero, inputs)
        assert torch.allclose(grown.hide(cover, secrets), stego, atol=1e-6)
        revealed = source.reveal(stego)[0]
        assert all(torch.allclose(part, revealed, atol=1e-6) for part in grown.reveal(stego)[0].split(3, dim=1))


def test_growing_needs_the_same_widths_and_fewer_secrets():
    with pytest.raises(ValueError, match="cannot grow"):
        RobustNet(RobustConfig(2, width=4, levels=3)).grow_from(RobustNet(RobustConfig(1, width=8, levels=3)))
    with pytest.raises(ValueError, match="cannot grow"):
        RobustNet(RobustConfig(1, width=4, levels=3)).grow_from(RobustNet(RobustConfig(2, width=4, levels=3)))
