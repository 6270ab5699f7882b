"""End-to-end behaviour of ``steg`` through its real entry point (in-process)."""

import json

import numpy as np
import pytest
from helpers import run_steg, smooth_image
from PIL import Image

from stegcli import __version__


@pytest.mark.parametrize("bpp", [1, 2, 3])
def test_embed_extract_files_round_trip(tiny_weights, tmp_path, cover_png, message_file, bpp):
    stego, key, out = tmp_path / "stego.png", tmp_path / "z.npy", tmp_path / "out.bin"
    r = run_steg(["embed-bits", str(message_file), "--cover", str(cover_png), "-o", str(stego),
                  "--key-out", str(key), "--model", f"bits-{bpp}"])
    assert r.code == 0, r.stderr
    assert r.stdout == b""  # data only on stdout, and here the data went to a file
    r = run_steg(["extract-bits", str(stego), "--key", str(key), "-o", str(out)])
    assert r.code == 0, r.stderr
    assert out.read_bytes() == message_file.read_bytes()


def test_pipes_cover_on_stdin_stego_on_stdout(tiny_weights, tmp_path, cover_png, message_file):
    key = tmp_path / "z.npy"
    r = run_steg(["embed-bits", str(message_file), "--key-out", str(key)], stdin=cover_png.read_bytes())
    assert r.code == 0, r.stderr
    assert r.stdout.startswith(b"\x89PNG")
    r2 = run_steg(["extract-bits", "-", "--key", str(key)], stdin=r.stdout)
    assert r2.code == 0, r2.stderr
    assert r2.stdout == message_file.read_bytes()


def test_message_from_stdin(tiny_weights, tmp_path, cover_png):
    stego, key = tmp_path / "s.png", tmp_path / "z.npy"
    r = run_steg(["bits", "embed", "-", "-c", str(cover_png), "-o", str(stego), "--key-out", str(key), "-m", "bits-1"],
                 stdin=b"from a pipe\n")
    assert r.code == 0, r.stderr
    r = run_steg(["bits", "extract", str(stego), "-k", str(key)])
    assert r.stdout == b"from a pipe\n"


def test_quiet_silences_notices(tiny_weights, tmp_path, cover_png, message_file):
    r = run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(tmp_path / "s.png"),
                  "--key-out", str(tmp_path / "z.npy"), "-q"])
    assert r.code == 0 and r.stderr == ""


def test_keyless_embed_that_cannot_reach_exactness_is_refused_and_writes_nothing(tiny_weights, tmp_path, cover_png,
                                                                                   message_file):
    # the tiny random bits-1 keeps almost all of its payload in z, so no stego of it decodes without the key
    out = tmp_path / "s.png"
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(out)]), 4,
                 "could not make the stego decode exactly without a key")
    assert not out.exists()


def test_version_and_models_json(tiny_weights):
    r = run_steg(["--version"])
    assert r.code == 0 and r.stdout.decode().strip() == f"steg {__version__}"
    r = run_steg(["models", "--json"])
    infos = {m["name"]: m for m in json.loads(r.stdout)}
    assert infos["bits-1"]["installed"] and infos["bits-3"]["config"]["bpp"] == 3


def test_capacity_json(tmp_path):
    path = tmp_path / "c.png"
    Image.fromarray(smooth_image(64, 32)).save(path)
    r = run_steg(["capacity", str(path), "--json"])
    data = json.loads(r.stdout)
    assert {row["bpp"]: row["keyed_bytes"] for row in data["capacity"]} == {1: 756, 2: 1524, 3: 2292}
    from stegcli.codecs.bits import KEYLESS_FILL
    from stegcli.payload.container import max_message_bytes
    for row in data["capacity"]:
        positions = int(3 * row["bpp"] * 64 * 32 * KEYLESS_FILL[row["bpp"]])
        assert row["keyless_bytes"] == max_message_bytes(positions, sealed=False)
        assert row["passphrase_bytes"] == max_message_bytes(positions, sealed=True) < row["keyless_bytes"]


# -- bad input: one line on stderr, a documented exit code, no output file ---------------
def assert_fails(result, code: int, text: str):
    assert result.code == code, (result.code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("steg: error:") and text in lines[0], result.stderr
    assert result.stdout == b""


def test_missing_cover(tiny_weights, tmp_path, message_file):
    out = tmp_path / "s.png"
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(tmp_path / "nope.png"), "-o", str(out)]), 3, "no such file")
    assert not out.exists()


def test_corrupt_cover(tiny_weights, tmp_path, message_file):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    out = tmp_path / "s.png"
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(bad), "-o", str(out)]), 3, "not a readable image")
    assert not out.exists()


def test_non_image_on_stdin(tiny_weights, tmp_path, message_file):
    assert_fails(run_steg(["embed-bits", str(message_file), "-o", str(tmp_path / "s.png")], stdin=b"hello"), 3,
                 "not a readable image")
    assert_fails(run_steg(["extract-bits", "-"], stdin=b""), 3, "standard input is empty")


def test_message_too_large(tiny_weights, tmp_path, cover_png):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 10_000)
    out = tmp_path / "s.png"
    assert_fails(run_steg(["embed-bits", str(big), "-c", str(cover_png), "-o", str(out), "-m", "bits-1",
                           "--key-out", str(tmp_path / "z.npy")]), 4, "at most 1140 bytes")
    from stegcli.codecs.bits import keyless_capacity_bytes
    assert_fails(run_steg(["embed-bits", str(big), "-c", str(cover_png), "-o", str(out)]), 4,
                 f"at most {keyless_capacity_bytes(48, 64, 1, sealed=False)} bytes keylessly")
    assert not out.exists()


def test_cover_too_small(tiny_weights, tmp_path, message_file):
    small = tmp_path / "small.png"
    Image.fromarray(smooth_image(10, 10)).save(small)
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(small), "-o", str(tmp_path / "s.png")]), 4, "at least 16x16")


def test_unknown_model(tiny_weights, tmp_path, cover_png, message_file):
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(tmp_path / "s.png"),
                           "-m", "bits-9"]), 2, "unknown model 'bits-9'")


def test_output_would_overwrite_input(tiny_weights, cover_png, message_file):
    before = cover_png.read_bytes()
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(cover_png), "--force"]), 2,
                 "refusing to overwrite input")
    assert cover_png.read_bytes() == before


def test_existing_output_needs_force(tiny_weights, tmp_path, cover_png, message_file):
    out = tmp_path / "s.png"
    out.write_bytes(b"keep me")
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(out)]), 2, "--force")
    assert out.read_bytes() == b"keep me"
    assert run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(out), "--force", "-q",
                     "--key-out", str(tmp_path / "z.npy")]).code == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_lossy_output_is_refused(tiny_weights, tmp_path, cover_png, message_file):
    out = tmp_path / "s.jpg"
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(out)]), 2, "lossy")
    assert not out.exists()


@pytest.fixture
def embedded(tiny_weights, tmp_path, cover_png, message_file):
    stego, key = tmp_path / "stego.png", tmp_path / "z.npy"
    assert run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(stego), "--key-out", str(key),
                     "-m", "bits-3"]).code == 0
    return stego, key


def test_truncated_key(embedded, tmp_path):
    stego, key = embedded
    cut = tmp_path / "cut.npy"
    cut.write_bytes(key.read_bytes()[:200])
    out = tmp_path / "m.out"
    assert_fails(run_steg(["extract-bits", str(stego), "--key", str(cut), "-o", str(out)]), 3, "not a valid .npy key")
    assert not out.exists()


def test_plain_array_is_not_a_key(embedded, tmp_path):
    stego, _ = embedded
    fake = tmp_path / "fake.npy"
    np.save(fake, np.zeros((36, 24, 32), np.float32))
    assert_fails(run_steg(["extract-bits", str(stego), "--key", str(fake)]), 3, "not a stegcli key")


def test_wrong_model_for_key(embedded):
    stego, key = embedded
    assert_fails(run_steg(["extract-bits", str(stego), "--key", str(key), "-m", "bits-1"]), 3,
                 "made by model 'bits-3', not 'bits-1'")


def test_key_of_another_stego(embedded, tmp_path, message_file):
    stego, _ = embedded
    other = tmp_path / "other.png"
    Image.fromarray(smooth_image(48, 64, seed=9)).save(other)
    key2 = tmp_path / "z2.npy"
    assert run_steg(["embed-bits", str(message_file), "-c", str(other), "-o", str(tmp_path / "s2.png"),
                     "--key-out", str(key2)]).code == 0
    assert_fails(run_steg(["extract-bits", str(stego), "--key", str(key2)]), 5, "different stego")


def test_no_payload(tiny_weights, cover_png):
    assert_fails(run_steg(["extract-bits", str(cover_png)]), 5, "no payload")


def test_key_out_naming_the_stego_by_another_spelling_is_refused(tiny_weights, tmp_path, cover_png, message_file,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    for spelling in (str(tmp_path / "s.png"), "sub/../s.png"):
        assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", "s.png",
                               "--key-out", spelling]), 2, "name the same file")
    assert not (tmp_path / "s.png").exists()


def test_stego_and_key_cannot_share_stdout(tiny_weights, tmp_path, cover_png, message_file):
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "--key-out", "-"]), 2,
                 "give --key-out FILE")


def test_unwritable_key_leaves_no_stego(tiny_weights, tmp_path, cover_png, message_file):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"x")
    out = tmp_path / "s.png"
    assert_fails(run_steg(["embed-bits", str(message_file), "-c", str(cover_png), "-o", str(out),
                           "--key-out", str(blocker / "z.npy")]), 2, "is not a folder")
    assert not out.exists()


def test_npz_and_mistyped_keys_are_input_errors(embedded, tmp_path):
    stego, key = embedded
    archive = tmp_path / "k.npz"
    np.savez(archive, z=np.zeros(3))
    assert_fails(run_steg(["extract-bits", str(stego), "--key", str(archive)]), 3, "an .npz archive")
    record = np.load(key, allow_pickle=False)
    fields = [(name, "<i8" if name == "model" else record.dtype.fields[name][0]) for name in record.dtype.names]
    mistyped = np.zeros((), dtype=fields)
    for name in record.dtype.names:
        if name != "model":
            mistyped[name] = record[name]
    np.save(tmp_path / "int-model.npy", mistyped, allow_pickle=False)
    assert_fails(run_steg(["extract-bits", str(stego), "--key", str(tmp_path / "int-model.npy")]), 3, "corrupt")


def test_text_given_as_key_does_not_suggest_unpickling(embedded, tmp_path):
    stego, _ = embedded
    text = tmp_path / "key.txt"
    text.write_text("not a key")
    result = run_steg(["extract-bits", str(stego), "--key", str(text)])
    assert_fails(result, 3, "not a valid .npy key file")
    assert "pickle" not in result.stderr


def test_parse_errors_are_one_line(tiny_weights, tmp_path, cover_png):
    assert_fails(run_steg(["attack", str(cover_png), "--jpeg", "abc"]), 2, "--jpeg")
    assert_fails(run_steg(["extract-bits", str(cover_png), "--bogus"]), 2, "No such option: --bogus")
    assert_fails(run_steg(["embed-bits"]), 2, "steg embed-bits --help")


def test_help_lists_the_exit_codes():
    r = run_steg(["--help"])
    assert r.code == 0 and b"Exit codes" in r.stdout


def test_eval_bits_reports_exactness_and_quality(tiny_weights, tmp_path):
    folder = tmp_path / "covers"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(smooth_image(40, 40, i)).save(folder / f"c{i}.png")
    r = run_steg(["eval", "-m", "bits-2", "--covers", str(folder), "--pairs", "3", "--size", "32", "--json"])
    assert r.code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["pairs"] == 3 and report["exact_with_key"] == 1.0
    assert 0.0 <= report["keyless_bit_accuracy"]["mean"] <= 1.0 and report["stego_psnr"]["mean"] < 60
