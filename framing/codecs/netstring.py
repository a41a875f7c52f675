"""Netstrings (D. J. Bernstein, cr.yp.to/proto/netstrings.txt): ``<length>:<payload>,``.

::

    INPUT                          DECODED
    +----+---+--------------+---+  +--------------+
    | 12 | : | hello world! | , |  | hello world! |
    +----+---+--------------+---+  +--------------+

>>> codec = Netstring()
>>> codec.encode(b"hello world!")
b'12:hello world!,'
>>> codec.decode(b"12:hello world!,0:,")
[b'hello world!', b'']

The length is ASCII decimal with no leading zeros ("0" alone is the empty
string); anything else, or a payload not followed by ``b","``, is
``InvalidFrame``. A length above ``max_length`` is ``FrameTooLarge`` as soon
as its digits show it, before any payload is buffered. Netstrings cannot be
resynchronised on: after any error the decoder stays failed.
"""

from __future__ import annotations

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import FrameTooLarge, InvalidFrame

__all__ = ["Netstring"]

DEFAULT_MAX_LENGTH = 16 * 1024 * 1024
_COLON = b":"
_COMMA = ord(",")
_ZERO = ord("0")


class Netstring(Frozen, Codec):
    """D. J. Bernstein's netstrings: ``<decimal length>:<payload>,``, as in ``5:hello,``.

    ``max_length`` (default 16 MiB): the longest payload; a length above it
    is ``FrameTooLarge`` as soon as its digits show it, before any payload
    is buffered. A length with a leading zero (``0`` alone is the empty
    string), anything but digits before the colon, or a payload not
    followed by ``,`` is ``InvalidFrame``. After any error the decoder stays
    failed.
    """

    _fields = ("max_length",)
    max_length: int

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        check_max_length(max_length)
        self._set(max_length=max_length)

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """Length and colon, payload, comma."""
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        return (b"%d:" % len(view), view, b",")

    def decoder(self) -> NetstringDecoder:
        """A fresh decoder."""
        return NetstringDecoder(self)

    @property
    def largest_frame(self) -> int:
        """``<digits>:`` + ``max_length`` bytes + ``,``."""
        return len(str(self.max_length)) + 1 + self.max_length + 1

    @property
    def payload_trailer(self) -> bytes:
        """``b","``: the payload follows the colon as it is, then the comma."""
        return b","


class NetstringDecoder(Decoder):
    """Reads the decimal length, then the payload and its comma."""

    def __init__(self, codec: Netstring) -> None:
        super().__init__(codec)
        self._max_length = codec.max_length
        self._max_digits = len(str(codec.max_length))
        # The current frame's (header size, payload length) once its colon has been read.
        self._header: tuple[int, int] | None = None

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next payload, once its length, colon, payload and comma are all here."""
        header = self._header
        if header is None:
            header = self._header = self._read_length(buffer)
            if header is None:
                return None
        size, length = header
        if len(buffer) <= size + length:
            buffer.expect(size + length + 1)
            return None
        if buffer.byte_at(size + length) != _COMMA:
            raise InvalidFrame(f"netstring of {length} bytes is not followed by ','")
        self._header = None
        buffer.skip(size)
        payload = buffer.take(length)
        buffer.skip(1)
        return payload

    def _read_length(self, buffer: ReceiveBuffer) -> tuple[int, int] | None:
        """``(header size, length)`` once the colon is in; checks the digits as they come."""
        colon = buffer.find(_COLON, limit=self._max_digits + 1)
        head = buffer.peek(self._max_digits + 1 if colon < 0 else colon)
        # Judge the leading digits as they would have been judged had they
        # arrived one by one: a leading zero, then a length too large (more
        # digits only make it larger, so the shortest prefix above max_length
        # is reported), then whatever follows them.
        digits = head[: len(head) - len(head.lstrip(b"0123456789"))]
        if len(digits) > 1 and digits[0] == _ZERO:
            raise InvalidFrame(f"netstring length {head!r} has a leading zero")
        for size in (self._max_digits, self._max_digits + 1):
            if len(digits) >= size and int(digits[:size]) > self._max_length:
                raise FrameTooLarge(int(digits[:size]), self._max_length)
        if digits != head or colon == 0:
            raise InvalidFrame(f"netstring length {head!r} is not a decimal number")
        if colon < 0:
            return None
        return colon + 1, int(digits)

    def reset_frame(self) -> None:
        """Forget the length read."""
        self._header = None
