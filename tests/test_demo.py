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
