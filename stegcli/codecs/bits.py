"""Bytes in images, bit-exact: the public API behind ``steg embed-bits``/``extract-bits``.

A message is framed (:mod:`stegcli.payload.framing`), laid out as ``3 * bpp``
bit planes of the cover's size, mapped to {0, 0.5} and pushed through the
INN's forward pass. The stego is rounded to 8 bits; the z branch is the key.
Extraction runs the inverse on the stego with the key (or the constant z
without one), thresholds, and checks the frame's CRC32.

``bpp`` counts bits per colour sample: an RGB cover of H x W pixels at
``bpp`` carries ``3 * bpp * H * W`` raw bits, framing included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from stegcli.codecs.base import Codec
from stegcli.codecs.engine import MIN_SIDE
from stegcli.codecs.keyless import (
    RefineOutcome,
    RefineSettings,
    SparseSettings,
    refine,
    refine_sparse,
)
from stegcli.errors import CapacityError, IntegrityError
from stegcli.io.keys import StegoKey
from stegcli.io.tensors import aligned_shape, from_tensor, to_tensor
from stegcli.models.registry import (
    DEFAULT_BITS_MODEL,
    KEYLESS_BITS_MODEL,
    ModelSpec,
)
from stegcli.nn import StegoINN
from stegcli.payload import container
from stegcli.payload.framing import frame_message, max_message_bytes, parse_frame
from stegcli.payload.mapping import (
    BIT_HIGH,
    bit_margins,
    bits_to_planes,
    bits_to_signal,
    planes_to_bits,
    signal_to_bits,
)

# share of a model's bit positions a keyless payload may use, by bpp: what came back exact on every validation
# cover at capacity with benchmarks/keyless_payload.py (bits-1, bits-2: 1.34 bits per pixel; bits-3, which
# refused one of six covers at 1 bit per pixel: 0.5)
KEYLESS_FILL = {1: 0.6, 2: 0.3, 3: 0.075}
CODE_SLACK = 4  # bytes each codeword keeps in reserve when the optimisation stops
# sides of the centred regions a keyless payload may occupy, smallest first; the whole image is the last
# one where it has at most MAX_REGION_SIDE**2 pixels: the optimisation holds a whole region's activations
# in memory, several GB at 1024x1024 and four times that at 2048x2048
REGION_SIDES = (256, 512, 1024)
MAX_REGION_SIDE = REGION_SIDES[-1]
# the stealth setting's payload: message bits per pixel of its region (docs/models.md, "Detectability")
STEALTH_BPP = 0.05


def capacity_bits(height: int, width: int, bpp: int, stride: int = 2) -> int:
    """Raw bits (framing included) a cover of this size carries at ``bpp``."""
    h, w = aligned_shape(height, width, stride)
    return 3 * bpp * h * w


def capacity_bytes(height: int, width: int, bpp: int, stride: int = 2) -> int:
    """Largest message (bytes) a cover of this size holds at ``bpp`` with a key file."""
    if min(height, width) < MIN_SIDE:
        return 0
    return max_message_bytes(capacity_bits(height, width, bpp, stride))


def keyless_bits(height: int, width: int, bpp: int, stride: int = 2) -> int:
    """Bit positions a keyless payload may use in a region of this size: the model's share of all of them
    (:data:`KEYLESS_FILL`)."""
    return int(capacity_bits(height, width, bpp, stride) * KEYLESS_FILL[bpp])


Region = tuple[int, int, int, int]  # top, left, height, width


def keyless_regions(height: int, width: int, stride: int = 2) -> list[Region]:
    """The centred regions a keyless payload may occupy, smallest first.

    A message takes the smallest region that holds it, so a short note in a 12-megapixel photograph
    costs the time and the distortion of a 256x256 patch, and the rest of the photograph stays as it
    was. A reader tries them in the same order: a region's header only decodes in the region it was
    written to.
    """
    full = aligned_shape(height, width, stride)
    regions = []
    for side in REGION_SIDES:
        size = aligned_shape(min(side, height), min(side, width), stride)
        if size == full:
            break
        regions.append(((height - size[0]) // 2, (width - size[1]) // 2, *size))
    if full[0] * full[1] <= MAX_REGION_SIDE**2:
        regions.append((0, 0, *full))
    return regions


def region_capacity_bytes(region: Region, bpp: int, sealed: bool, stride: int = 2, stealth: bool = False) -> int:
    """Largest message a keyless payload takes in one region (``sealed``: under a passphrase; ``stealth``:
    at most :data:`STEALTH_BPP` message bits per pixel)."""
    capacity = container.max_message_bytes(keyless_bits(region[2], region[3], bpp, stride), sealed)
    return min(capacity, int(STEALTH_BPP * region[2] * region[3]) // 8) if stealth else capacity


def keyless_capacity_bytes(height: int, width: int, bpp: int, sealed: bool = True, stride: int = 2,
                           stealth: bool = False) -> int:
    """Largest message a keyless payload takes in a cover of this size: that of its largest region."""
    if min(height, width) < MIN_SIDE:
        return 0
    return region_capacity_bytes(keyless_regions(height, width, stride)[-1], bpp, sealed, stride, stealth)


@dataclass(frozen=True)
class EmbedResult:
    stego: np.ndarray  # (H, W, 3) uint8, ready to save losslessly
    key: StegoKey  # z branch, bound to the model and the stego's pixels
    keyless_ok: bool  # extraction without the key gives the message back
    message_bytes: int
    capacity_bytes: int


@dataclass(frozen=True)
class KeylessResult:
    stego: np.ndarray  # (H, W, 3) uint8: all a receiver needs (with the passphrase, if one was given)
    message_bytes: int
    capacity_bytes: int  # the keyless capacity of this cover (the same passphrase setting)
    steps: int  # hide-time optimisation steps it took
    sealed: bool  # encrypted under a passphrase
    stealth: bool = False  # the low-payload setting that a steganalyser finds hard to tell from a cover


class BitsCodec(Codec):
    """A loaded bit-payload model; reuse it for many embeds/extracts."""

    families = ("bits",)

    def __init__(self, model: StegoINN, spec: ModelSpec, device: torch.device | str = "cpu") -> None:
        super().__init__(model, spec, device)
        self.bpp = spec.bpp
        self.keyless_settings = RefineSettings()
        self.stealth_settings = SparseSettings()

    @classmethod
    def from_name(cls, name: str = DEFAULT_BITS_MODEL, device: torch.device | str = "cpu") -> "BitsCodec":
        return super().from_name(name, device)

    def capacity_bits(self, height: int, width: int) -> int:
        return capacity_bits(height, width, self.bpp, self.engine.stride)

    def capacity_bytes(self, height: int, width: int) -> int:
        return capacity_bytes(height, width, self.bpp, self.engine.stride)

    def encode(self, cover: np.ndarray, message: bytes) -> tuple[np.ndarray, StegoKey]:
        """The forward pass alone: 8-bit stego and key, no self-check (see :meth:`embed`)."""
        h, w = self.engine.region(cover, "cover")
        planes = 3 * self.bpp
        signal = bits_to_signal(bits_to_planes(frame_message(message, planes * h * w), planes, h, w))
        result = self.engine.hide(cover, torch.from_numpy(signal)[None])
        return result.stego, result.key

    def embed(self, cover: np.ndarray, message: bytes) -> EmbedResult:
        """Encode, then check that the saved stego really gives the message back."""
        stego, key = self.encode(cover, message)
        if self.try_extract(stego, key) != message:
            raise IntegrityError(
                f"self-check failed: the 8-bit stego does not give the message back even with the key "
                f"(cover too saturated for {self.name}?); try a smaller message or another cover"
            )
        keyless_ok = self.try_extract(stego, None) == message
        return EmbedResult(stego, key, keyless_ok, len(message), self.capacity_bytes(*cover.shape[:2]))

    def extract(self, stego: np.ndarray, key: StegoKey | None = None) -> bytes:
        """The exact message, or IntegrityError; never wrong bytes."""
        self.engine.region(stego, "stego")
        if key is not None:
            self.engine.check_key(key, stego)
        return parse_frame(self.raw_bits(stego, key)).message

    def raw_bits(self, stego: np.ndarray, key: StegoKey | None) -> np.ndarray:
        """Thresholded bits of the inverse pass (constant z without a key); no checks."""
        _, signal = self.engine.reveal(stego, key)
        return planes_to_bits(signal_to_bits(signal[0].float().cpu().numpy()))

    # --- keyless payloads: one image travels, an optional passphrase opens it ---------------------------

    def keyless_capacity_bytes(self, height: int, width: int, sealed: bool = True, stealth: bool = False) -> int:
        """Largest message :meth:`embed_keyless` takes for a cover of this size (encrypted or not, stealth or not)."""
        return keyless_capacity_bytes(height, width, self.bpp, sealed, self.engine.stride, stealth)

    def embed_keyless(self, cover: np.ndarray, message: bytes, passphrase: bytes | None = None,
                      progress: Callable[[int, int], None] | None = None, stealth: bool = False) -> KeylessResult:
        """A stego that gives ``message`` back from itself alone (and ``passphrase``), checked before returning.

        The message goes into the smallest centred region that holds it (:func:`keyless_regions`).
        ``stealth`` keeps the payload at :data:`STEALTH_BPP` and changes few samples of the cover where
        it is textured (:func:`~stegcli.codecs.keyless.refine_sparse`) instead of starting from the
        forward pass. Raises CapacityError where it does not fit, or where the optimisation could not
        make the saved 8-bit stego decode exactly.
        """
        self.engine.region(cover, "cover")
        stride, sealed = self.engine.stride, passphrase is not None
        regions = keyless_regions(*cover.shape[:2], stride)
        capacity = self.keyless_capacity_bytes(*cover.shape[:2], sealed, stealth)
        fits = [r for r in regions if region_capacity_bytes(r, self.bpp, sealed, stride, stealth) >= len(message)]
        if stealth and not fits:  # the container would take more: the stealth setting's payload is its promise
            raise CapacityError(f"{len(message)} bytes do not fit the stealth setting of {self.name} in this "
                                f"{cover.shape[1]}x{cover.shape[0]} cover: at most {capacity} bytes "
                                f"({STEALTH_BPP} bits per pixel)")
        top, left, h, w = (fits or regions)[0]  # none fits: the largest one refuses with its capacity below
        stego = cover.copy()
        patch, outcome, stream_bits = self._embed_region(np.ascontiguousarray(cover[top : top + h, left : left + w]),
                                                         message, passphrase, progress, stealth)
        stego[top : top + h, left : left + w] = patch
        if self.try_extract_keyless(stego, passphrase) != message:  # decoded once, as extract-bits will
            wrong = f"{int(outcome.wrong.sum())} of {stream_bits} payload bits still read wrong after {outcome.steps}"
            if stealth:
                raise CapacityError(
                    f"{self.name} could not make the stego decode exactly with the stealth setting: {wrong} steps; "
                    f"the cover is too smooth to hide it in its texture within {self.stealth_settings.min_psnr:g} dB "
                    f"(use a photograph, or leave out stealth)")
            raise CapacityError(
                f"{self.name} could not make the stego decode exactly without a key: {wrong} optimisation steps; "
                f"try a shorter message or another cover (its keyless capacity is {capacity} bytes, which covers "
                f"like the validation photographs reach)"
            )
        return KeylessResult(stego, len(message), capacity, outcome.steps, sealed, stealth)

    def _embed_region(self, cover: np.ndarray, message: bytes, passphrase: bytes | None,
                      progress: Callable[[int, int], None] | None,
                      stealth: bool = False) -> tuple[np.ndarray, RefineOutcome, int]:
        """Forward pass and hide-time optimisation over one region (the whole of ``cover``, even-sized);
        ``stealth``: sparse changes of the cover itself, no forward pass."""
        h, w = cover.shape[:2]
        planes = 3 * self.bpp
        layout = container.Layout.for_passphrase(passphrase, planes * h * w)
        stream = container.encode_stream(message, passphrase, keyless_bits(h, w, self.bpp, self.engine.stride))
        flat_bits, flat_used = container.place(stream, layout)
        bits = torch.from_numpy(flat_bits.reshape(1, planes, h, w).astype(np.float32))
        used = torch.from_numpy(flat_used.reshape(1, planes, h, w))
        device = self.engine.device
        in_stream = layout.order[: stream.size]

        def accept(wrong: np.ndarray, margins: np.ndarray) -> bool:
            return container.correctable(wrong[in_stream], stream.size, slack=CODE_SLACK, margins=margins[in_stream])

        if stealth:
            outcome = refine_sparse(self.engine.model, to_tensor(cover, device), bits.to(device), used.to(device),
                                    accept, self.stealth_settings, progress)
            return from_tensor(outcome.stego), outcome, stream.size
        first = self.engine.hide(cover, bits * BIT_HIGH)
        key = first.key
        plain = to_tensor(cover, device)
        hidden = to_tensor(first.stego, device) + torch.from_numpy(key.residual).float()[None].to(device)
        start = plain + self.keyless_settings.strength * (hidden - plain)
        outcome = refine(self.engine.model, start, bits.to(device), used.to(device), accept, self.keyless_settings,
                         progress)
        return from_tensor(outcome.stego), outcome, stream.size

    def extract_keyless(self, stego: np.ndarray, passphrase: bytes | None = None) -> bytes:
        """The exact message of :meth:`embed_keyless`, or IntegrityError (the same one for a wrong
        passphrase and for an image without a payload)."""
        self.engine.region(stego, "stego")
        planes = None
        for top, left, h, w in keyless_regions(*stego.shape[:2], self.engine.stride):
            _, signal = self.engine.reveal(np.ascontiguousarray(stego[top : top + h, left : left + w]))
            signal = signal[0].float().cpu().numpy()
            planes = signal_to_bits(signal)
            margins = bit_margins(signal).reshape(-1)
            try:
                layout = container.Layout.for_passphrase(passphrase, planes.size)
                return container.decode_stream(planes.reshape(-1), passphrase, layout, margins)
            except IntegrityError as exc:
                failure = exc
        # the last region is the whole image where it is small enough: a keyed-mode frame (the seed's
        # format) that happens to read without its key is read too
        whole = aligned_shape(*stego.shape[:2], self.engine.stride)
        if passphrase is None and planes is not None and planes.shape[1:] == whole:
            legacy = message_or_none(planes_to_bits(planes))
            if legacy is not None:
                return legacy
        raise failure

    def try_extract_keyless(self, stego: np.ndarray, passphrase: bytes | None) -> bytes | None:
        try:
            return self.extract_keyless(stego, passphrase)
        except IntegrityError:
            return None

    def try_extract(self, stego: np.ndarray, key: StegoKey | None) -> bytes | None:
        """The message, or None where its frame does not check out (self-checks, evaluation)."""
        return message_or_none(self.raw_bits(stego, key))


def message_or_none(bits: np.ndarray) -> bytes | None:
    """The framed message in ``bits``, or None where the frame does not check out."""
    try:
        return parse_frame(bits).message
    except IntegrityError:
        return None


def embed_bits(cover: np.ndarray, message: bytes, model: str = DEFAULT_BITS_MODEL, device: str = "cpu") -> EmbedResult:
    """Hide ``message`` in ``cover`` ((H, W, 3) uint8). See :class:`BitsCodec`."""
    return BitsCodec.from_name(model, device).embed(cover, message)


def extract_bits(stego: np.ndarray, key: StegoKey | None = None, model: str | None = None, device: str = "cpu",
                 passphrase: bytes | None = None) -> bytes:
    """Get the exact message back from a stego: with its key (the model: ``model``, else the key's), or
    as a keyless payload (``model``, else every installed bits model, see :func:`extract_keyless_any`)."""
    if key is None:
        return extract_keyless_any(stego, passphrase, [model] if model else None, device)[1]
    return BitsCodec.from_name(model or key.model, device).extract(stego, key)


def extract_keyless_any(stego: np.ndarray, passphrase: bytes | None = None, models: list[str] | None = None,
                        device: torch.device | str = "cpu",
                        progress: Callable[[int, int], None] | None = None) -> tuple[str, bytes]:
    """(model, message) of the first model that finds a keyless payload: ``models``, else every installed
    bits model, :data:`KEYLESS_BITS_MODEL` first. A receiver need not know which model the sender used.
    IntegrityError (no payload, or the passphrase is wrong) where none does. ``progress`` is told the
    tiles of each pass, as :attr:`StegoEngine.progress <stegcli.codecs.engine.StegoEngine.progress>`."""
    from stegcli.models.registry import registered_models
    from stegcli.models.weights import model_info

    if models is None:
        installed = [spec.name for spec in registered_models("bits") if model_info(spec)["installed"]]
        models = sorted(installed, key=lambda name: name != KEYLESS_BITS_MODEL)
    failure = IntegrityError(container.NO_PAYLOAD)
    for name in models:
        codec = BitsCodec.from_name(name, device)
        codec.engine.progress = progress
        try:
            return name, codec.extract_keyless(stego, passphrase)
        except IntegrityError as exc:
            failure = exc
    raise failure
