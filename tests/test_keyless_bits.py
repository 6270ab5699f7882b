"""Keyless payloads end to end: the shipped bits-1 on a small photograph, through PNG, with and without a
passphrase; the refusals; every way of giving a passphrase to ``steg``."""

import numpy as np
import pytest
from helpers import run_steg, smooth_image, tiny_inn
from PIL import Image

from stegcli.cli import common
from stegcli.codecs.bits import BitsCodec
from stegcli.errors import CapacityError, IntegrityError
from stegcli.eval.evaluate import png_roundtrip
from stegcli.io.images import read_image
from stegcli.models.registry import get_spec
from stegcli.payload import container, crypto
from stegcli.samples import sample_path


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    monkeypatch.setattr(crypto, "DEFAULT_KDF", crypto.KdfParams(log2_n=10))
    monkeypatch.delenv("STEGCLI_WEIGHTS", raising=False)
    monkeypatch.delenv(common.PASSPHRASE_ENV, raising=False)


@pytest.fixture(scope="module")
def bits1() -> BitsCodec:
    return BitsCodec.from_name("bits-1", "cpu")


def photo() -> np.ndarray:
    return read_image(sample_path("cover.png"))[:64, :96]


def message_of(size: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("passphrase", [None, b"correct horse battery staple"])
def test_shipped_bits1_keyless_round_trip_through_png(bits1, passphrase):
    cover = photo()
    message = message_of(bits1.keyless_capacity_bytes(64, 96, passphrase is not None) // 2)
    result = bits1.embed_keyless(cover, message, passphrase)
    stego = png_roundtrip(result.stego)
    assert not np.array_equal(stego, cover)
    assert bits1.extract_keyless(stego, passphrase) == message
    assert result.sealed == (passphrase is not None)


def test_passphrase_payload_opens_with_its_passphrase_only(bits1):
    result = bits1.embed_keyless(photo(), b"for your eyes only", b"right")
    for reader in (b"wrong", None):
        with pytest.raises(IntegrityError, match=r"no payload found \(or the passphrase is wrong\)"):
            bits1.extract_keyless(result.stego, reader)
    with pytest.raises(IntegrityError, match=r"no payload found \(or the passphrase is wrong\)"):
        bits1.extract_keyless(photo(), b"right")  # an image without a payload says the same


def test_message_over_the_keyless_capacity_is_refused(bits1):
    limit = bits1.keyless_capacity_bytes(64, 96, sealed=True)
    with pytest.raises(CapacityError, match=f"at most {limit} bytes"):
        bits1.embed_keyless(photo(), bytes(limit + 1), b"pw")


def test_refused_when_the_optimisation_cannot_reach_exactness():
    hopeless = BitsCodec(tiny_inn(3, seed=1, scale=0.003), get_spec("bits-1"))  # keeps its payload in z
    hopeless.keyless_settings = type(hopeless.keyless_settings)(max_steps=3)
    with pytest.raises(CapacityError, match="could not make the stego decode exactly without a key"):
        hopeless.embed_keyless(smooth_image(32, 32), b"x" * 20)


def test_cli_keyless_round_trip_says_anyone_can_read_it(tmp_path):
    cover, stego, out = tmp_path / "c.png", tmp_path / "s.png", tmp_path / "out.bin"
    Image.fromarray(photo()).save(cover)
    (tmp_path / "m.txt").write_bytes(b"plain but exact\n")
    r = run_steg(["embed-bits", str(tmp_path / "m.txt"), "-c", str(cover), "-o", str(stego)])
    assert r.code == 0, r.stderr
    assert "anyone with stegcli can read it" in r.stderr
    r = run_steg(["extract-bits", str(stego), "-o", str(out)])
    assert r.code == 0, r.stderr
    assert out.read_bytes() == b"plain but exact\n"


def test_cli_passphrase_from_env_file_and_prompt(tmp_path, monkeypatch):
    cover, stego = tmp_path / "c.png", tmp_path / "s.png"
    Image.fromarray(photo()).save(cover)
    (tmp_path / "m.txt").write_bytes(b"sealed\n")
    (tmp_path / "pass.txt").write_bytes(b"hunter2\n")  # the first line, without its newline
    r = run_steg(["embed-bits", str(tmp_path / "m.txt"), "-c", str(cover), "-o", str(stego),
                  "--passphrase-file", str(tmp_path / "pass.txt")])
    assert r.code == 0, r.stderr
    assert "anyone" not in r.stderr

    monkeypatch.setenv(common.PASSPHRASE_ENV, "hunter2")
    assert run_steg(["extract-bits", str(stego)]).stdout == b"sealed\n"
    monkeypatch.setenv(common.PASSPHRASE_ENV, "hunter3")
    wrong = run_steg(["extract-bits", str(stego)])
    monkeypatch.delenv(common.PASSPHRASE_ENV)
    none = run_steg(["extract-bits", str(stego)])
    assert wrong.code == none.code == 5 and wrong.stderr == none.stderr
    assert wrong.stdout == none.stdout == b""

    typed = iter(["hunter2"])
    monkeypatch.setattr(common, "has_terminal", lambda: True)
    monkeypatch.setattr(common.getpass, "getpass", lambda prompt: next(typed))
    assert run_steg(["extract-bits", str(stego), "-p"]).stdout == b"sealed\n"


def test_cli_prompt_refusals(tmp_path, monkeypatch):
    cover, stego = tmp_path / "c.png", tmp_path / "s.png"
    Image.fromarray(smooth_image(32, 32)).save(cover)
    (tmp_path / "m.txt").write_bytes(b"x")
    args = ["embed-bits", str(tmp_path / "m.txt"), "-c", str(cover), "-o", str(stego), "-p"]
    monkeypatch.setattr(common, "has_terminal", lambda: False)
    r = run_steg(args)
    assert r.code == 2 and "no terminal to ask for the passphrase" in r.stderr
    monkeypatch.setattr(common, "has_terminal", lambda: True)
    typed = iter(["one", "two"])
    monkeypatch.setattr(common.getpass, "getpass", lambda prompt: next(typed))
    r = run_steg(args)
    assert r.code == 2 and "the two passphrases differ" in r.stderr
    (tmp_path / "empty").write_bytes(b"\n")
    r = run_steg(args[:-1] + ["--passphrase-file", str(tmp_path / "empty")])
    assert r.code == 2 and "is empty" in r.stderr
    r = run_steg(args + ["--key-out", str(tmp_path / "z.npy")])
    assert r.code == 2 and "leave out --key-out" in r.stderr
    assert not stego.exists()


def test_container_layouts_differ_per_passphrase():
    total = 30_000
    a = container.Layout.for_passphrase(b"a", total).order
    assert not np.array_equal(a, container.Layout.for_passphrase(b"b", total).order)
    assert not np.array_equal(a, container.Layout.for_passphrase(None, total).order)


def test_regions_grow_from_the_centre_and_end_with_the_whole_image_when_it_is_small_enough():
    from stegcli.codecs.bits import MAX_REGION_SIDE, keyless_regions

    assert keyless_regions(64, 96) == [(0, 0, 64, 96)]
    assert keyless_regions(512, 600) == [(128, 172, 256, 256), (0, 44, 512, 512), (0, 0, 512, 600)]
    big = keyless_regions(3000, 4001)
    assert big[-1] == ((3000 - MAX_REGION_SIDE) // 2, (4001 - MAX_REGION_SIDE) // 2, MAX_REGION_SIDE, MAX_REGION_SIDE)


def test_short_message_in_a_larger_cover_only_touches_the_centre(bits1):
    cover = read_image(sample_path("cover.png"))  # 256x384: the payload takes the centre 256x256
    result = bits1.embed_keyless(cover, b"a short note", b"pw")
    changed = np.argwhere((result.stego != cover).any(axis=2))
    assert changed[:, 1].min() >= 64 and changed[:, 1].max() < 64 + 256
    assert bits1.extract_keyless(png_roundtrip(result.stego), b"pw") == b"a short note"


def test_a_receiver_need_not_know_the_model(tmp_path):
    from stegcli.codecs.bits import extract_bits, extract_keyless_any

    codec = BitsCodec.from_name("bits-2", "cpu")
    result = codec.embed_keyless(photo(), b"which model?", b"pw")
    stego = png_roundtrip(result.stego)
    assert extract_keyless_any(stego, b"pw") == ("bits-2", b"which model?")
    assert extract_bits(stego, passphrase=b"pw") == b"which model?"
    Image.fromarray(stego).save(tmp_path / "s.png")
    r = run_steg(["extract-bits", str(tmp_path / "s.png"), "--passphrase-file", str(_write(tmp_path / "p", b"pw"))])
    assert r.code == 0 and r.stdout == b"which model?" and "with bits-2" in r.stderr


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_eval_measures_keyless_payloads(tmp_path):
    import json

    folder = tmp_path / "covers"
    folder.mkdir()
    full = read_image(sample_path("cover.png"))
    for i, x in enumerate((0, 160)):
        Image.fromarray(full[:96, x : x + 96]).save(folder / f"c{i}.png")
    r = run_steg(["eval", "--model", "bits-1", "--covers", str(folder), "--keyless", "--pairs", "2", "--size", "64",
                  "--fill", "0.5", "--json"])
    assert r.code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["passphrase"] and report["pairs"] == 2 and report["exact_keyless"] == 1.0
    assert report["message_bytes"] == BitsCodec.from_name("bits-1").keyless_capacity_bytes(64, 64, True) // 2
    assert report["stego_psnr"]["min"] > 30


def grainy_photo() -> np.ndarray:
    """The bundled cover with a camera's grain: the stealth setting hides its change in texture, and the
    bundled landscape alone is smoother than photographs are."""
    cover = read_image(sample_path("cover.png"))[:128, :128].astype(float)
    return np.clip(cover + np.random.default_rng(0).normal(0, 3, cover.shape), 0, 255).round().astype(np.uint8)


def test_stealth_payload_is_exact_with_its_passphrase_and_changes_few_samples(bits1):
    from stegcli.codecs.bits import STEALTH_BPP
    from stegcli.eval.metrics import psnr

    cover = grainy_photo()
    limit = bits1.keyless_capacity_bytes(128, 128, sealed=True, stealth=True)
    assert limit == int(STEALTH_BPP * 128 * 128) // 8
    message = message_of(limit, seed=3)
    result = bits1.embed_keyless(cover, message, b"pw", stealth=True)
    stego = png_roundtrip(result.stego)
    assert result.stealth and bits1.extract_keyless(stego, b"pw") == message
    with pytest.raises(IntegrityError):
        bits1.extract_keyless(stego, b"wrong")
    assert psnr(stego, cover) >= 45
    plain = bits1.embed_keyless(cover, message, b"pw").stego  # the forward pass changes nearly every sample
    assert np.mean(stego != cover) < 0.5 * np.mean(plain != cover)


def test_stealth_refuses_more_than_its_capacity(bits1):
    limit = bits1.keyless_capacity_bytes(128, 128, sealed=True, stealth=True)
    assert limit < bits1.keyless_capacity_bytes(128, 128, sealed=True)
    with pytest.raises(CapacityError, match=f"stealth setting .* at most {limit} bytes"):
        bits1.embed_keyless(grainy_photo(), bytes(limit + 1), b"pw", stealth=True)


def test_stealth_refuses_a_cover_too_smooth_to_hide_it(bits1):
    bits1.stealth_settings = type(bits1.stealth_settings)(max_steps=5)
    try:
        with pytest.raises(CapacityError, match="too smooth"):
            bits1.embed_keyless(read_image(sample_path("cover.png"))[:64, :64], message_of(20), b"pw", stealth=True)
    finally:
        bits1.stealth_settings = type(bits1.stealth_settings)()


def test_stealth_refuses_rather_than_fall_below_its_distortion_bound(bits1):
    import torch

    from stegcli.codecs.keyless import SparseSettings, refine_sparse
    from stegcli.io.tensors import to_tensor

    cover = to_tensor(grainy_photo()[:64, :64], "cpu")
    shape = (1, bits1.engine.model.config.secret_channels, 64, 64)
    bits = torch.from_numpy((np.random.default_rng(1).random(shape) < 0.5).astype(np.float32))
    bound = SparseSettings(min_psnr=70.0)  # about 0.02 grey levels squared a sample: a few changes only
    outcome = refine_sparse(bits1.engine.model, cover, bits, torch.ones(shape, dtype=torch.bool),
                            lambda wrong, margins: not wrong.any(), bound)
    assert outcome.wrong.any() and outcome.steps < bound.max_steps
    assert (((outcome.stego - cover) * 255).round() ** 2).sum() <= cover.numel() * 255**2 / 10**7


def test_texture_cost_is_dear_where_the_cover_is_smooth():
    import torch

    from stegcli.codecs.keyless import texture_cost

    image = torch.full((1, 3, 64, 64), 128.0)
    image[..., 32:] += torch.from_numpy(np.random.default_rng(0).normal(0, 20, (1, 3, 64, 32))).float()
    cost = texture_cost(image)
    assert cost[..., 8:24, 4:20].min() > 100 * cost[..., 8:24, 44:60].max()


def test_cli_stealth_refusals_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(common.PASSPHRASE_ENV, "pw")
    cover, stego = tmp_path / "c.png", tmp_path / "s.png"
    Image.fromarray(grainy_photo()).save(cover)
    (tmp_path / "big.bin").write_bytes(bytes(103))  # the stealth capacity of 128x128 is 102 bytes
    r = run_steg(["embed-bits", str(tmp_path / "big.bin"), "-c", str(cover), "-o", str(stego), "--stealth"])
    assert r.code == 4 and "stealth setting" in r.stderr and not stego.exists()
    monkeypatch.delenv(common.PASSPHRASE_ENV)
    r = run_steg(["embed-bits", str(tmp_path / "big.bin"), "-c", str(cover), "-o", str(stego), "--stealth",
                  "--key-out", str(tmp_path / "z.npy")])
    assert r.code == 2 and "--stealth is a keyless setting" in r.stderr and not stego.exists()
    r = run_steg(["capacity", str(cover), "--json"])
    assert [row["stealth_bytes"] for row in __import__("json").loads(r.stdout)["capacity"]] == [102, 102, 102]


def test_cli_stealth_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(common.PASSPHRASE_ENV, "pw")
    cover, stego, out = tmp_path / "c.png", tmp_path / "s.png", tmp_path / "out.txt"
    Image.fromarray(grainy_photo()).save(cover)
    (tmp_path / "m.txt").write_bytes(b"meet at the usual place\n")
    r = run_steg(["embed-bits", str(tmp_path / "m.txt"), "-c", str(cover), "-o", str(stego), "--stealth"])
    assert r.code == 0 and "stealth" in r.stderr, r.stderr
    r = run_steg(["extract-bits", str(stego), "-o", str(out)])
    assert r.code == 0, r.stderr
    assert out.read_bytes() == b"meet at the usual place\n"
