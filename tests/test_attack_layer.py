import numpy as np
import pytest
import torch

from stegcli.nn.filters import blur
from stegcli.train.attack_layer import (
    ATTACKS,
    AttackLayer,
    AttackRanges,
    crop_and_back,
    parse_attack_mix,
    resize_and_back,
)


@pytest.mark.parametrize("kind", ATTACKS)
def test_every_training_attack_keeps_the_shape_is_8_bit_and_passes_gradients(kind):
    x = (torch.rand(2, 3, 48, 48) * 0.8 + 0.1).requires_grad_()
    out, kinds = AttackLayer()(x, np.random.default_rng(0), [kind, kind])
    assert out.shape == x.shape and kinds == [kind, kind]
    assert torch.equal(out, (out * 255).round() / 255)  # what an 8-bit file holds
    out.sum().backward()
    assert x.grad.abs().sum() > 0


def test_none_is_rounding_only():
    x = torch.rand(1, 3, 16, 16)
    out, _ = AttackLayer()(x, np.random.default_rng(0), ["none"])
    assert torch.equal(out, (x * 255).round() / 255)


def test_attacks_are_drawn_with_the_configured_weights():
    kinds = AttackLayer().draw(np.random.default_rng(1), 4000)
    assert set(kinds) == set(ATTACKS)
    assert abs(kinds.count("jpeg") / 4000 - 0.35) < 0.03


def test_attack_mix_names_every_attack_and_refuses_nonsense():
    assert parse_attack_mix("jpeg=0.6, none=0.4") == {"none": 0.4, "jpeg": 0.6, "noise": 0.0, "blur": 0.0, "resize": 0.0, "crop": 0.0}
    kinds = AttackLayer(AttackRanges(weights=parse_attack_mix("jpeg=1"))).draw(np.random.default_rng(0), 50)
    assert set(kinds) == {"jpeg"}
    for bad in ("jpeg", "jpg=1", "jpeg=x", "jpeg=-1", "jpeg=1,jpeg=2", "none=0", ""):
        with pytest.raises(ValueError):
            parse_attack_mix(bad)


def test_blur_preserves_constants_and_smooths_edges():
    flat = torch.full((1, 3, 20, 20), 0.4)
    assert torch.allclose(blur(flat, 1.0), flat, atol=1e-6)
    edge = torch.zeros(1, 1, 20, 20)
    edge[..., 10:] = 1
    assert 0 < blur(edge, 1.0)[0, 0, 5, 9] < 1


def test_resize_and_crop_come_back_to_the_input_size():
    x = torch.rand(1, 3, 40, 30)
    assert resize_and_back(x, 0.5).shape == x.shape and resize_and_back(x, 1.5).shape == x.shape
    assert crop_and_back(x, 0.8, np.random.default_rng(0)).shape == x.shape
