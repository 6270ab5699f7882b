import logging

import numpy as np
import pytest
from helpers import run_steg, smooth_image, tiny_inn
from PIL import Image

from stegcli.codecs.images import ImageCodec
from stegcli.errors import InputError, UsageError
from stegcli.eval.evaluate import png_roundtrip
from stegcli.models.registry import get_spec
from stegcli.models.registry import image_model_for as model_for


def codec(n: int) -> ImageCodec:
    return ImageCodec(tiny_inn(3 * n, seed=n, scale=0.003), get_spec(f"isn-{n}"))


@pytest.mark.parametrize("n", [1, 3, 5])
def test_keyed_reveal_is_lossless_for_any_secret_count(n):
    cover = smooth_image(32, 48, seed=0)
    secrets = [smooth_image(32, 48, seed=i + 1) for i in range(n)]
    result = codec(n).hide(cover, secrets)
    assert result.stego.shape == cover.shape and not np.array_equal(result.stego, cover)
    revealed = codec(n).reveal(png_roundtrip(result.stego), key=result.key)
    assert len(revealed) == n
    assert all(np.array_equal(r, s) for r, s in zip(revealed, secrets, strict=True))


def test_keyless_reveal_has_the_right_shapes():
    c = codec(2)
    result = c.hide(smooth_image(33, 41), [smooth_image(33, 41, 1), smooth_image(33, 41, 2)])
    revealed = c.reveal(result.stego)
    assert [r.shape for r in revealed] == [(33, 41, 3)] * 2 and all(r.dtype == np.uint8 for r in revealed)


def test_secrets_of_other_sizes_are_resized_to_the_cover(caplog):
    c = codec(1)
    with caplog.at_level(logging.INFO, logger="stegcli"):
        result = c.hide(smooth_image(32, 32), [smooth_image(64, 20, 3)])
    assert c.reveal(result.stego, key=result.key)[0].shape == (32, 32, 3)
    assert "resized" in caplog.text


def test_wrong_secret_count_and_model_choice():
    with pytest.raises(UsageError, match="hides 2 image"):
        codec(2).hide(smooth_image(32, 32), [smooth_image(32, 32)])
    assert [model_for(n) for n in (1, 4, 5, 6, 9, 10, 16)] == [
        "isn-1", "isn-4", "isn-5", "mosaic-9", "mosaic-9", "mosaic-16", "mosaic-16"]
    for bad in (0, 17):
        with pytest.raises(UsageError, match="1 to 16"):
            model_for(bad)


def test_key_of_another_model_is_refused():
    result = codec(1).hide(smooth_image(32, 32), [smooth_image(32, 32, 1)])
    with pytest.raises(InputError, match="made by model 'isn-1'"):
        codec(2).reveal(result.stego, key=result.key)


# -- CLI ---------------------------------------------------------------------------------
def save(path, image):
    Image.fromarray(image).save(path)
    return str(path)


@pytest.fixture
def pictures(tmp_path):
    cover = save(tmp_path / "cover.png", smooth_image(40, 48, 0))
    secrets = [save(tmp_path / f"s{i}.png", smooth_image(40, 48, i + 1)) for i in range(3)]
    return cover, secrets


def test_cli_hide_reveal_three_secrets_with_key(tiny_weights, tmp_path, pictures):
    cover, secrets = pictures
    stego, key = tmp_path / "stego.png", tmp_path / "z.npy"
    r = run_steg(["hide", cover, *secrets, "-o", str(stego), "--key-out", str(key)])
    assert r.code == 0, r.stderr
    r = run_steg(["reveal", str(stego), "-n", "3", "--key", str(key), "-o", str(tmp_path / "revealed.png")])
    assert r.code == 0, r.stderr
    for i, secret in enumerate(secrets, start=1):
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"revealed-{i}.png")), np.asarray(Image.open(secret)))


def test_cli_pipeline_one_secret_keyless(tiny_weights, tmp_path, pictures):
    cover, secrets = pictures
    r = run_steg(["hide", "-", secrets[0]], stdin=open(cover, "rb").read())
    assert r.code == 0 and r.stdout.startswith(b"\x89PNG")
    r2 = run_steg(["reveal", "-", "-n", "1"], stdin=r.stdout)
    assert r2.code == 0 and r2.stdout.startswith(b"\x89PNG")


def test_cli_reveal_needs_a_count_and_checks_it(tiny_weights, tmp_path, pictures):
    cover, secrets = pictures
    stego, key = tmp_path / "stego.png", tmp_path / "z.npy"
    assert run_steg(["hide", cover, *secrets[:2], "-o", str(stego), "--key-out", str(key)]).code == 0
    r = run_steg(["reveal", str(stego), "-o", str(tmp_path / "r.png")])
    assert r.code == 2 and "-n N" in r.stderr
    r = run_steg(["reveal", str(stego), "-n", "3", "--key", str(key), "-o", str(tmp_path / "r.png")])
    assert r.code == 2 and "does not match isn-2" in r.stderr
    r = run_steg(["reveal", str(stego), "-n", "2"])
    assert r.code == 2 and "give -o" in r.stderr
    assert not list(tmp_path.glob("r*.png"))


def test_cli_too_many_secrets(tiny_weights, tmp_path, pictures):
    cover, secrets = pictures
    r = run_steg(["hide", cover, *(secrets * 6), "-o", str(tmp_path / "s.png")])
    assert r.code == 2 and "1 to 16" in r.stderr
    assert not (tmp_path / "s.png").exists()


def test_cli_refuses_existing_revealed_outputs(tiny_weights, tmp_path, pictures):
    cover, secrets = pictures
    stego = tmp_path / "stego.png"
    assert run_steg(["hide", cover, *secrets[:2], "-o", str(stego)]).code == 0
    (tmp_path / "out-2.png").write_bytes(b"keep")
    r = run_steg(["reveal", str(stego), "-n", "2", "-o", str(tmp_path / "out.png")])
    assert r.code == 2 and "--force" in r.stderr
    assert not (tmp_path / "out-1.png").exists()


def test_eval_reports_keyless_and_keyed_quality(tiny_weights, tmp_path):
    covers, secrets = tmp_path / "covers", tmp_path / "secrets"
    covers.mkdir(), secrets.mkdir()
    for i in range(3):
        save(covers / f"c{i}.png", smooth_image(40, 40, i))
        save(secrets / f"s{i}.png", smooth_image(40, 40, 10 + i))
    r = run_steg(["eval", "-m", "isn-2", "--covers", str(covers), "--secrets", str(secrets), "--pairs", "2",
                  "--size", "32", "--json"])
    assert r.code == 0, r.stderr
    import json

    report = json.loads(r.stdout)
    assert report["pairs"] == 2 and report["revealed_with_key_psnr"]["min"] == "inf"
    assert report["stego_psnr"]["mean"] < 60 and "revealed_ssim" in report
    import hashlib

    assert report["weights_sha256"] == hashlib.sha256((tiny_weights / "isn-2.safetensors").read_bytes()).hexdigest()
    r = run_steg(["eval", "-m", "isn-2", "--covers", str(covers)])
    assert r.code == 2 and "--secrets" in r.stderr


def test_eval_crops_never_hide_a_photograph_in_itself(tmp_path):
    from stegcli.eval.evaluate import fixed_crops

    files = []
    for i in range(6):  # flat images whose colour names their file
        files.append(tmp_path / f"{i}.png")
        Image.fromarray(np.full((20, 20, 3), 10 * i, np.uint8)).save(files[-1])
    n, pairs = 4, 9
    covers = fixed_crops(files, pairs, 16, seed=0)
    secrets = fixed_crops(files, pairs * n, 16, seed=1, per_cover=n, shift=1)
    for k, cover in enumerate(covers):
        sources = {int(s[0, 0, 0]) for s in secrets[k * n : (k + 1) * n]}
        assert len(sources) == n and int(cover[0, 0, 0]) not in sources


def test_cli_reveal_refuses_the_key_of_another_stego(tiny_weights, tmp_path, pictures):
    cover, secrets = pictures
    for name in ("one", "two"):
        r = run_steg(["hide", cover, secrets[0] if name == "one" else secrets[1], "-o", str(tmp_path / f"{name}.png"),
                      "--key-out", str(tmp_path / f"{name}.npy")])
        assert r.code == 0, r.stderr
    r = run_steg(["reveal", str(tmp_path / "one.png"), "--key", str(tmp_path / "two.npy"), "-o", str(tmp_path / "r.png")])
    assert r.code == 5 and "different stego" in r.stderr and not (tmp_path / "r.png").exists()


def test_api_refuses_arrays_that_are_not_8_bit_rgb():
    c = codec(1)
    cover = smooth_image(32, 32)
    for bad in (cover[..., 0], np.dstack([cover, cover[..., :1]]), cover.astype(np.float32) / 255, Image.fromarray(cover)):
        with pytest.raises(InputError, match=r"\(H, W, 3\) uint8"):
            c.hide(cover, [bad])
    with pytest.raises(InputError, match="cover"):
        c.hide(cover.astype(np.float64), [cover])
    with pytest.raises(InputError, match="a list of images"):
        c.hide(cover, cover)  # one array is not a list of its rows


def test_cli_reveal_refuses_a_bits_key_as_an_input_error(tiny_weights, tmp_path, pictures):
    cover, _ = pictures
    message, stego, key = tmp_path / "m.txt", tmp_path / "bits.png", tmp_path / "bz.npy"
    message.write_bytes(b"hi")
    assert run_steg(["embed-bits", str(message), "-c", cover, "-o", str(stego), "--key-out", str(key), "-q"]).code == 0
    r = run_steg(["reveal", str(stego), "--key", str(key), "-o", str(tmp_path / "r.png")])
    assert r.code == 3 and "made by bits-3" in r.stderr
    r = run_steg(["hide", cover, cover, "-m", "bits-3", "-o", str(tmp_path / "s.png")])
    assert r.code == 2 and "'bits-3' is a bits model" in r.stderr


def test_cli_reveal_output_checks(tiny_weights, tmp_path, pictures, monkeypatch):
    cover, secrets = pictures
    stego = tmp_path / "stego.png"
    assert run_steg(["hide", cover, *secrets[:2], "-o", str(stego)]).code == 0
    monkeypatch.chdir(tmp_path)
    r = run_steg(["reveal", str(stego), "-n", "2", "-o", "."])
    assert r.code == 2 and "is a directory" in r.stderr
    r = run_steg(["reveal", "-", "--key", "-", "-o", "r.png"], stdin=stego.read_bytes())
    assert r.code == 2 and "only one input can come from stdin" in r.stderr
    r = run_steg(["reveal", str(stego), "-n", "2", "-o", "shown.jpg"])  # a revealed image hides nothing: JPEG is fine
    assert r.code == 0, r.stderr
    assert [Image.open(tmp_path / f"shown-{i}.jpg").format for i in (1, 2)] == ["JPEG", "JPEG"]
