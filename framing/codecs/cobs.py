"""COBS framing: Consistent Overhead Byte Stuffing, each frame ended by ``b"\\x00"``.

COBS (Cheshire and Baker, 1999) rewrites a payload so that it contains no zero
byte, at a cost of at most one byte in 254, so a zero can end every frame:
binary-safe delimited framing. The stuffing itself is the well-kept ``cobs``
package's (a C extension).

::

    PAYLOAD                 INPUT (wire)                    DECODED
    +----+----+----+----+   +----+----+----+----+----+----+   +----+----+----+----+
    | 11 | 22 | 00 | 33 |   | 03 | 11 | 22 | 02 | 33 | 00 |   | 11 | 22 | 00 | 33 |
    +----+----+----+----+   +----+----+----+----+----+----+   +----+----+----+----+
                             code           code      end

>>> codec = COBS()
>>> codec.encode(b"\\x11\\x22\\x00\\x33").hex(" ")
'03 11 22 02 33 00'
>>> codec.decode(b"\\x03\\x11\\x22\\x02\\x33\\x00")
[b'\\x11"\\x003']

A frame whose code bytes point past its end is ``InvalidFrame``; a frame with
more than ``max_length`` payload bytes is ``FrameTooLarge`` as soon as that
many have arrived. Either way the frame is skipped up to its zero byte and
decoding goes on.

Empty frames are skipped silently, as SLIP drops empty packets: the empty
message is ``01 00`` on the wire, so a ``00`` with nothing before it (a
second zero in a row, or a zero at the very start of the stream) is no COBS
frame but line noise, or a zero sent to mark a frame boundary, never a
message. So a sender may put a ``00`` before each frame, as a SLIP sender
puts an END, to end whatever noise the receiver holds::

    INPUT (wire)                     DECODED
    +----+----+----+----+----+       +----+
    | 00 | 00 | 02 | 11 | 00 |  -->  | 11 |
    +----+----+----+----+----+       +----+
     skipped   code      end

>>> codec.decode(b"\\x00\\x00\\x01\\x00")
[b'']
"""

from __future__ import annotations

from cobs import cobs as _cobs

from ..core.codec import Codec, as_view, check_max_length, check_payload_length
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import FrameTooLarge, InvalidFrame
from .delimited import DEFAULT_MAX_LENGTH, DelimitedDecoder

__all__ = ["COBS"]

_END = b"\x00"
_FULL_BLOCK = 0xFF  # a code byte followed by 254 data bytes and no implied zero


class COBS(Frozen, Codec):
    """COBS-encoded payload followed by ``b"\\x00"``."""

    _fields = ("max_length",)
    max_length: int

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        check_max_length(max_length)
        self._set(max_length=max_length)

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """The stuffed payload and its zero byte."""
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        # The cobs extension rejects some memoryviews: hand it bytes.
        return (_cobs.encode(bytes(view)), _END)

    def decoder(self) -> COBSDecoder:
        """A fresh decoder."""
        return COBSDecoder(self)

    @property
    def largest_frame(self) -> int:
        """``max_length`` plus one code byte per 254 bytes, the first code byte and the 00."""
        return self.max_length + self.max_length // 254 + 2


class COBSDecoder(DelimitedDecoder):
    """Splits at ``b"\\x00"``, skips empty frames and unstuffs the others."""

    def __init__(self, codec: COBS) -> None:
        super().__init__(codec, _END)
        self._code_at = 0  # offset of the next code byte of the frame not yet walked
        self._decoded = 0  # payload bytes of the blocks before that code byte

    def _complete(self, end: int) -> bytes | None:
        buffer = self._buffer
        if not end:  # a zero with no frame before it: not even the empty message
            buffer.skip(1)
            return None
        # A payload is never longer than its stuffed form: only a long frame
        # needs the code-byte walk (a Python step per block) to be measured.
        if end > self._max_length:
            length = self._payload_seen(end)
            if length > self._max_length:
                buffer.skip(end + 1)
                raise FrameTooLarge(length, self._max_length)
        stuffed = buffer.take(end)
        buffer.skip(1)
        try:
            return bytes(_cobs.decode(stuffed))
        except _cobs.DecodeError as error:
            raise InvalidFrame(f"bad COBS frame of {end} bytes: {error}") from None

    def _batch_terminator(self) -> bytes | None:
        return None  # each frame is unstuffed and checked on its own: frame by frame

    def _payload_seen(self, end: int) -> int:
        # Walk the code bytes: a code byte c is followed by c - 1 data bytes and,
        # unless c is 0xFF or the frame ends there, an implied zero.
        # Called with a growing ``end`` past the code byte reached last time
        # (code bytes are never zero), so the walk always ends inside the frame.
        buffer = self._buffer
        code_at, decoded = self._code_at, self._decoded
        while True:
            code = buffer.byte_at(code_at)
            next_code_at = code_at + code
            if next_code_at >= end:
                self._code_at, self._decoded = code_at, decoded
                return decoded + end - code_at - 1
            decoded += code - 1 + (code != _FULL_BLOCK)
            code_at = next_code_at

    def reset_frame(self) -> None:
        """Forget how far the frame was measured."""
        super().reset_frame()
        self._code_at = 0
        self._decoded = 0
