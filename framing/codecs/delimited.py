"""Delimited framing: each message is followed by a delimiter.

::

    INPUT (delimiter=b"\\r\\n")                DECODED
    +-------+------+-------+------+          +-------+ +-------+
    | hello | \\r\\n | world | \\r\\n |   -->    | hello | | world |
    +-------+------+-------+------+          +-------+ +-------+

>>> codec = Delimited(b"\\r\\n")
>>> codec.encode(b"hello")
b'hello\\r\\n'
>>> codec.decode(b"hello\\r\\nworld\\r\\n")
[b'hello', b'world']

A delimiter split across two ``feed()`` calls is found. A frame is too large
(``FrameTooLarge``) as soon as more than ``max_length`` payload bytes have
arrived with no delimiter; it is reported once and skipped up to its
delimiter, and decoding goes on with the next frame.

This module also holds ``DelimitedDecoder``, the resynchronising decoder that
``Lines``, ``COBS`` and ``SLIP`` build on: they differ only in how a frame's
bytes become a payload.
"""

from __future__ import annotations

import re

from ..core.buffer import LONG_DELIMITED_FRAME, ReceiveBuffer
from ..core.codec import (
    Codec,
    Decoder,
    as_view,
    check_max_length,
    check_not_text,
    check_payload_length,
)
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge

__all__ = ["Delimited", "DelimitedDecoder", "contains"]

# Precedents for 64 KiB line limits: asyncio's StreamReader (64 KiB), Twisted's
# LineReceiver.MAX_LENGTH (16 KiB), Netty's examples (8 KiB); 64 KiB is the
# most generous of them.
DEFAULT_MAX_LENGTH = 65536


class Delimited(Frozen, Codec):
    """Payload followed by ``delimiter`` (any non-empty byte string)."""

    _fields = ("delimiter", "max_length")
    delimiter: bytes
    max_length: int

    def __init__(self, delimiter: bytes = b"\n", *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        check_not_text(delimiter, "the delimiter")
        delimiter = bytes(delimiter)
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        check_max_length(max_length)
        self._set(delimiter=delimiter, max_length=max_length)

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """Payload and delimiter; ``EncodeError`` if the payload would not decode back."""
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        delimiter = self.delimiter
        if contains(view, delimiter) or _completes_delimiter(view, delimiter):
            raise EncodeError(
                f"message of {len(view)} bytes contains the delimiter {delimiter!r}, "
                "or ends in a part of it"
            )
        return (view, delimiter)

    def encode(self, message: Buffer) -> bytes:
        """Payload and delimiter in one ``bytes``."""
        delimiter = self.delimiter
        if (
            type(message) is bytes
            and len(message) <= self.max_length
            # A memchr for the first byte (an int: a bytes needle first takes
            # a buffer of it) is many times faster than a search for a longer
            # delimiter, and says no for most payloads: then no delimiter can
            # start inside the payload, not even one its tail would begin.
            and (
                delimiter[0] not in message
                or (delimiter not in message and not _completes_delimiter(message, delimiter))
            )
        ):
            return message + delimiter
        return b"".join(self.encode_parts(message))

    def decoder(self) -> DelimitedDecoder:
        """A fresh decoder."""
        return DelimitedDecoder(self, self.delimiter)

    @property
    def largest_frame(self) -> int:
        """``max_length`` bytes, then the delimiter."""
        return self.max_length + len(self.delimiter)


def contains(view: bytes | memoryview, sub: bytes) -> bool:
    """Whether ``sub`` occurs in ``view``.

    ``sub in view`` on a memoryview compares single items with ``sub``, so it
    is always False for a bytes ``sub``; ``re`` searches any buffer uncopied.
    """
    if isinstance(view, bytes):
        # One byte is looked for as an int: a bare memchr, without taking a buffer of ``sub``.
        return (sub[0] in view) if len(sub) == 1 else (sub in view)
    return re.search(re.escape(sub), view) is not None


def _completes_delimiter(view: bytes | memoryview, delimiter: bytes) -> bool:
    """Whether ``view + delimiter`` holds the delimiter before ``len(view)``."""
    overlap = len(delimiter) - 1
    if not overlap:
        return False
    tail = view[max(0, len(view) - overlap) :]
    tail = (tail if type(tail) is bytes else bytes(tail)) + delimiter
    return tail.find(delimiter) != len(tail) - len(delimiter)


class DelimitedDecoder(Decoder):
    """Frames that end with a delimiter; a bad frame is reported once, then skipped.

    Subclasses change how a frame's bytes become a payload (``_complete``)
    and, when escapes make the wire longer than the payload, how many payload
    bytes an unfinished frame holds at least (``_payload_seen``).
    """

    resynchronises = True
    _collects = True  # keep a long frame's chunks uncopied (frames cut by plain delimiters)

    def __init__(self, codec: Codec, delimiter: bytes) -> None:
        super().__init__(codec)
        self._delimiter = delimiter
        self._max_length = codec.max_length
        self._skipping = False  # discarding the rest of a too-large frame
        self._terminator = delimiter  # what ends each message of the current batch
        # Long frames are collected (one byte cannot straddle two chunks).
        self._may_collect = self._collects and len(delimiter) == 1

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload; a too-large frame is reported once, then skipped."""
        delimiter = self._delimiter
        while True:
            if self._skipping and not self._skip():
                return None
            end = buffer.find(delimiter)
            if end < 0:
                buffered = len(buffer)
                if buffered <= self._max_length and (
                    buffered < LONG_DELIMITED_FRAME or buffer.collecting
                ):
                    return None  # nothing to decide: the usual case, kept cheap
                seen = self._payload_seen(buffered)
                if seen >= LONG_DELIMITED_FRAME and self._may_collect:
                    # Join its chunks once, when it ends.
                    buffer._collect_until(delimiter, self._max_length)
                if seen > self._max_length:
                    # Drop what is buffered of the frame now: the caller may
                    # feed another chunk before asking again.
                    self._skipping = True
                    self._skip()
                    raise FrameTooLarge(seen, self._max_length)
                return None
            try:
                frame = self._complete(end)
            finally:
                self.reset_frame()
            if frame is not None:
                return frame

    def _take_batch(self) -> list[bytes]:
        buffer = self._buffer
        if self._skipping or not buffer._has_frames(self._delimiter):
            return []
        split = self._split_frames()
        if split is None:
            return []
        pieces, terminator = split
        tail = pieces.pop()  # the unfinished frame after the last delimiter
        wire = len(buffer) - len(tail)
        # When the frames all fit together, none can be too long: no need to measure each.
        total = wire - len(pieces) * len(terminator)
        if total > self._max_length and max(map(len, pieces)) > self._max_length:
            return []  # decode() reports it, after the frames before it
        buffer.skip(wire)
        self._terminator = terminator
        self._batch_overhead = len(terminator)
        # What is left holds no delimiter: if it is long, it is the start of a long frame.
        if (
            LONG_DELIMITED_FRAME <= len(tail) <= self._max_length
            and not self._eof
            and self._may_collect
        ):
            # The start of a long frame: keep the chunks that follow uncopied.
            buffer._collect_until(self._delimiter, self._max_length)
        return pieces

    def _split_frames(self) -> tuple[list[bytes], bytes] | None:
        """The buffer split into payloads (the unfinished frame last) and what ends each.

        None leaves the frames to ``decode()``, one by one: for styles whose
        frames are transformed, and for streams a single split cannot cut.
        """
        return self._buffer._pieces(self._delimiter), self._delimiter

    def _rebuild_wire(self, messages: list[bytes]) -> bytes:
        terminator = self._terminator
        return terminator.join(messages) + terminator

    def _skip(self) -> bool:
        """Discard the too-large frame up to its delimiter; whether that is done."""
        buffer = self._buffer
        delimiter = self._delimiter
        end = buffer.find(delimiter)
        if end < 0:
            buffer.skip(max(0, len(buffer) - len(delimiter) + 1))
            return False
        buffer.skip(end + len(delimiter))
        self.reset_frame()
        return True

    def _complete(self, end: int) -> bytes | None:
        """Consume the frame whose delimiter starts at ``end``; its payload, None to drop it."""
        buffer = self._buffer
        if end > self._max_length:
            buffer.skip(end + len(self._delimiter))
            raise FrameTooLarge(end, self._max_length)
        payload = buffer.take(end)
        buffer.skip(len(self._delimiter))
        return payload

    def _payload_seen(self, end: int) -> int:
        """Payload bytes that the first ``end`` buffered bytes (no delimiter among them) hold."""
        # Only a tail that is the start of the delimiter may turn out not to be payload.
        buffer, delimiter = self._buffer, self._delimiter
        for size in range(min(len(delimiter) - 1, end), 0, -1):
            start = end - size
            if all(buffer.byte_at(start + i) == delimiter[i] for i in range(size)):
                return start
        return end

    def detach(self) -> bytes:
        """The buffered bytes after the frame being skipped, if any (they are no message)."""
        if self._skipping and self._error is None:
            self._skip()  # up to its delimiter; if none came yet, the next decoder starts mid-frame
        return super().detach()

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """The end of a skipped frame is no error; any other unterminated frame is."""
        if self._skipping:
            buffer.skip(len(buffer))
            self.reset_frame()
            return None
        return super().decode_eof(buffer)

    def reset_frame(self) -> None:
        """Stop skipping a too-large frame."""
        self._skipping = False
