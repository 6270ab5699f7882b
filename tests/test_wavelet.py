import pytest
import torch

from stegcli.nn import haar_dwt, haar_iwt


def test_dwt_inverse_is_exact_in_float64():
    x = torch.rand(2, 5, 16, 24, dtype=torch.float64)
    assert torch.max(torch.abs(haar_iwt(haar_dwt(x)) - x)) < 1e-12


def test_dwt_is_orthonormal_energy_preserving():
    x = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    assert torch.allclose(haar_dwt(x).pow(2).sum(), x.pow(2).sum())


def test_dwt_layout_is_band_major_low_band_first():
    x = torch.full((1, 3, 4, 4), 0.5)
    y = haar_dwt(x)
    assert y.shape == (1, 12, 2, 2)
    assert torch.allclose(y[:, :3], torch.full_like(y[:, :3], 1.0))  # LL of a constant = 2 * mean
    assert torch.count_nonzero(y[:, 3:]) == 0


def test_dwt_refuses_odd_sizes():
    with pytest.raises(ValueError):
        haar_dwt(torch.zeros(1, 3, 5, 4))
