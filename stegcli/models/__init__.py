"""Models by name: the registry (what each model is, no torch) and its weights files (safetensors)."""

from stegcli.models.registry import (
    ModelSpec,
    find_spec,
    get_spec,
    image_model_for,
    open_codec,
    registered_models,
)

__all__ = ["ModelSpec", "find_spec", "get_spec", "image_model_for", "open_codec", "registered_models"]
