"""Invertible building blocks: the Haar wavelet, dense subnets, coupling blocks and the stego INN."""

from stegcli.nn.coupling import CouplingBlock
from stegcli.nn.stego_inn import INNConfig, StegoINN
from stegcli.nn.subnets import DenseSubnet
from stegcli.nn.wavelet import haar_dwt, haar_iwt

__all__ = ["CouplingBlock", "DenseSubnet", "INNConfig", "StegoINN", "haar_dwt", "haar_iwt"]
