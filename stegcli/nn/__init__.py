"""Invertible building blocks: wavelets, dense subnets, coupling blocks, the stego INN and the mosaic INN."""

from stegcli.nn.coupling import CouplingBlock
from stegcli.nn.mosaic import MosaicConfig, MosaicINN, splice, split
from stegcli.nn.rescale import RescaleConfig, RescaleINN, block_dct, block_idct
from stegcli.nn.stego_inn import INNConfig, StegoINN
from stegcli.nn.subnets import DenseSubnet
from stegcli.nn.wavelet import haar_dwt, haar_iwt

__all__ = [
    "CouplingBlock", "DenseSubnet", "INNConfig", "MosaicConfig", "MosaicINN", "RescaleConfig", "RescaleINN",
    "StegoINN", "block_dct", "block_idct", "haar_dwt", "haar_iwt", "splice", "split",
]
