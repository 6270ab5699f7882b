"""Weights files: name -> safetensors file in weights/, with metadata; building and loading the network.

A weights file is a safetensors file whose string metadata holds everything
needed to rebuild and judge the model without other files:

``stegcli.format``  format version of this layout (``FORMAT_VERSION``)
``name``, ``kind``   model name and family (``bits``, ``isn``, ...)
``config``           JSON: architecture (``inn``: :class:`INNConfig`, ``mosaic``: :class:`MosaicConfig`,
                     ``robust_inn``: :class:`RobustINNConfig`)
                     and family options
``recipe``           JSON: a summary of how it was trained
``metrics``          JSON: validation metrics measured after export
``reading``          JSON, optional: how to read the model's stegos, measured on its validation
                     images (robust models: ``phase_cue``, see :mod:`stegcli.codecs.robust`)
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from stegcli.errors import ModelError
from stegcli.models.registry import Kinds, ModelSpec, get_spec
from stegcli.nn import (
    INNConfig,
    MosaicConfig,
    MosaicINN,
    RobustINN,
    RobustINNConfig,
    StegoINN,
)
from stegcli.nn.interface import HidingNetwork

# config key -> (architecture dataclass, network): the one place that maps metadata to a network
ARCHITECTURES = {"inn": (INNConfig, StegoINN), "mosaic": (MosaicConfig, MosaicINN), "robust_inn": (RobustINNConfig, RobustINN)}

FORMAT_VERSION = "1"
WEIGHTS_ENV = "STEGCLI_WEIGHTS"


def weights_dir() -> Path:
    """Where installed weights live.

    ``$STEGCLI_WEIGHTS`` wins; then the ``stegcli.weights`` package data of a
    regular install; then the repository's ``weights/`` beside the package
    (editable installs and source checkouts).
    """
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env)
    try:
        packaged = Path(str(resources.files("stegcli.weights")))
        if any(packaged.glob("*.safetensors")):
            return packaged
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "weights"


def weights_path(name: str) -> Path:
    return weights_dir() / get_spec(name).filename


def weights_sha256(name: str) -> str:
    """SHA-256 of the installed weights file of ``name``: which file a measurement was taken with
    (a candidate under ``$STEGCLI_WEIGHTS`` and the shipped file share a name)."""
    digest = hashlib.sha256()
    with open(weights_path(name), "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_metadata(path: Path) -> dict[str, Any]:
    """Parse a weights file's metadata (JSON fields decoded)."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = handle.metadata() or {}
    except FileNotFoundError:
        raise ModelError(f"weights file {path} not found") from None
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise ModelError(f"weights file {path} is not a readable safetensors file ({exc})") from None
    if raw.get("stegcli.format") != FORMAT_VERSION:
        raise ModelError(f"weights file {path} has format {raw.get('stegcli.format')!r}, expected {FORMAT_VERSION}")
    meta: dict[str, Any] = dict(raw)
    for key in ("config", "recipe", "metrics", "reading"):
        try:
            meta[key] = json.loads(raw.get(key, "{}"))
        except json.JSONDecodeError:
            raise ModelError(f"weights file {path}: metadata field {key!r} is not valid JSON") from None
    return meta


def build_network(config: dict[str, Any], path: Path | str = "<config>") -> HidingNetwork:
    """The network a weights file's ``config`` describes (its one :data:`ARCHITECTURES` entry)."""
    found = [key for key in ARCHITECTURES if key in config]
    if len(found) != 1:
        raise ModelError(f"weights file {path}: config needs exactly one of {sorted(ARCHITECTURES)}")
    config_cls, network = ARCHITECTURES[found[0]]
    try:
        return network(config_cls.from_dict(config[found[0]]))
    except (TypeError, ValueError) as exc:
        raise ModelError(f"weights file {path}: bad architecture config ({exc})") from None


def load_model(name: str, device: torch.device | str = "cpu", kind: Kinds = None) -> tuple[HidingNetwork, dict[str, Any]]:
    """Build the named model, load its weights (fp32, eval mode) and return it with its metadata."""
    spec = get_spec(name, kind)
    path = weights_dir() / spec.filename
    if not path.exists():
        raise ModelError(f"model {name!r} is registered but its weights {path} are not installed "
                         f"(`steg models` lists what is; {WEIGHTS_ENV} may point at a folder that holds {spec.filename})")
    return load_weights_file(path, device, expected_name=name)


def load_weights_file(path: Path, device: torch.device | str = "cpu", expected_name: str | None = None,
                      ) -> tuple[HidingNetwork, dict[str, Any]]:
    meta = read_metadata(path)
    if expected_name is not None and meta.get("name") != expected_name:
        raise ModelError(f"weights file {path} holds model {meta.get('name')!r}, not {expected_name!r}")
    model = build_network(meta["config"], path)
    expected = model.state_dict()
    state: dict[str, torch.Tensor] = {}
    with safe_open(str(path), framework="pt") as handle:
        keys = set(handle.keys())
        missing, extra = set(expected) - keys, keys - set(expected)
        if missing or extra:
            raise ModelError(
                f"weights file {path} does not match its config: "
                f"{len(missing)} missing and {len(extra)} unexpected tensors"
            )
        for key in expected:
            tensor = handle.get_tensor(key)
            if tensor.shape != expected[key].shape:
                raise ModelError(
                    f"weights file {path}: tensor {key} has shape {tuple(tensor.shape)}, "
                    f"config wants {tuple(expected[key].shape)}"
                )
            state[key] = tensor.float()
    model.load_state_dict(state)
    return model.to(device).eval(), meta


def save_weights(
    path: Path,
    model: HidingNetwork,
    *,
    name: str,
    kind: str,
    config: dict[str, Any],
    recipe: dict[str, Any],
    metrics: dict[str, Any],
    half: bool = True,
) -> None:
    """Write ``model`` with full metadata; fp16 halves the size with no effect on invertibility."""
    dtype = torch.float16 if half else torch.float32
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in model.state_dict().items()}
    metadata = {
        "stegcli.format": FORMAT_VERSION,
        "name": name,
        "kind": kind,
        "config": json.dumps(config, sort_keys=True),
        "recipe": json.dumps(recipe, sort_keys=True),
        "metrics": json.dumps(metrics, sort_keys=True),
    }
    _write_safetensors(path, tensors, metadata)


def set_reading(path: Path, reading: dict[str, Any]) -> None:
    """Store ``reading`` in a weights file, its tensors and other metadata unchanged (a measured
    choice about reading its stegos, which comes after the export)."""
    read_metadata(path)  # refuses what is not a weights file of this format
    with safe_open(str(path), framework="pt") as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        metadata = dict(handle.metadata())
    _write_safetensors(path, tensors, metadata | {"reading": json.dumps(reading, sort_keys=True)})


def _write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def model_info(spec: ModelSpec) -> dict[str, Any]:
    """What ``steg models`` shows: reads metadata and tensor shapes, not the weights.

    A file that is there but cannot be read counts as not installed, with the reason in ``problem``:
    ``steg models`` is where a user looks when a model fails, so it must not fail itself.
    """
    path = weights_dir() / spec.filename
    info: dict[str, Any] = {"name": spec.name, "kind": spec.kind, "summary": spec.summary, "license": spec.license,
                            "installed": False, "path": str(path)}
    if not path.exists():
        return info
    try:
        meta = read_metadata(path)
    except ModelError as exc:
        return {**info, "problem": str(exc)}
    info["installed"] = True
    with safe_open(str(path), framework="pt") as handle:
        params = sum(int(torch.tensor(handle.get_slice(k).get_shape()).prod()) for k in handle.keys())
    info.update(size_bytes=path.stat().st_size, parameters=params, config=meta["config"],
                recipe=meta["recipe"], metrics=meta["metrics"], **({"reading": meta["reading"]} if meta["reading"] else {}))
    return info
