"""Pretrained stegcli weights (safetensors), installed as the package ``stegcli.weights``."""
