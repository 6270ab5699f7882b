"""The keyless payload's parts without a network: layout, error correction, sealing, the bit stream."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stegcli.errors import CapacityError, IntegrityError, UsageError
from stegcli.payload import container, crypto, ecc
from stegcli.payload.layout import bit_positions

FAST_KDF = crypto.KdfParams(log2_n=10)  # scrypt at 1 MiB keeps these tests fast; the format stores the cost


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    monkeypatch.setattr(crypto, "DEFAULT_KDF", FAST_KDF)


def test_layout_is_a_seeded_permutation():
    order = bit_positions(b"seed", 1000)
    assert np.array_equal(np.sort(order), np.arange(1000))
    assert np.array_equal(order, bit_positions(b"seed", 1000))
    assert not np.array_equal(order, bit_positions(b"other", 1000))


def test_layout_of_the_public_seed_stays_what_stegos_were_written_with():
    # A stego written today must read after a NumPy upgrade: these are the layout's first positions
    # as the format defines them (argsort of PCG64's raw stream seeded by SHA-256).
    import hashlib

    state = int.from_bytes(hashlib.sha256(crypto.PUBLIC_LAYOUT_SEED + (64).to_bytes(8, "big")).digest(), "big")
    raw = np.random.PCG64(state).random_raw(64)
    assert np.array_equal(bit_positions(crypto.PUBLIC_LAYOUT_SEED, 64), np.argsort(raw, kind="stable"))


@settings(max_examples=20, deadline=None)
@given(st.binary(min_size=0, max_size=600), st.integers(2, 40).map(lambda n: 2 * n), st.data())
def test_reed_solomon_corrects_up_to_half_its_parity_bytes_in_each_codeword(data, nsym, draw):
    coded = bytearray(ecc.encode(data, nsym))
    assert len(coded) == ecc.coded_length(len(data), nsym)
    for start in range(0, len(coded), ecc.CODEWORD):
        word = range(start, min(start + ecc.CODEWORD, len(coded)))
        for i in draw.draw(st.lists(st.sampled_from(word), max_size=nsym // 2, unique=True)):
            coded[i] ^= draw.draw(st.integers(1, 255))
    assert ecc.decode(bytes(coded), nsym) == data


def test_reed_solomon_refuses_more_errors_than_it_can_fix():
    coded = bytearray(ecc.encode(bytes(100), 8))
    for i in range(0, 40, 2):
        coded[i] ^= 0x5A
    with pytest.raises(IntegrityError):
        if ecc.decode(bytes(coded), 8) != bytes(100):  # a miscorrection is possible; the CRC/tag above catches it
            raise IntegrityError("miscorrected")


def test_data_length_inverts_coded_length():
    for nsym in (16, 64):
        for n in (0, 1, 190, 191, 192, 1000):
            assert ecc.data_length(ecc.coded_length(n, nsym), nsym) == n


def test_seal_round_trips_and_authenticates_the_header():
    blob = crypto.seal(b"attack at dawn", b"pw", b"hdr")
    assert b"attack at dawn" not in blob and len(blob) == 14 + crypto.SEAL_OVERHEAD
    assert crypto.unseal(blob, b"pw", b"hdr") == b"attack at dawn"
    for passphrase, header in ((b"pw!", b"hdr"), (b"pw", b"hdR")):
        with pytest.raises(IntegrityError):
            crypto.unseal(blob, passphrase, header)
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(IntegrityError):
        crypto.unseal(bytes(tampered), b"pw", b"hdr")


def test_seal_uses_a_fresh_salt_and_nonce_each_time():
    assert crypto.seal(b"same", b"pw", b"") != crypto.seal(b"same", b"pw", b"")


def test_empty_passphrase_is_refused():
    with pytest.raises(UsageError):
        crypto.layout_seed(b"")


def stream_round_trip(message, passphrase, total=40_000, flips=0, read_with=None, seed=0):
    layout = container.Layout.for_passphrase(passphrase, total)
    stream = container.encode_stream(message, passphrase, total)
    flat, used = container.place(stream, layout)
    rng = np.random.default_rng(seed)
    if flips:
        flat[rng.choice(np.flatnonzero(used), flips, replace=False)] ^= 1
    reader = passphrase if read_with is None else read_with
    return container.decode_stream(flat, reader, container.Layout.for_passphrase(reader, total))


@pytest.mark.parametrize("passphrase", [None, b"correct horse"])
def test_stream_round_trips(passphrase):
    message = np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    assert stream_round_trip(message, passphrase) == message
    assert stream_round_trip(b"", passphrase) == b""


@pytest.mark.parametrize("passphrase", [None, b"pw"])
def test_stream_corrects_scattered_bit_errors(passphrase):
    message = bytes(range(256)) * 8
    assert stream_round_trip(message, passphrase, flips=150) == message  # 0.7% of the stream's bits


def test_stream_with_too_many_errors_fails_loudly_never_wrongly():
    message = bytes(range(256)) * 8
    with pytest.raises(IntegrityError):
        stream_round_trip(message, b"pw", flips=3000)


def test_wrong_passphrase_and_no_payload_fail_alike():
    with pytest.raises(IntegrityError) as wrong:
        stream_round_trip(b"secret", b"right", read_with=b"wrong")
    with pytest.raises(IntegrityError) as plain_read:  # a sealed payload read without any passphrase
        container.decode_stream(*_plain_reading_of_sealed(b"secret", b"right"))
    noise = np.random.default_rng(3).integers(0, 2, 40_000).astype(np.uint8)
    with pytest.raises(IntegrityError) as none:
        container.decode_stream(noise, None, container.Layout.for_passphrase(None, noise.size))
    assert str(wrong.value) == str(plain_read.value) == str(none.value) == container.NO_PAYLOAD


def _plain_reading_of_sealed(message, passphrase, total=40_000):
    layout = container.Layout.for_passphrase(passphrase, total)
    flat, _ = container.place(container.encode_stream(message, passphrase, total), layout)
    return flat, None, container.Layout.for_passphrase(None, total)


def test_capacity_is_refused_with_the_maximum():
    limit = container.max_message_bytes(20_000, sealed=True)
    assert container.stream_bits(limit, True) <= 20_000 < container.stream_bits(limit + 1, True)
    with pytest.raises(CapacityError, match=f"at most {limit} bytes"):
        container.encode_stream(bytes(limit + 1), b"pw", 20_000)


def test_correctable_counts_wrong_bytes_per_codeword():
    stream = container.encode_stream(bytes(1000), None, 100_000)
    wrong = np.zeros(stream.size, dtype=bool)
    assert container.correctable(wrong, stream.size)
    body = container.HEADER_BITS
    wrong[body : body + 8 * 32 : 8] = True  # 32 wrong bytes in the first body codeword: at the code's limit
    assert container.correctable(wrong, stream.size)
    assert not container.correctable(wrong, stream.size, slack=1)
    wrong[body + 8 * 40] = True
    assert not container.correctable(wrong, stream.size)


def test_doubtful_bytes_double_what_the_code_fixes():
    # 50 wrong bytes in one codeword, past the 32 that RS fixes, but the decoder doubted each of them
    message = bytes(range(256)) * 4
    total = 40_000
    layout = container.Layout.for_passphrase(None, total)
    stream = container.encode_stream(message, None, total)
    flat, _ = container.place(stream, layout)
    bad = container.HEADER_BITS + 8 * np.arange(50) + 3
    flat[layout.order[bad]] ^= 1
    soft = np.where(flat == 1, 1.0, -1.0)  # confident everywhere ...
    soft[layout.order[bad]] *= 0.05  # ... except at the flipped bits
    with pytest.raises(IntegrityError):
        container.decode_stream(flat, None, layout)
    assert container.decode_stream(flat, None, layout, soft) == message
    wrong = np.zeros(stream.size, dtype=bool)
    wrong[bad] = True
    assert not container.correctable(wrong, stream.size)
    assert container.correctable(wrong, stream.size, margins=soft[layout.order[: stream.size]])


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=255), st.integers(1, 64))
def test_numpy_syndromes_match_reedsolo(word, nsym):
    import reedsolo

    ecc.encode(b"", nsym)  # the field's tables
    assert ecc.syndromes(word, nsym) == reedsolo.rs_calc_syndromes(bytearray(word), nsym)
