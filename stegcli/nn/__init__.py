"""Networks: invertible blocks (wavelets, couplings, the stego and mosaic INNs) and the robust networks (U-Net pipeline, invertible)."""

from stegcli.nn.coupling import CouplingBlock
from stegcli.nn.mosaic import MosaicConfig, MosaicINN, splice, split
from stegcli.nn.rescale import RescaleConfig, RescaleINN, block_dct, block_idct
from stegcli.nn.robust import RobustConfig, RobustNet
from stegcli.nn.robust_inn import RobustINN, RobustINNConfig
from stegcli.nn.stego_inn import INNConfig, StegoINN
from stegcli.nn.subnets import DenseSubnet
from stegcli.nn.wavelet import haar_dwt, haar_iwt

__all__ = [
    "CouplingBlock", "DenseSubnet", "INNConfig", "MosaicConfig", "MosaicINN", "RescaleConfig", "RescaleINN", "RobustConfig", "RobustINN",
    "RobustINNConfig", "RobustNet",
    "StegoINN", "block_dct", "block_idct", "haar_dwt", "haar_iwt", "splice", "split",
]
