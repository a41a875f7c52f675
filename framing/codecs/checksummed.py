r"""Checksummed framing: any codec's frames, each payload followed by its checksum.

``Checksummed(codec, algorithm)`` appends the checksum of every message to the
message and frames the two with ``codec``; its decoder takes each frame from
``codec``'s own decoder, checks the checksum and strips it::

    MESSAGE          WHAT codec FRAMES                 WIRE (codec=COBS())
    +-------+        +-------+-------------+           +----+-------+-------------+----+
    | hello |  -->   | hello | 36 10 a6 86 |    -->    | 0a | hello | 36 10 a6 86 | 00 |
    +-------+        +-------+-------------+           +----+-------+-------------+----+
                             crc32("hello"), big-endian  code                       end

>>> from framing import COBS
>>> codec = Checksummed(COBS(), "crc32")
>>> codec.encode(b"hello").hex(" ")
'0a 68 65 6c 6c 6f 36 10 a6 86 00'
>>> codec.decode(bytes.fromhex("0a 68 65 6c 6c 6f 36 10 a6 86 00"))
[b'hello']
>>> try:
...     codec.decode(bytes.fromhex("0a 68 65 6c 6c 6f 36 10 a6 87 00"))
... except ChecksumMismatch as error:
...     print(error)
crc32 mismatch in a frame of 9 bytes: expected 3610a686, received 3610a687

A frame whose checksum does not match, or that is too short to hold one, is
``InvalidFrame`` (``ChecksumMismatch`` for a mismatch, with both values).
When ``codec``'s decoder resynchronises (COBS, SLIP, HDLC, STX/ETX, any
delimited style), so does this one: the bad frame is reported and decoding
goes on with the next; over a style that cannot (``LengthPrefixed``,
``Netstring``) the decoder stays failed, as that style's own does.

``max_length`` is the largest *payload*, checksum excluded:
``codec.max_length`` minus the checksum's size (``ValueError`` if that is
negative). So ``Checksummed(COBS(max_length=1024), "crc32").max_length`` is
1020, and the other side refuses exactly what this side refuses to send.

``codec`` must carry any byte: the checksum is binary. Over ``Delimited`` or
``Lines``, ``encode`` refuses (``EncodeError``) a message whose checksum
happens to contain the delimiter.

Algorithms, by their name in the CRC catalogue (punctuation and case are
ignored, so ``"CRC-16/X-25"`` is ``"crc16-x25"``; ``ALGORITHMS`` lists them):

==================  ====  ==========================  ===============================
name                size  also known as               computed by
==================  ====  ==========================  ===============================
crc32               4     CRC-32/ISO-HDLC (zlib's)    ``zlib.crc32``
crc32c              4     CRC-32/ISCSI, Castagnoli    ``fastcrc.crc32.iscsi``
crc16-x25           2     CRC-16/IBM-SDLC (HDLC FCS)  ``binascii.crc_hqx``, bit-reflected
crc16-ccitt-false   2     CRC-16/IBM-3740             ``binascii.crc_hqx`` from 0xFFFF
crc16-xmodem        2     CRC-16/XMODEM               ``binascii.crc_hqx`` from 0
crc16-modbus        2     CRC-16/MODBUS               ``fastcrc.crc16.modbus``
adler32             4     (not a CRC)                 ``zlib.adler32``
==================  ====  ==========================  ===============================

The standard library computes all but two; ``crc32c`` and ``crc16-modbus``
come from the ``fastcrc`` package (Rust, maintained, typed), an optional
extra: ``pip install "framing-codecs[crc]"``, imported only when one of them
is asked for. Any other checksum is a ``ChecksumAlgorithm(name, size, function)``:
``function(data)`` returns an ``int`` whose low ``8 * size`` bits are sent.

>>> import zlib
>>> low16 = ChecksumAlgorithm("crc32-low16", 2, zlib.crc32)   # a truncated CRC-32
>>> Checksummed(COBS(), low16).encode(b"hello").hex(" ")
'08 68 65 6c 6c 6f a6 86 00'
"""

from __future__ import annotations

import binascii
import importlib
import zlib
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_payload_length
from ..core.types import Buffer
from ..errors import FrameTooLarge, FramingError, InvalidFrame

__all__ = [
    "ALGORITHMS",
    "ChecksumAlgorithm",
    "ChecksumMismatch",
    "Checksummed",
    "ChecksummedDecoder",
]

ByteOrder = Literal["big", "little"]
Function = Callable[[Buffer], int]

# Bit-reversed bytes: CRC-16/X-25 is CRC-16/CCITT-FALSE (binascii.crc_hqx)
# over bit-reversed input, its result bit-reversed and complemented. (The
# multiply, mask and modulo reverses a byte's bits; "Bit Twiddling Hacks".)
_REVERSED = bytes((byte * 0x0202020202 & 0x010884422010) % 1023 for byte in range(256))


def _crc16_x25(data: Buffer) -> int:
    crc = binascii.crc_hqx(bytes(data).translate(_REVERSED), 0xFFFF)
    return (_REVERSED[crc & 0xFF] << 8 | _REVERSED[crc >> 8]) ^ 0xFFFF


def _crc16_ccitt_false(data: Buffer) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def _crc16_xmodem(data: Buffer) -> int:
    return binascii.crc_hqx(data, 0)


def _fastcrc(name: str, module: str, function: str) -> Function:
    try:
        crcs = importlib.import_module(f"fastcrc.{module}")
    except ImportError:
        raise ImportError(
            f"the {name} checksum is computed by the fastcrc package: "
            'pip install "framing-codecs[crc]"'
        ) from None
    found: Function = getattr(crcs, function)
    return found


# name: (size in bytes, the function, or where fastcrc keeps it).
_CATALOGUE: dict[str, tuple[int, Function | tuple[str, str]]] = {
    "crc32": (4, zlib.crc32),
    "crc32c": (4, ("crc32", "iscsi")),
    "crc16-x25": (2, _crc16_x25),
    "crc16-ccitt-false": (2, _crc16_ccitt_false),
    "crc16-xmodem": (2, _crc16_xmodem),
    "crc16-modbus": (2, ("crc16", "modbus")),
    "adler32": (4, zlib.adler32),
}

#: The names ``Checksummed`` takes for its algorithm (other spellings: see the module).
ALGORITHMS = tuple(_CATALOGUE)


def _key(name: str) -> str:
    return "".join(filter(str.isalnum, name.lower()))


# Every accepted spelling, without punctuation: the names above and the
# CRC catalogue's own names for them.
_NAMES = {_key(name): name for name in _CATALOGUE} | {
    "crc32isohdlc": "crc32",
    "crc32iscsi": "crc32c",
    "crc32castagnoli": "crc32c",
    "crc16ibmsdlc": "crc16-x25",
    "crc16isohdlc": "crc16-x25",
    "crc16ibm3740": "crc16-ccitt-false",
}


class ChecksumAlgorithm(NamedTuple):
    """A checksum: its ``name``, its ``size`` in bytes, and the ``function`` computing it.

    ``function(data)`` takes any bytes-like object and returns an ``int``;
    its low ``8 * size`` bits are the checksum. ``ChecksumAlgorithm.named("crc32")``
    is one of the algorithms of the module's table.
    """

    name: str
    size: int
    function: Function

    @classmethod
    def named(cls, name: str) -> ChecksumAlgorithm:
        """The algorithm ``name`` in the CRC catalogue (``ImportError`` if it needs fastcrc)."""
        canonical = _NAMES.get(_key(name)) if isinstance(name, str) else None
        if canonical is None:
            raise ValueError(
                f"unknown checksum algorithm {name!r}; expected one of {', '.join(ALGORITHMS)}"
            )
        size, function = _CATALOGUE[canonical]
        if isinstance(function, tuple):
            function = _fastcrc(canonical, *function)
        return cls(canonical, size, function)


class ChecksumMismatch(InvalidFrame):
    """A frame whose checksum is not that of its payload; ``expected`` is the computed one."""

    def __init__(
        self, algorithm: str, expected: int, received: int, message: str | None = None
    ) -> None:
        self.algorithm = algorithm  # the algorithm's name
        self.expected = expected  # the checksum of the payload received
        self.received = received  # the checksum the frame carried
        super().__init__(
            message or f"{algorithm} mismatch: expected {expected:x}, received {received:x}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.algorithm, self.expected, self.received, str(self)))


class Checksummed(Codec):
    """``codec``'s frames around each message followed by its ``algorithm`` checksum."""

    codec: Codec  # the codec that frames payload and checksum
    algorithm: ChecksumAlgorithm
    byteorder: ByteOrder  # how the checksum is written after the payload
    max_length: int  # the largest payload, checksum excluded

    def __init__(
        self, codec: Codec, algorithm: str | ChecksumAlgorithm, *, byteorder: ByteOrder = "big"
    ) -> None:
        if not isinstance(codec, Codec):
            raise TypeError(f"Checksummed wraps a framing.Codec, not {type(codec).__name__}")
        if not isinstance(algorithm, ChecksumAlgorithm):
            algorithm = ChecksumAlgorithm.named(algorithm)
        elif (
            not isinstance(algorithm.size, int)
            or isinstance(algorithm.size, bool)
            or algorithm.size < 0
            or not callable(algorithm.function)
        ):
            raise ValueError(f"{algorithm!r} needs a size in bytes (0 or more) and a function")
        if byteorder not in ("big", "little"):
            raise ValueError(f"byteorder must be 'big' or 'little', not {byteorder!r}")
        max_length = codec.max_length - algorithm.size
        if max_length < 0:
            raise ValueError(
                f"{codec!r} frames at most {codec.max_length} bytes: "
                f"no room for a {algorithm.size}-byte {algorithm.name} checksum"
            )
        for name, value in (
            ("codec", codec),
            ("algorithm", algorithm),
            ("byteorder", byteorder),
            ("max_length", max_length),
            # One message per stream if the wrapped codec's stream ends it.
            ("ends_at_close", codec.ends_at_close),
        ):
            object.__setattr__(self, name, value)

    # -- an immutable value ----------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def _config(self) -> tuple[object, ...]:
        return (self.codec, self.algorithm, self.byteorder)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Checksummed)
        return self._config() == other._config()

    def __hash__(self) -> int:
        return hash((type(self), self._config()))

    def __repr__(self) -> str:
        algorithm = self.algorithm
        try:
            named = ChecksumAlgorithm.named(algorithm.name) == algorithm
        except ValueError:
            named = False
        shown = repr(algorithm.name) if named else repr(algorithm)
        order = "" if self.byteorder == "big" else f", byteorder={self.byteorder!r}"
        return f"{type(self).__name__}({self.codec!r}, {shown}{order})"

    # -- encoding ---------------------------------------------------------------

    def _with_checksum(self, message: Buffer) -> bytes:
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        payload = bytes(view)
        size = self.algorithm.size
        checksum = self.algorithm.function(payload) & ((1 << 8 * size) - 1)
        return payload + checksum.to_bytes(size, self.byteorder)

    def encode(self, message: Buffer) -> bytes:
        """The message and its checksum, framed by ``codec``."""
        return self.codec.encode(self._with_checksum(message))

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """The message and its checksum, framed by ``codec``, as its parts."""
        return self.codec.encode_parts(self._with_checksum(message))

    def decoder(self) -> ChecksummedDecoder:
        """A fresh decoder, around a fresh decoder of ``codec``."""
        inner = self.codec.decoder()
        if inner.resynchronises:
            return _ResynchronisingDecoder(self, inner)
        return ChecksummedDecoder(self, inner)

    @property
    def largest_frame(self) -> int | None:
        """``codec``'s: the checksum is counted in its ``max_length``."""
        return self.codec.largest_frame


class ChecksummedDecoder(Decoder):
    """Takes each frame from the wrapped codec's decoder, checks its checksum and strips it.

    The bytes fed go to the wrapped decoder as each step begins, so
    ``buffered``, ``detach()`` and ``bytes_needed`` are that decoder's, plus
    any bytes not handed to it yet.
    """

    def __init__(self, codec: Checksummed, inner: Decoder) -> None:
        super().__init__(codec)
        self._inner = inner  # the wrapped codec's decoder: holds every byte fed to it
        self._algorithm = codec.algorithm
        self._byteorder: ByteOrder = codec.byteorder
        self._max_length = codec.max_length
        self._inner_error: FramingError | None = None  # what the wrapped decoder raised last

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload, its checksum checked and stripped."""
        if buffer:
            self._inner.feed(buffer.take_all())
        return self._checked(self._inner)

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """What the wrapped decoder makes of the end of the stream, checked."""
        self._inner.feed_eof()
        return self._checked(self._inner)

    def _checked(self, inner: Decoder) -> bytes | None:
        self._inner_error = None
        try:
            # iter(): the wrapped decoder's batches, if it makes any.
            frame = next(iter(inner), None)
        except FramingError as error:
            self._inner_error = error
            if isinstance(error, FrameTooLarge):
                size = self._algorithm.size
                raise FrameTooLarge(error.length - size, self._max_length) from None
            raise
        if frame is None:
            return None
        algorithm = self._algorithm
        size = algorithm.size
        end = len(frame) - size
        if end < 0:
            raise InvalidFrame(
                f"frame of {len(frame)} bytes is too short to hold "
                f"a {size}-byte {algorithm.name} checksum"
            )
        mask = (1 << 8 * size) - 1
        expected = algorithm.function(memoryview(frame)[:end]) & mask
        received = int.from_bytes(frame[end:], self._byteorder)
        if expected != received:
            digits = 2 * size
            raise ChecksumMismatch(
                algorithm.name,
                expected,
                received,
                f"{algorithm.name} mismatch in a frame of {len(frame)} bytes: "
                f"expected {expected:0{digits}x}, "
                f"received {received:0{digits}x}",
            )
        return frame[:end] if size else frame

    @property
    def buffered(self) -> int:
        """Wire bytes fed and not yet part of a returned message (the wrapped decoder's too)."""
        return self._inner.buffered + super().buffered

    @property
    def bytes_needed(self) -> int | None:
        """What the wrapped decoder still needs for its frame, when it knows."""
        needed = self._inner.bytes_needed
        return None if needed is None else max(0, needed - super().buffered)

    def detach(self) -> bytes:
        """What the wrapped decoder hands over, once it has every byte; both left empty."""
        pending = super().detach()  # fed, not yet handed to the wrapped decoder
        if pending:
            self._inner.feed(pending)
        return self._inner.detach()


class _ResynchronisingDecoder(ChecksummedDecoder):
    """Around a decoder that resynchronises: a bad checksum skips one frame, too."""

    resynchronises = True

    def recovers_from(self, error: FramingError) -> bool:
        """After a bad checksum; after the wrapped decoder's errors, when it recovers from them."""
        inner_error = self._inner_error
        return inner_error is None or self._inner.recovers_from(inner_error)
