import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stegcli.errors import CapacityError, IntegrityError
from stegcli.payload import (
    HEADER_BYTES,
    THRESHOLD,
    bits_to_signal,
    frame_message,
    parse_frame,
    signal_to_bits,
)
from stegcli.payload.framing import max_message_bytes
from stegcli.payload.mapping import bits_to_planes, planes_to_bits


def test_mapping_uses_zero_and_half_and_thresholds_at_quarter():
    bits = np.array([0, 1, 1, 0], dtype=np.uint8)
    signal = bits_to_signal(bits)
    assert signal.tolist() == [0.0, 0.5, 0.5, 0.0]
    assert THRESHOLD == 0.25
    noisy = signal + np.array([0.24, -0.24, 0.1, -0.1], dtype=np.float32)
    assert signal_to_bits(noisy).tolist() == bits.tolist()
    assert signal_to_bits(np.array([0.26, 0.24])).tolist() == [1, 0]


def test_planes_layout_round_trips_and_fills_top_rows_first():
    bits = np.arange(6 * 2 * 3) % 2
    planes = bits_to_planes(bits.astype(np.uint8), 6, 2, 3)
    assert planes.shape == (6, 2, 3)
    assert planes_to_bits(planes).tolist() == bits.tolist()
    short = np.zeros(3 * 4 * 4, dtype=np.uint8)
    short[:3] = 1
    assert bits_to_planes(short, 3, 4, 4)[:, 0, 0].tolist() == [1, 1, 1]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=64))
def test_frame_round_trip(message, slack_bytes):
    capacity = (HEADER_BYTES + len(message) + slack_bytes) * 8 + 5
    bits = frame_message(message, capacity)
    assert bits.size == capacity and set(np.unique(bits)) <= {0, 1}
    assert parse_frame(bits).message == message


def test_majority_ones_are_inverted_and_flagged():
    frame = parse_frame(frame_message(b"\xff" * 20, 400))
    assert frame.inverted and frame.message == b"\xff" * 20
    bits = frame_message(b"\xff" * 20, 400)
    assert bits[HEADER_BYTES * 8 :].sum() == 0  # the body became zeros
    assert not parse_frame(frame_message(b"\x00\x01", 400)).inverted


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.data())
def test_any_single_bit_flip_in_the_used_bits_is_detected(message, data):
    bits = frame_message(message, (HEADER_BYTES + len(message)) * 8)
    position = data.draw(st.integers(min_value=0, max_value=bits.size - 1))
    bits[position] ^= 1
    with pytest.raises(IntegrityError):
        parse_frame(bits)


def test_message_too_large_names_the_maximum():
    with pytest.raises(CapacityError, match=f"at most {max_message_bytes(800)} bytes"):
        frame_message(b"x" * 200, 800)


def test_random_bits_are_no_payload():
    bits = np.random.default_rng(0).integers(0, 2, 4000).astype(np.uint8)
    with pytest.raises(IntegrityError, match="no payload"):
        parse_frame(bits)
