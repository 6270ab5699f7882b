import logging
import struct
import zlib

import numpy as np
import pytest
from helpers import smooth_image
from PIL import Image

from stegcli.errors import InputError, UsageError
from stegcli.io.files import (
    check_encodable,
    check_output,
    same_file,
    write_output,
    write_outputs,
)
from stegcli.io.images import encode_image, read_image


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


def test_dark_sixteen_bit_png_stays_dark(tmp_path):
    path = tmp_path / "dark.png"
    Image.fromarray(np.full((32, 32), 200, np.uint16)).save(path)  # 200 of 65535: nearly black
    assert read_image(path).max() == 1


def test_floating_point_tiff_in_unit_range_is_scaled(tmp_path):
    path = tmp_path / "float.tif"
    Image.fromarray(np.full((16, 16), 0.5, np.float32), "F").save(path)
    assert read_image(path).max() == 128  # 0.5 of full scale, not black


def png_rgb16(path, pixels: np.ndarray) -> None:
    """A 16-bit RGB PNG, which Pillow reads but cannot write."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width = pixels.shape[:2]
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_sixteen_bit_rgb_png_says_it_loses_bits(tmp_path, caplog):
    path = tmp_path / "deep-rgb.png"
    png_rgb16(path, np.full((8, 8, 3), 65535, np.uint16))
    with caplog.at_level(logging.INFO, logger="stegcli"):
        image = read_image(path)
    assert image.shape == (8, 8, 3) and image.min() == 255
    assert "16-bit image reduced to 8 bits" in caplog.text


def test_exif_orientation_is_applied(tmp_path, caplog):
    path = tmp_path / "phone.jpg"
    picture = Image.fromarray(smooth_image(48, 64))
    exif = picture.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    picture.save(path, exif=exif)
    with caplog.at_level(logging.INFO, logger="stegcli"):
        image = read_image(path)
    assert image.shape == (64, 48, 3)  # as the photo is seen, not as it is stored
    assert "EXIF orientation" in caplog.text


def test_images_past_the_pixel_limit_are_refused_with_one_line(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.fromarray(smooth_image(12, 12)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 144 pixels: where Pillow only warns
    with pytest.raises(InputError, match="larger than 100 pixels"):
        read_image(path)


def test_webp_side_limit_is_checked_before_any_work():
    check_encodable("x.webp", 16383, 100)
    check_encodable("x.png", 20000, 100)
    with pytest.raises(UsageError, match="WebP stores at most 16383"):
        check_encodable("x.webp", 100, 16384)


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


def test_outputs_under_a_file_or_without_a_name_are_refused(tmp_path):
    blocker = tmp_path / "file.png"
    blocker.write_bytes(b"x")
    with pytest.raises(UsageError, match="is not a folder"):
        check_output(blocker / "out.png", [], force=False)
    with pytest.raises(UsageError, match="is not a folder"):
        check_output(blocker / "deeper" / "out.png", [], force=False, makes_folder=True)
    with pytest.raises(UsageError, match="is a directory"):
        check_output("/", [], force=False)


def test_same_file_sees_through_spellings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    assert same_file("o.png", tmp_path / "o.png") and same_file("o.png", "sub/../o.png")
    assert not same_file("o.png", "p.png") and not same_file("-", "o.png") and same_file("-", "-")


def test_outputs_are_written_all_or_none(tmp_path):
    first = tmp_path / "stego.png"
    with pytest.raises(UsageError, match="cannot be written"):
        write_outputs([(first, b"stego"), (tmp_path / "gone" / "z.npy", b"key")])
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_write_is_atomic_and_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("stegcli.io.files.os.replace", boom)
    with pytest.raises(UsageError, match="out.bin: cannot be written"):  # one line for the CLI, no traceback
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
