"""The contract every codec and decoder follows, written once.

A ``Codec`` is an immutable configuration: ``encode`` turns one message into
its wire form, ``decoder()`` makes a fresh incremental ``Decoder`` for one
connection.

A ``Decoder`` is fed the bytes of each ``recv()`` and hands back messages.
Each decoder implements one step, ``_next()``, with exactly three outcomes:

- return the next message (consuming its bytes from the receive buffer),
- return ``None``: more bytes are needed,
- raise a ``FramingError`` at the exact point in the stream where the bad
  frame starts, so every message before it has already been returned.

After ``feed_eof()``, a ``None`` from ``_next()`` means the stream ended:
``_at_eof()`` then finishes it (the last message of ``UntilClose``, or
``IncompleteFrame`` for a partial frame). Decoders of styles that can find the
start of the next frame after a bad one (``_resynchronises``) skip the bad
frame and go on; the others stay failed and raise the same error again.

Speed: iterating a decoder first asks the style for a *batch*, every
complete, valid frame in the buffer at once (``_take_batch()``, a tight loop
or one C-level ``split``), and hands out a plain list iterator over it: alone
when the style knows nothing can follow until more is fed (``_batch_is_all``),
else chained to the frame-at-a-time path. If the caller stops half-way
through a batch, ``buffered`` counts the wire bytes of the messages not yet
handed out (their lengths plus ``_batch_overhead`` each) and ``detach()``
rebuilds them (a batch holds only frames whose wire form its messages
determine), so both stay exact; a bad frame is never part of a batch, so
errors still come from ``_next()`` in stream order. While a large frame is
still arriving, iteration returns at once (``ReceiveBuffer.waiting``, or
``_frame_end`` not yet buffered).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from itertools import chain
from operator import length_hint

from ..errors import EncodeError, FramingError, IncompleteFrame
from .buffer import ReceiveBuffer
from .types import Buffer

__all__ = ["Codec", "Decoder", "as_view", "check_max_length", "check_payload_length"]

_NOTHING: Iterator[bytes] = iter(())  # exhausted for good: what iteration returns while waiting


def as_view(message: Buffer) -> bytes | memoryview:
    """``message`` as something with a byte length: itself if ``bytes``, else a byte view."""
    if type(message) is bytes:
        return message
    return memoryview(message).cast("B")


def check_payload_length(length: int, max_length: int) -> None:
    """``EncodeError`` for a payload the decoder on the other side would refuse."""
    if length > max_length:
        raise EncodeError(f"message of {length} bytes exceeds max_length of {max_length} bytes")


def check_max_length(max_length: int) -> None:
    """Refuse a ``max_length`` that is not a non-negative integer."""
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
        raise ValueError(f"max_length must be a non-negative integer, not {max_length!r}")


class Codec(ABC):
    """An immutable framing style: how one message looks on the wire."""

    max_length: int  # the largest payload, in bytes, that the codec encodes or decodes

    @abstractmethod
    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """The wire form of ``message`` as parts to send in order, the payload not copied."""

    @abstractmethod
    def decoder(self) -> Decoder:
        """A fresh incremental decoder, one per connection."""

    def encode(self, message: Buffer) -> bytes:
        """The wire form of one message; ``EncodeError`` if it cannot be framed."""
        return b"".join(self.encode_parts(message))

    def decode(self, data: Buffer) -> list[bytes]:
        """All messages of a complete byte string; ``IncompleteFrame`` if bytes are left over."""
        decoder = self.decoder()
        decoder.feed(data)
        decoder.feed_eof()
        return list(decoder)


class Decoder(ABC):
    """Turns received bytes into messages, whatever the chunking."""

    _resynchronises = False  # can the decoder find the next frame after a bad one?

    def __init__(self, codec: Codec) -> None:
        self.codec = codec  # the codec this decoder decodes for
        self._buffer = ReceiveBuffer()  # wire bytes fed and not yet part of a returned message
        self._eof = False  # feed_eof() was called
        self._error: FramingError | None = None  # raised again on every call once failed
        # Wire bytes the current frame needs in all, when the style knows (else
        # 0): until they are buffered, iteration has nothing to do.
        self._frame_end = 0
        # The last batch: its messages, the iterator handed out over them, and
        # how a message's wire form is rebuilt: followed by _batch_terminator,
        # or (None) codec.encode(message); either way each adds
        # _batch_overhead bytes to the message (what buffered counts).
        self._batch: list[bytes] = []
        self._pending: Iterator[bytes] | None = None
        self._batch_terminator: bytes | None = None
        self._batch_overhead = 0
        # Set by _take_batch when _next() surely has nothing after the batch
        # (no frame, no error) until more is fed: iteration is then the batch alone.
        self._batch_is_all = False
        # For buffered: the batch's payload bytes, and those of its first
        # _counted messages, summed once each however often it is asked.
        self._batch_bytes = -1
        self._counted = 0
        self._counted_bytes = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.codec!r}, {self.buffered} bytes buffered>"

    # -- feeding -------------------------------------------------------------

    def feed(self, data: Buffer) -> None:
        """Buffer the bytes of one ``recv()``; never raises a framing error."""
        if self._eof:
            raise ValueError("feed() after feed_eof(): the stream has ended")
        if self._error is None:
            self._buffer.feed(data)

    def feed_eof(self) -> None:
        """The peer shut down its side: no more bytes will be fed."""
        self._eof = True

    # -- reading -------------------------------------------------------------

    def next_frame(self) -> bytes | None:
        """The next message, or ``None`` when more data is needed (or the stream ended cleanly)."""
        pending = self._pending
        if pending is not None:
            for message in pending:
                return message
            self._end_batch()
        if self._error is not None:
            raise self._error.with_traceback(None)
        if self._buffer.waiting and not self._eof:
            return None  # a large frame still arriving
        try:
            frame = self._next()
            if frame is None and self._eof:
                frame = self._at_eof()
        except FramingError as error:
            if not self._resynchronises or isinstance(error, IncompleteFrame):
                self._error = error
            raise
        return frame

    def __iter__(self) -> Iterator[bytes]:
        """Every complete message buffered so far, in order; stops when more data is needed."""
        pending = self._pending
        if pending is not None and not length_hint(pending):
            self._end_batch()  # handed out in full
            pending = None
        if pending is None and not self._eof:
            # A frame still arriving: one check per chunk.
            if self._buffer.waiting:
                return _NOTHING
            frame_end = self._frame_end
            if frame_end and frame_end > len(self._buffer):
                self._buffer.collect(frame_end)  # if it is large: keep its chunks from now on
                return _NOTHING
        if pending is None and self._error is None and not self._buffer.collecting:
            batch = self._take_batch()
            if batch:
                self._batch = batch
                pending = self._pending = iter(batch)
                if self._batch_is_all:
                    return pending
        if pending is None:
            if self._buffer.collecting:
                return self._after_large_frame()
            return iter(self.next_frame, None)
        return chain(pending, iter(self.next_frame, None))

    def _after_large_frame(self) -> Iterator[bytes]:
        """The large frame being collected, if complete, then the rest of its last chunk in a batch.

        A batch cannot take a frame still held as collected chunks, and the
        chunk that completes it usually holds more frames: they should not all
        go one by one.
        """
        frame = self.next_frame()
        if frame is not None:
            yield frame
            yield from self

    def __next__(self) -> bytes:
        frame = self.next_frame()
        if frame is None:
            raise StopIteration
        return frame

    @property
    def buffered(self) -> int:
        """Wire bytes fed and not yet part of a returned message."""
        if self._pending is None:
            return len(self._buffer)
        batch = self._batch
        left = length_hint(self._pending)
        handed_out = len(batch) - left
        if self._batch_bytes < 0:
            self._batch_bytes = sum(map(len, batch))
        self._counted_bytes += sum(map(len, batch[self._counted : handed_out]))
        self._counted = handed_out
        pending_bytes = self._batch_bytes - self._counted_bytes
        return pending_bytes + left * self._batch_overhead + len(self._buffer)

    @property
    def bytes_needed(self) -> int | None:
        """Bytes still missing to complete the current frame, when the style knows; else None."""
        if not self._frame_end:
            return None
        return max(0, self._frame_end - len(self._buffer))

    @property
    def eof(self) -> bool:
        """Whether ``feed_eof()`` was called."""
        return self._eof

    def detach(self) -> bytes:
        """Hand over the buffered bytes that are not yet part of a message; leave the decoder empty.

        The way to switch protocols mid-stream: feed what this returns to the
        next protocol's decoder.
        """
        data = self._pending_wire() + self._buffer.take_all()
        self._end_batch()
        self._reset()
        return data

    # -- batches ---------------------------------------------------------------

    def _take_batch(self) -> list[bytes]:
        """Consume every complete, valid frame at once (setting how to rebuild their wire form).

        Styles without a fast path return ``[]`` and are read frame by frame.
        """
        return []

    def _pending_messages(self) -> list[bytes]:
        """The batch's messages not yet handed out."""
        if self._pending is None:
            return []
        left = length_hint(self._pending)
        return self._batch[len(self._batch) - left :] if left else []

    def _pending_wire(self) -> bytes:
        """The wire bytes of the batch's messages not yet handed out."""
        pending = self._pending_messages()
        if not pending:
            return b""
        terminator = self._batch_terminator
        if terminator is None:
            return b"".join(map(self.codec.encode, pending))
        return terminator.join(pending) + terminator

    def _end_batch(self) -> None:
        self._batch = []
        self._pending = None
        self._batch_bytes = -1
        self._counted = self._counted_bytes = 0

    # -- the step each style implements --------------------------------------

    @abstractmethod
    def _next(self) -> bytes | None:
        """Consume and return one message, return None for "need more", or raise."""

    def _at_eof(self) -> bytes | None:
        """Finish the stream once ``_next()`` has nothing more: partial bytes are an error."""
        if self._buffer:
            raise IncompleteFrame(self._buffer.peek(len(self._buffer)))
        return None

    def _reset(self) -> None:  # noqa: B027 - most styles keep no per-frame state
        """Forget any parsed state of the current frame (its bytes were detached)."""
