from helpers import run_steg


def test_demo_writes_its_files_and_reports_exact_extraction(tiny_weights, tmp_path):
    out = tmp_path / "demo"
    r = run_steg(["demo", "-o", str(out), "--device", "cpu"])
    assert r.code == 0, r.stderr
    assert "exact (key)" in r.stderr and "NO" not in r.stderr
    message = (out / "message.txt").read_bytes()
    for bpp in (1, 2, 3):
        assert (out / f"extracted-bits-{bpp}.txt").read_bytes() == message
        assert (out / f"stego-bits-{bpp}.png").exists() and (out / f"z-bits-{bpp}.npy").exists()


def test_demo_shows_the_passphrase_round_trip_with_the_shipped_weights(tmp_path, monkeypatch):
    monkeypatch.delenv("STEGCLI_WEIGHTS", raising=False)
    out = tmp_path / "demo"
    r = run_steg(["demo", "-o", str(out), "--device", "cpu"])
    assert r.code == 0, r.stderr
    assert "a passphrase-protected message, no key file" in r.stderr
    assert (out / "extracted-passphrase.txt").read_bytes() == (out / "message.txt").read_bytes()
    from stegcli.codecs.bits import BitsCodec
    from stegcli.eval.demo import DEMO_PASSPHRASE
    from stegcli.io.images import read_image

    codec = BitsCodec.from_name("bits-1")
    stego = read_image(out / "stego-passphrase.png")
    assert codec.extract_keyless(stego, DEMO_PASSPHRASE) == (out / "message.txt").read_bytes()
    assert codec.try_extract_keyless(stego, b"guess") is None


def test_demo_refuses_a_non_empty_folder_without_force(tiny_weights, tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    r = run_steg(["demo", "-o", str(tmp_path)])
    assert r.code == 2 and "not empty" in r.stderr


def test_demo_hides_and_reveals_an_image_when_isn_1_is_installed(tiny_weights, tmp_path):
    out = tmp_path / "demo"
    r = run_steg(["demo", "-o", str(out), "--device", "cpu", "-q"])
    assert r.code == 0, r.stderr
    assert "an image in the bundled cover" in r.stderr
    for name in ("secret.png", "stego-isn-1.png", "revealed-isn-1.png", "figure-isn-1.png"):
        assert (out / name).exists()


def test_demo_without_weights_is_a_weights_error_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tmp_path / "none"))
    r = run_steg(["demo", "-o", str(tmp_path / "out")])
    assert r.code == 6 and "nothing to demonstrate" in r.stderr
    assert not (tmp_path / "out").exists()


def test_demo_refuses_a_file_as_its_folder(tiny_weights, tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    r = run_steg(["demo", "-o", str(tmp_path / "f")])
    assert r.code == 2 and "is a file" in r.stderr
