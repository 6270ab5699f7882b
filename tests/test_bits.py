import io
from dataclasses import replace

import numpy as np
import pytest
from helpers import smooth_image, tiny_inn

from stegcli.codecs.bits import MIN_SIDE, BitsCodec, capacity_bytes
from stegcli.errors import CapacityError, InputError, IntegrityError
from stegcli.eval.evaluate import png_roundtrip
from stegcli.io.keys import StegoKey
from stegcli.models.registry import get_spec
from stegcli.payload import HEADER_BYTES


def codec(bpp: int) -> BitsCodec:
    return BitsCodec(tiny_inn(3 * bpp, seed=bpp, scale=0.003), get_spec(f"bits-{bpp}"))


@pytest.mark.parametrize("bpp", [1, 2, 3])
def test_full_capacity_round_trip_through_png(bpp):
    c = codec(bpp)
    cover = smooth_image(32, 40, seed=bpp)
    message = np.random.default_rng(bpp).integers(0, 256, c.capacity_bytes(32, 40), dtype=np.uint8).tobytes()
    result = c.embed(cover, message)
    assert result.stego.dtype == np.uint8 and result.stego.shape == cover.shape
    assert not np.array_equal(result.stego, cover)
    assert c.extract(png_roundtrip(result.stego), result.key) == message


def test_capacity_is_three_bpp_samples_per_pixel_minus_header():
    assert capacity_bytes(64, 64, 3) == 3 * 3 * 64 * 64 // 8 - HEADER_BYTES
    assert capacity_bytes(64, 64, 1) == 3 * 64 * 64 // 8 - HEADER_BYTES
    assert capacity_bytes(65, 63, 1) == capacity_bytes(64, 62, 1)  # odd rows/columns are not used
    assert capacity_bytes(MIN_SIDE - 1, 100, 3) == 0


def test_odd_sized_cover_keeps_extra_row_and_column_untouched():
    c = codec(1)
    cover = smooth_image(33, 41, seed=2)
    result = c.embed(cover, b"odd sizes work")
    assert np.array_equal(result.stego[32], cover[32]) and np.array_equal(result.stego[:, 40], cover[:, 40])
    assert c.extract(result.stego, result.key) == b"odd sizes work"


def test_empty_message_round_trips():
    c = codec(2)
    result = c.embed(smooth_image(16, 16), b"")
    assert c.extract(result.stego, result.key) == b""


def test_message_too_large_is_refused_with_the_maximum():
    c = codec(1)
    limit = c.capacity_bytes(16, 16)
    with pytest.raises(CapacityError, match=f"at most {limit} bytes"):
        c.embed(smooth_image(16, 16), b"x" * (limit + 1))


def test_cover_too_small_is_refused():
    with pytest.raises(CapacityError, match="at least 16x16"):
        codec(3).embed(smooth_image(8, 64), b"hi")


def test_key_of_another_stego_is_refused_never_another_message():
    c = codec(3)
    a = c.embed(smooth_image(32, 32, seed=1), b"first message")
    b = c.embed(smooth_image(32, 32, seed=2), b"other message")
    with pytest.raises(IntegrityError, match="different stego"):
        c.extract(a.stego, b.key)


def test_modified_stego_is_refused_with_its_key():
    c = codec(1)
    result = c.embed(smooth_image(32, 32), b"tamper")
    stego = result.stego.copy()
    stego[5, 5, 0] ^= 1
    with pytest.raises(IntegrityError):
        c.extract(stego, result.key)


def test_key_of_another_model_is_named():
    result = codec(3).embed(smooth_image(32, 32), b"key checks")
    with pytest.raises(InputError, match="made by model 'bits-3', not 'bits-1'"):
        codec(1).extract(result.stego, result.key)


def test_key_with_wrong_z_shape_is_named():
    c = codec(3)
    result = c.embed(smooth_image(32, 32), b"key checks")
    bad = replace(result.key, z=result.key.z[:, :8, :8].copy())
    with pytest.raises(InputError, match=r"shape \(36, 8, 8\).*expects \(36, 16, 16\)"):
        c.extract(result.stego, bad)


def test_key_file_round_trip_and_bad_files():
    result = codec(1).embed(smooth_image(16, 16), b"k")
    loaded = StegoKey.from_bytes(result.key.to_bytes())
    assert loaded.model == "bits-1" and loaded.digest == result.key.digest
    assert np.array_equal(loaded.z, result.key.z)
    with pytest.raises(InputError, match="not a valid .npy key"):
        StegoKey.from_bytes(result.key.to_bytes()[:-10])
    with pytest.raises(InputError, match="not a stegcli key"):
        StegoKey.from_bytes(npy(np.zeros((12, 8, 8), np.float32)))


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_keyless_extraction_of_an_unmarked_image_says_no_payload():
    with pytest.raises(IntegrityError):
        codec(1).extract(smooth_image(32, 32), None)


def test_key_with_wrong_dtype_is_named():
    result = codec(1).embed(smooth_image(16, 16), b"k")
    z = result.key.z.astype(np.float64)
    dtype = np.dtype([("format", "S8"), ("model", "S32"), ("digest", "S64"), ("z", "<f8", z.shape),
                      ("residual", "<f2", result.key.residual.shape)])
    record = np.zeros((), dtype=dtype)
    record["format"], record["model"], record["digest"], record["z"] = b"stegkey1", b"bits-1", result.key.digest.hex(), z
    with pytest.raises(InputError, match="dtype float64, expected float32"):
        StegoKey.from_bytes(npy(record))


def test_key_makes_extraction_exact_even_where_the_stego_saturates():
    c = BitsCodec(tiny_inn(9, seed=4, scale=0.02), get_spec("bits-3"))  # changes far beyond the 8-bit range
    cover = np.full((32, 32, 3), 250, dtype=np.uint8)
    message = np.random.default_rng(1).integers(0, 256, c.capacity_bytes(32, 32), dtype=np.uint8).tobytes()
    result = c.embed(cover, message)
    assert (result.stego == 255).mean() > 0.1  # clamping really happened
    assert c.extract(png_roundtrip(result.stego), result.key) == message


def test_extract_bits_takes_the_model_from_the_key(tiny_weights):
    from stegcli.codecs.bits import embed_bits, extract_bits

    result = embed_bits(smooth_image(32, 32), b"from bits-1", model="bits-1")
    assert extract_bits(result.stego, result.key) == b"from bits-1"


def test_evaluation_reports_its_progress_cover_by_cover():
    from stegcli.eval.evaluate import evaluate_bits

    seen = []
    covers = [smooth_image(32, 32, seed=s) for s in range(3)]
    report = evaluate_bits(codec(1), covers, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)] and report["exact_with_key"] == 1.0
