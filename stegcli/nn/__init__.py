"""Layers and networks: wavelets, couplings, subnets, the rescaling INN, and the three hiding networks
(stego INN, mosaic INN, robust INN), each a :class:`~stegcli.nn.interface.HidingNetwork`."""

from stegcli.nn.coupling import CouplingBlock
from stegcli.nn.interface import HidingNetwork
from stegcli.nn.mosaic import MosaicConfig, MosaicINN, splice, split
from stegcli.nn.rescale import RescaleConfig, RescaleINN, block_dct, block_idct
from stegcli.nn.robust_inn import RobustINN, RobustINNConfig
from stegcli.nn.stego_inn import INNConfig, StegoINN
from stegcli.nn.subnets import DenseSubnet
from stegcli.nn.wavelet import haar_dwt, haar_iwt

__all__ = [
    "CouplingBlock", "DenseSubnet", "HidingNetwork", "INNConfig", "MosaicConfig", "MosaicINN", "RescaleConfig",
    "RescaleINN", "RobustINN", "RobustINNConfig", "StegoINN", "block_dct", "block_idct", "haar_dwt", "haar_iwt",
    "splice", "split",
]
