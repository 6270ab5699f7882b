import json

import pytest
import torch
from helpers import run_steg, smooth_image, tiny_inn
from PIL import Image
from safetensors.torch import save_file

from stegcli.errors import ModelError, UsageError
from stegcli.models.weights import (
    get_spec,
    load_model,
    load_weights_file,
    model_info,
    save_weights,
)


def save_tiny(path, name="bits-1", **overrides):
    model = tiny_inn(3)
    kwargs = dict(name=name, kind="bits", config={"inn": model.config.to_dict(), "bpp": 1},
                  recipe={"steps": 1}, metrics={"psnr": 40.0})
    kwargs.update(overrides)
    save_weights(path, model, **kwargs)
    return model


def test_save_load_round_trip_keeps_metadata(tmp_path):
    path = tmp_path / "bits-1.safetensors"
    model = save_tiny(path)
    loaded, meta = load_weights_file(path, expected_name="bits-1")
    assert meta["metrics"] == {"psnr": 40.0} and meta["config"]["bpp"] == 1
    for key, value in model.state_dict().items():  # fp16 on disk, fp32 in memory
        assert torch.allclose(loaded.state_dict()[key], value.half().float())


def test_load_by_name_from_weights_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tmp_path))
    save_tiny(tmp_path / "bits-1.safetensors")
    model, _ = load_model("bits-1")
    assert not model.training
    assert model_info(get_spec("bits-1"))["parameters"] == sum(p.numel() for p in model.parameters())


def test_missing_weights_name_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tmp_path))
    with pytest.raises(ModelError, match="bits-2.safetensors are not installed") as error:
        load_model("bits-2")
    assert "STEGCLI_WEIGHTS may point at a folder that holds bits-2.safetensors" in str(error.value)  # what to do


def test_unknown_model_lists_known_ones():
    with pytest.raises(UsageError, match="known models: bits-1"):
        get_spec("isn-99")


def test_corrupt_file_is_named(tmp_path):
    path = tmp_path / "bits-1.safetensors"
    path.write_bytes(b"garbage" * 10)
    with pytest.raises(ModelError, match="bits-1.safetensors is not a readable safetensors file"):
        load_weights_file(path)


def test_models_lists_an_unreadable_file_instead_of_failing(tmp_path, monkeypatch):
    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tmp_path))
    (tmp_path / "bits-3.safetensors").write_bytes(b"junk")
    info = model_info(get_spec("bits-3"))
    assert not info["installed"] and "not a readable safetensors file" in info["problem"]
    r = run_steg(["models"])
    assert r.code == 0 and "unreadable" in r.stderr
    r = run_steg(["capacity", str(save_png(tmp_path / "c.png"))])
    assert r.code == 0, r.stderr


def save_png(path):
    Image.fromarray(smooth_image(32, 32)).save(path)
    return path


def test_a_model_of_another_family_is_named_as_such():
    with pytest.raises(UsageError, match="'bits-3' is a bits model"):
        get_spec("bits-3", ("isn", "mosaic"))


def test_shape_mismatch_with_config_is_named(tmp_path):
    path = tmp_path / "bits-1.safetensors"
    model = tiny_inn(3)
    config = {"inn": {**model.config.to_dict(), "growth": 4}, "bpp": 1}
    save_weights(path, model, name="bits-1", kind="bits", config=config, recipe={}, metrics={})
    with pytest.raises(ModelError, match="has shape"):
        load_weights_file(path)


def test_wrong_name_and_missing_format_are_refused(tmp_path):
    path = tmp_path / "bits-3.safetensors"
    save_tiny(path, name="bits-1")
    with pytest.raises(ModelError, match="holds model 'bits-1', not 'bits-3'"):
        load_weights_file(path, expected_name="bits-3")
    plain = tmp_path / "plain.safetensors"
    save_file({"x": torch.zeros(1)}, str(plain), metadata={"config": json.dumps({})})
    with pytest.raises(ModelError, match="format"):
        load_weights_file(plain)


def test_weights_dir_prefers_the_environment_then_the_package_then_the_repository(tmp_path, monkeypatch):
    from pathlib import Path

    import stegcli.models.weights as zoo

    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tmp_path))
    assert zoo.weights_dir() == tmp_path
    monkeypatch.delenv("STEGCLI_WEIGHTS")
    found = zoo.weights_dir()
    assert found.name == "weights" and any(found.glob("*.safetensors"))
    package = Path(zoo.__file__).parents[1]  # stegcli/: its installed weights, or the checkout's beside it
    assert found.resolve() in {(package / "weights").resolve(), (package.parent / "weights").resolve()}


def test_set_reading_adds_a_reading_and_keeps_the_rest(tmp_path):
    from stegcli.models.weights import read_metadata, set_reading

    path = tmp_path / "bits-1.safetensors"
    model = save_tiny(path)
    before = read_metadata(path)
    assert before["reading"] == {}
    set_reading(path, {"phase_cue": "cover_fit"})
    loaded, after = load_weights_file(path, expected_name="bits-1")
    assert after["reading"] == {"phase_cue": "cover_fit"}
    assert {k: v for k, v in after.items() if k != "reading"} == {k: v for k, v in before.items() if k != "reading"}
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value.half().float())
    assert not list(tmp_path.glob("*.tmp"))
    (tmp_path / "junk.safetensors").write_bytes(b"not a weights file")
    with pytest.raises(ModelError, match="not a readable safetensors file"):
        set_reading(tmp_path / "junk.safetensors", {})
