"""Line framing: each message is followed by ``b"\\n"``; ``b"\\r\\n"`` is accepted on input.

::

    INPUT                                  DECODED
    +------+----+-------+--------+         +------+ +-------+
    | EHLO | \\n | hello | \\r\\n   |  -->    | EHLO | | hello |
    +------+----+-------+--------+         +------+ +-------+

>>> codec = Lines()
>>> codec.encode(b"hello")
b'hello\\n'
>>> codec.decode(b"EHLO\\nhello\\r\\n")
[b'EHLO', b'hello']

The everyday text-protocol case. One trailing ``b"\\r"`` is stripped from each
line and not counted in ``max_length``. With ``strict_crlf=True`` lines are
written with ``b"\\r\\n"`` and a bare ``b"\\n"`` is ``InvalidFrame`` (for protocols
such as SMTP and HTTP that must reject it); the bad line is skipped. An
unterminated last line at EOF is ``IncompleteFrame``, unless
``allow_unterminated=True`` makes it the last message.

With ``universal_newlines=True`` (as Python's ``open()`` reads text) a lone
``b"\\r"`` ends a line too (old Mac OS files, some serial devices): ``b"\\n"``,
``b"\\r\\n"`` and ``b"\\r"`` all end one, and a ``b"\\r"`` anywhere is a line
end, never part of a line::

    INPUT (universal_newlines=True)            DECODED
    +---+----+---+------+---+----+---+----+      +---+ +---+ +---+ +---+
    | a | \\r | b | \\r\\n | c | \\n | d | \\r | -->  | a | | b | | c | | d |
    +---+----+---+------+---+----+---+----+      +---+ +---+ +---+ +---+

>>> Lines(universal_newlines=True).decode(b"a\\rb\\r\\nc\\nd\\r")
[b'a', b'b', b'c', b'd']

A chunk that ends in ``b"\\r"`` waits for the next byte (or EOF) before it
decides whether the ``b"\\r"`` ended a line alone or begins a ``b"\\r\\n"``,
so a ``b"\\r\\n"`` cut between two chunks is one line end, never two. Lines
are written with ``b"\\n"``; ``encode`` refuses a ``b"\\r"`` anywhere in a line.
It decodes with ``Delimited``'s search for several delimiters
(``b"\\r\\n"``, ``b"\\n"``, ``b"\\r"``): lines that all end alike in one batch,
mixed ones line by line. ``strict_crlf`` and ``universal_newlines``
contradict each other: asking for both is a ``ValueError``.
"""

from __future__ import annotations

from typing import Any, overload

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge, InvalidFrame
from .delimited import DEFAULT_MAX_LENGTH, AnyDelimiterDecoder, DelimitedDecoder, contains

__all__ = ["Lines"]

_CR = 0x0D
_LF = 0x0A
# What ends a line with universal_newlines=True (the order does not matter to the decoder).
UNIVERSAL_NEWLINES = (b"\r\n", b"\n", b"\r")


class Lines(Frozen, Codec):
    """Text lines ended by ``b"\\n"`` (or ``b"\\r\\n"``; a lone ``b"\\r"`` too if universal)."""

    _fields = ("max_length", "strict_crlf", "allow_unterminated")
    max_length: int
    strict_crlf: bool
    allow_unterminated: bool
    universal_newlines: bool
    _fast_max: int  # the length up to which encode() takes its fast path (-1: never)

    # Two signatures for type checkers only: a call that passes max_length in
    # a ``**dict[str, int]`` (as codec_from_spec does) matches the first.
    @overload
    def __init__(
        self, *, max_length: int = ..., strict_crlf: bool = ..., allow_unterminated: bool = ...
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        max_length: int = ...,
        strict_crlf: bool = ...,
        allow_unterminated: bool = ...,
        universal_newlines: bool,
    ) -> None: ...

    def __init__(
        self,
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        strict_crlf: bool = False,
        allow_unterminated: bool = False,
        universal_newlines: bool = False,
    ) -> None:
        check_max_length(max_length)
        if strict_crlf and universal_newlines:
            raise ValueError(
                "strict_crlf (only b'\\r\\n' ends a line) and universal_newlines "
                "(b'\\n', b'\\r\\n' and b'\\r' do) cannot both be set"
            )
        self._set(
            max_length=max_length,
            strict_crlf=strict_crlf,
            allow_unterminated=allow_unterminated,
            universal_newlines=bool(universal_newlines),
            _fast_max=-1 if universal_newlines else max_length,
        )

    def _values(self) -> tuple[Any, ...]:
        # universal_newlines only when set: other codecs show, compare and hash as they always have.
        values = (self.max_length, self.strict_crlf, self.allow_unterminated)
        return (*values, True) if self.universal_newlines else values

    def __repr__(self) -> str:
        text = super().__repr__()
        return text[:-1] + ", universal_newlines=True)" if self.universal_newlines else text

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """Line and terminator; ``EncodeError`` for ``b"\\n"`` inside or ``b"\\r"`` at the end.

        With ``universal_newlines`` a ``b"\\r"`` anywhere is refused.
        """
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        if contains(view, b"\n"):
            raise EncodeError(f"line of {len(view)} bytes contains b'\\n'")
        if self.universal_newlines and contains(view, b"\r"):
            raise EncodeError(
                f"line of {len(view)} bytes contains b'\\r', which ends a line "
                "with universal_newlines=True"
            )
        if len(view) and view[-1] == _CR:
            raise EncodeError(f"line of {len(view)} bytes ends in b'\\r', which would be stripped")
        return (view, b"\r\n" if self.strict_crlf else b"\n")

    def encode(self, message: Buffer) -> bytes:
        """Line and terminator in one ``bytes``."""
        if (
            type(message) is bytes
            and len(message) <= self._fast_max
            # An int is looked for with a bare memchr; a bytes needle first
            # takes a buffer of it (seven times slower for a short line).
            and _LF not in message
            and (not message or message[-1] != _CR)
        ):
            return message + (b"\r\n" if self.strict_crlf else b"\n")
        return b"".join(self.encode_parts(message))

    def decoder(self) -> Decoder:
        """A fresh decoder."""
        if self.universal_newlines:
            return UniversalLinesDecoder(self)
        return LinesDecoder(self)

    @property
    def largest_frame(self) -> int:
        """``max_length`` bytes, then ``\\r\\n``."""
        return self.max_length + 2


class LinesDecoder(DelimitedDecoder):
    """Splits at ``b"\\n"`` and strips one ``b"\\r"`` before it."""

    def __init__(self, codec: Lines) -> None:
        super().__init__(codec, b"\n")
        self._strict = codec.strict_crlf
        self._allow_unterminated = codec.allow_unterminated

    def _complete(self, end: int) -> bytes | None:
        buffer = self._buffer
        crlf = bool(end) and buffer.byte_at(end - 1) == _CR
        length = end - crlf
        # Too large wins over a bare LF: cut into small chunks, the decoder
        # reports a too-long line before its LF arrives.
        if length > self._max_length:
            buffer.skip(end + 1)
            raise FrameTooLarge(length, self._max_length)
        if self._strict and not crlf:
            buffer.skip(end + 1)
            raise InvalidFrame(f"line of {end} bytes ends in a bare b'\\n', not b'\\r\\n'")
        line = buffer.take(length)
        buffer.skip(end + 1 - length)
        return line

    def _batch_terminator(self) -> bytes | None:
        # LF-only and CRLF-only streams split in one pass; mixed ones go line by line.
        buffer = self._buffer
        if not buffer._has(b"\r"):
            return None if self._strict else b"\n"
        if buffer.count(b"\n") != buffer.count(b"\r\n"):  # some lines end in a bare LF
            return None
        return b"\r\n"

    def _payload_seen(self, end: int) -> int:
        # A last b"\r" may be the start of a b"\r\n" (end is all that is buffered).
        return end - (end > 0 and self._buffer._last_byte() == _CR)

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """An unterminated last line is the last message if allowed, its ``b"\\r"`` stripped."""
        # decode() has reported a line too long even without a last b"\r".
        if self._allow_unterminated and buffer and not self._skipping:
            length = len(buffer)
            crlf = buffer.byte_at(length - 1) == _CR
            line = buffer.take(length - crlf)
            buffer.skip(crlf)
            return line
        return super().decode_eof(buffer)


class UniversalLinesDecoder(AnyDelimiterDecoder):
    """Splits at the earliest ``b"\\r\\n"``, ``b"\\n"`` or lone ``b"\\r"``."""

    def __init__(self, codec: Lines) -> None:
        super().__init__(codec, UNIVERSAL_NEWLINES)
        self._allow_unterminated = codec.allow_unterminated

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """An unterminated last line is the last message if allowed."""
        # decode() has reported a line too long, and ended one at a last b"\r".
        if self._allow_unterminated and buffer and not self._skipping:
            line = buffer.take_all()
            self._consumed(len(line))
            return line
        return super().decode_eof(buffer)
