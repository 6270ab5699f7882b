import logging

import numpy as np
import pytest
from helpers import smooth_image
from PIL import Image

from stegcli.errors import InputError, UsageError
from stegcli.imageio import check_output, encode_image, read_image, write_output


@pytest.mark.parametrize("mode,notice", [("L", "grayscale"), ("RGBA", "alpha"), ("P", "palette"), ("LA", "alpha")])
def test_other_modes_become_rgb_with_a_notice(tmp_path, caplog, mode, notice):
    path = tmp_path / f"img-{mode}.png"
    Image.fromarray(smooth_image(20, 24)).convert(mode).save(path)
    with caplog.at_level(logging.INFO, logger="stegcli"):
        image = read_image(path)
    assert image.shape == (20, 24, 3) and image.dtype == np.uint8
    assert notice in caplog.text


def test_sixteen_bit_png_is_reduced_to_eight_bits(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)).save(path)
    image = read_image(path)
    assert image.shape == (64, 64, 3) and image.max() == 255


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".webp"])
def test_lossless_formats_round_trip_exactly(tmp_path, suffix):
    image = smooth_image(17, 23)
    path = tmp_path / f"x{suffix}"
    write_output(path, encode_image(image, path))
    assert np.array_equal(read_image(path), image)


@pytest.mark.parametrize("name", ["x.jpg", "x.JPEG", "x.gif"])
def test_lossy_formats_are_refused(name):
    with pytest.raises(UsageError, match="lossy"):
        encode_image(smooth_image(8, 8), name)


def test_unknown_format_is_refused():
    with pytest.raises(UsageError, match="unknown image format"):
        encode_image(smooth_image(8, 8), "x.xyz")


def test_check_output_rules(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(b"x")
    with pytest.raises(UsageError, match="overwrite input"):
        check_output(src, [src], force=True)
    other = tmp_path / "out.png"
    other.write_bytes(b"y")
    with pytest.raises(UsageError, match="--force"):
        check_output(other, [src], force=False)
    check_output(other, [src], force=True)
    with pytest.raises(UsageError, match="does not exist"):
        check_output(tmp_path / "missing" / "o.png", [src], force=False)


def test_write_is_atomic_and_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("stegcli.imageio.os.replace", boom)
    with pytest.raises(OSError):
        write_output(target, b"new content")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_unreadable_inputs(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "none.png")
    with pytest.raises(InputError, match="is a directory"):
        read_image(tmp_path)
    (tmp_path / "t.txt").write_text("not an image")
    with pytest.raises(InputError, match="not a readable image"):
        read_image(tmp_path / "t.txt")


def test_outputs_get_ordinary_permissions(tmp_path):
    import os

    target = tmp_path / "out.png"
    write_output(target, b"data")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
