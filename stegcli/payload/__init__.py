"""Bit payloads: framing (length, CRC32, flags) and the threshold mapping module."""

from stegcli.payload.framing import HEADER_BYTES, Frame, frame_message, parse_frame
from stegcli.payload.mapping import BIT_HIGH, THRESHOLD, bits_to_signal, signal_to_bits

__all__ = [
    "BIT_HIGH",
    "HEADER_BYTES",
    "THRESHOLD",
    "Frame",
    "bits_to_signal",
    "frame_message",
    "parse_frame",
    "signal_to_bits",
]
