"""The codec contract, written once: what every codec and decoder is, ours or yours.

A ``Codec`` is an immutable configuration: ``encode`` turns one message into
its wire form, ``decoder()`` makes a fresh incremental ``Decoder`` for one
connection. A codec defines ``decoder()`` and either ``encode(message)`` or
``encode_parts(message)``; the base class derives the other.

A ``Decoder`` implements one step, as tokio-util's ``Decoder::decode`` does::

    def decode(self, buffer: ReceiveBuffer) -> bytes | None

with exactly three outcomes:

- return the next message, consuming its wire bytes from ``buffer``;
- return ``None``: more bytes are needed (nothing need be consumed);
- raise a ``FramingError`` where the bad frame starts, so every message
  before it has already been returned.

``decode_eof(buffer)`` finishes the stream once ``feed_eof()`` was called and
``decode`` has nothing more: by default leftover bytes are ``IncompleteFrame``
(``UntilClose`` returns its one message there). A decoder whose style can find
the next frame after a bad one sets ``resynchronises = True`` and consumes the
bad frame's bytes before it raises; any other decoder stays failed and raises
the same error again. A decoder that keeps state about the current frame (a
parsed header) forgets it in ``reset_frame()``, which ``detach()`` calls.

Everything else is this base class's, the same for every decoder: ``feed``,
``feed_eof``, iteration, ``next_frame``, ``buffered``, ``bytes_needed`` and
``detach``. No iterator taken from a decoder outlives its accounting: each
draws from the decoder's own queue, so however they are interleaved with
``next_frame()``, ``detach()`` and ``feed_eof()``, every message is handed out
once, in order.

Speed (private to the built-in codecs, which say so in their modules): a style
may decode every complete frame in the buffer at once (``_take_batch()``, a
tight loop or one C-level ``split``). The batch is the decoder's queue:
iteration hands out a plain list iterator over it, chained to the
frame-at-a-time step; ``buffered`` counts the wire bytes of the messages not
yet handed out and ``detach()`` rebuilds them (a batch holds only frames whose
wire form its messages determine), then empties the queue in place, which ends
every iterator over it. A bad frame is never part of a batch, so errors still
come from ``decode`` in stream order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from operator import length_hint
from typing import ClassVar, TypeAlias

from ..errors import EncodeError, FramingError, IncompleteFrame
from .buffer import ReceiveBuffer
from .types import Buffer

#: What a batch's messages add to their payloads on the wire: bytes each, or,
#: for headers whose size varies (varints), each message's in a ``bytes``.
BatchOverhead: TypeAlias = "int | bytes"

__all__ = [
    "Codec",
    "Decoder",
    "as_view",
    "check_max_length",
    "check_not_text",
    "check_payload_length",
]


def as_view(message: Buffer) -> bytes | memoryview:
    """``message`` as something with a byte length: itself if ``bytes``, else a byte view."""
    if type(message) is bytes:
        return message
    check_not_text(message, "a message")
    return memoryview(message).cast("B")


def check_not_text(data: object, what: str) -> None:
    """A ``TypeError`` that says how to make bytes, for a ``str`` given where bytes belong."""
    if isinstance(data, str):
        raise TypeError(
            f"{what} must be bytes, not str: encode it first, e.g. {data[:20]!r}.encode()"
        )


def check_payload_length(length: int, max_length: int) -> None:
    """``EncodeError`` for a payload the decoder on the other side would refuse."""
    if length > max_length:
        raise EncodeError(f"message of {length} bytes exceeds max_length of {max_length} bytes")


def check_max_length(max_length: int) -> None:
    """Refuse a ``max_length`` that is not a non-negative integer."""
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
        raise ValueError(f"max_length must be a non-negative integer, not {max_length!r}")


class Codec(ABC):
    """An immutable framing style: how one message looks on the wire.

    Define ``decoder()`` and one of ``encode(message)`` (the wire form as one
    ``bytes``) or ``encode_parts(message)`` (the wire form as parts to send in
    order, the payload not copied): the base class derives the other.
    """

    #: The largest payload, in bytes, that the codec encodes or decodes.
    max_length: int

    #: Whether a message ends where the sender shuts down its write side (the
    #: HTTP/1.0 style): one message per stream, after which an adapter's
    #: ``send`` half-closes and refuses a second message.
    ends_at_close: ClassVar[bool] = False

    @property
    def largest_frame(self) -> int | None:
        """The most wire bytes one frame takes (its payload ``max_length`` long), if known.

        ``None`` (the default) when the style does not say. A decoder never
        holds more than this plus one read of bytes for a frame it has not
        handed out; ``framing.testing.check_codec`` checks it of every codec
        that states it.
        """
        return None

    @property
    def payload_trailer(self) -> bytes | None:
        """Where a frame's payload sits, for adapters that receive a large one in place.

        ``None`` (the default): frames are read through the decoder. Bytes:
        every frame is a header the decoder parses, then the payload exactly
        as sent, then these bytes (``b""`` for none); once the header is
        parsed, the decoder's ``bytes_needed`` counts the payload's missing
        bytes plus the trailer. ``FramedSocket`` then receives the payload
        straight into the ``bytes`` object it returns.
        """
        return None

    @abstractmethod
    def decoder(self) -> Decoder:
        """A fresh incremental decoder, one per connection."""

    def encode(self, message: Buffer) -> bytes:
        """The wire form of one message; ``EncodeError`` if it cannot be framed."""
        if type(self).encode_parts is Codec.encode_parts:
            raise TypeError(f"{type(self).__name__} must define encode() or encode_parts()")
        return b"".join(self.encode_parts(message))

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """The wire form of ``message`` as parts to send in order (for scatter/gather sends)."""
        if type(self).encode is Codec.encode:
            raise TypeError(f"{type(self).__name__} must define encode() or encode_parts()")
        return (self.encode(message),)

    def encode_many(self, messages: Sequence[Buffer]) -> bytes:
        """The frames of several messages, one after another, as one ``bytes``.

        ``EncodeError`` if any message cannot be framed (then nothing is
        returned). What ``send_many`` sends; a codec may do it faster than a
        frame at a time, as ``LengthPrefixed`` does.
        """
        return b"".join(map(self.encode, messages))

    def decode(self, data: Buffer) -> list[bytes]:
        """All messages of a complete byte string; ``IncompleteFrame`` if bytes are left over."""
        decoder = self.decoder()
        decoder.feed(data)
        decoder.feed_eof()
        return list(decoder)


def _refuse_feed(data: Buffer) -> None:
    """A ``feed`` after ``feed_eof()``."""
    raise ValueError("feed() after feed_eof(): the stream has ended")


def _drop_feed(data: Buffer) -> None:
    """A failed decoder's ``feed``: the bytes after a bad frame are no messages."""


class _Batch:
    """Messages decoded at once and not all handed out: the decoder's queue.

    ``messages`` is read through one shared list ``iterator``; clearing the
    list in place ends that iterator and every chain over it. Each message
    stands for its length plus ``overhead`` wire bytes (or, where that
    varies, ``overhead[i]`` for message i), and ``rebuild`` turns the
    messages not handed out (the last ones) back into their exact wire bytes.
    """

    __slots__ = (
        "_counted",
        "_counted_bytes",
        "_total",
        "iterator",
        "messages",
        "overhead",
        "rebuild",
        "source",
    )

    def __init__(
        self,
        messages: list[bytes],
        overhead: BatchOverhead,
        rebuild: Callable[[list[bytes]], bytes],
        source: tuple[bytes, int] | None = None,
    ) -> None:
        self.messages = messages
        self.iterator = iter(messages)
        self.overhead = overhead
        self.rebuild = rebuild
        # The bytes the messages were cut from and the offset after the last,
        # where a codec keeps them: the wire of those not handed out is then
        # sliced from there, as received, instead of rebuilt.
        self.source = source
        # For wire_left(): the wire bytes of all messages, and of the first
        # _counted, each summed once however often it is asked.
        self._total = -1
        self._counted = 0
        self._counted_bytes = 0

    def _wire(self, start: int, stop: int) -> int:
        """The wire bytes of messages ``start`` to ``stop``."""
        overhead = self.overhead
        if isinstance(overhead, int):
            added = (stop - start) * overhead
        else:
            added = sum(overhead[start:stop])
        return sum(map(len, self.messages[start:stop])) + added

    def wire_left(self) -> int:
        """Wire bytes of the messages not yet handed out."""
        messages = self.messages
        handed_out = len(messages) - length_hint(self.iterator)
        if self._total < 0:
            self._total = self._wire(0, len(messages))
        self._counted_bytes += self._wire(self._counted, handed_out)
        self._counted = handed_out
        return self._total - self._counted_bytes

    def take_wire(self) -> bytes:
        """The wire bytes of the messages not yet handed out; the queue is left empty."""
        left = length_hint(self.iterator)
        if not left:
            wire = b""
        elif self.source is not None:
            data, end = self.source
            wire = data[end - self.wire_left() : end]
        else:
            wire = self.rebuild(self.messages[len(self.messages) - left :])
        self.messages.clear()
        self.source = None
        return wire


class _AfterLargeFrame:
    """The large frame being collected, if complete, then the rest of its last chunk in a batch.

    A batch cannot take a frame still held as collected chunks, and the chunk
    that completes it usually holds more frames: they should not all go one by
    one. Like the other iterators, it goes on after an error.
    """

    __slots__ = ("decoder", "rest")

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.rest: Iterator[bytes] | None = None  # iter(decoder), once the large frame is out

    def __iter__(self) -> _AfterLargeFrame:
        return self

    def __next__(self) -> bytes:
        if self.rest is not None:
            return next(self.rest)
        frame = self.decoder.next_frame()
        if frame is None:
            raise StopIteration
        self.rest = iter(self.decoder)
        return frame


class Decoder(ABC):
    """Turns received bytes into messages, whatever the chunking.

    Using one: ``feed(chunk)`` the bytes of each ``recv()``, then take the
    complete messages with ``for message in decoder`` or ``next_frame()``;
    call ``feed_eof()`` at the end of the stream. An error is raised where
    the bad frame is, after every message before it.

    Writing one, for a codec of your own: implement ``decode(buffer)``,
    which reads the ``ReceiveBuffer`` and either consumes and returns the
    next message, returns ``None`` when more bytes are needed, or raises a
    ``FramingError`` where the bad frame starts. Optionally override
    ``decode_eof(buffer)`` (the end of the stream: by default leftover bytes
    are ``IncompleteFrame``), ``reset_frame()`` (forget a parsed header when
    ``detach()`` hands its bytes over), ``resynchronises`` and
    ``recovers_from(error)`` (which errors it resynchronises after). Everything
    else is this base class's.
    """

    #: Whether the style finds the next frame after a bad one. If so, ``decode``
    #: consumes the bad frame's bytes before it raises and decoding goes on;
    #: if not, the decoder stays failed and raises the same error again.
    resynchronises: ClassVar[bool] = False

    def __init__(self, codec: Codec) -> None:
        self.codec = codec  # the codec this decoder decodes for
        self._buffer = ReceiveBuffer()  # wire bytes fed and not yet part of a returned message
        self._eof = False  # feed_eof() was called
        self._error: FramingError | None = None  # raised again on every call once failed
        self._batch: _Batch | None = None  # decoded messages not all handed out yet
        self._route_feed()

    def _route_feed(self) -> None:
        """Point this decoder's ``feed`` at what its state calls for.

        A chunk is the hot path of a frame still arriving, so while the
        stream is open and sound ``feed`` is the buffer's own method: one
        Python call per chunk, not two. After ``feed_eof()`` it refuses, and
        after an error the decoder does not recover from it drops what is
        fed. A subclass that defines its own ``feed`` keeps it.
        """
        if type(self).feed is not Decoder.feed:
            return
        route: Callable[[Buffer], None]
        if self._eof:
            route = _refuse_feed
        elif self._error is not None:
            route = _drop_feed
        else:
            route = self._buffer.feed
        # An instance attribute shadows the method, for this decoder only. A
        # plain store: writing through __dict__ would turn the decoder's
        # attribute storage into a dict and slow every other attribute.
        self.feed = route  # type: ignore[method-assign,assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.codec!r}, {self.buffered} bytes buffered>"

    # -- the steps a decoder implements ----------------------------------------

    @abstractmethod
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """Consume and return the next message, return ``None`` for "need more", or raise."""

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """Finish the stream once ``decode`` has nothing more after ``feed_eof()``.

        Return a last message, ``None`` when the stream is done, or raise.
        By default bytes left over are an ``IncompleteFrame`` holding them.
        """
        if buffer:
            raise IncompleteFrame(buffer.peek(len(buffer)))
        return None

    def recovers_from(self, error: FramingError) -> bool:
        """Whether decoding goes on after ``error`` (``decode`` consumed the bad frame).

        By default: if the style ``resynchronises``, after any error but an
        ``IncompleteFrame``. Otherwise the decoder stays failed: it raises
        ``error`` again on every later call and drops what is fed.
        """
        return self.resynchronises and not isinstance(error, IncompleteFrame)

    def reset_frame(self) -> None:  # noqa: B027 - most decoders keep no per-frame state
        """Forget what was parsed of the current frame: ``detach()`` handed its bytes over."""

    # -- feeding -------------------------------------------------------------

    def feed(self, data: Buffer) -> None:
        """Buffer the bytes of one ``recv()``; never raises a framing error."""
        if self._eof:
            _refuse_feed(data)
        if self._error is None:
            self._buffer.feed(data)

    def feed_eof(self) -> None:
        """The peer shut down its side: no more bytes will be fed."""
        self._eof = True
        self._route_feed()

    # -- reading -------------------------------------------------------------

    def next_frame(self) -> bytes | None:
        """The next message, or ``None`` when more data is needed (or the stream ended cleanly)."""
        batch = self._batch
        if batch is not None:
            for message in batch.iterator:
                return message
            self._batch = None
        if self._error is not None:
            raise self._error.with_traceback(None)
        buffer = self._buffer
        if buffer.short and not self._eof:
            return None  # the current frame is surely incomplete
        try:
            frame = self.decode(buffer)
            if frame is None and self._eof:
                frame = self.decode_eof(buffer)
        except FramingError as error:
            if not self.recovers_from(error):
                self._error = error
                self._route_feed()
            raise
        return frame

    def __iter__(self) -> Iterator[bytes]:
        """Every complete message buffered so far, in order; stops when more data is needed."""
        batch = self._batch
        if batch is not None:
            if length_hint(batch.iterator):
                return chain(batch.iterator, iter(self.next_frame, None))
            self._batch = None
        buffer = self._buffer
        if buffer.short and not self._eof:
            # A frame still arriving: nothing to batch. The iterator asks
            # again when advanced (more may have been fed, or EOF).
            return iter(self.next_frame, None)
        if self._error is None and not buffer.collecting:
            messages = self._take_batch()
            if messages:
                source = self._batch_source
                if source is not None:  # handed to the batch, which ends with its messages
                    self._batch_source = None
                batch = self._batch = _Batch(
                    messages, self._batch_overhead, self._rebuild_wire, source
                )
                return chain(batch.iterator, iter(self.next_frame, None))
        if buffer.collecting:
            return _AfterLargeFrame(self)
        return iter(self.next_frame, None)

    def __next__(self) -> bytes:
        """The next message; ``StopIteration`` when more data is needed."""
        frame = self.next_frame()
        if frame is None:
            raise StopIteration
        return frame

    @property
    def buffered(self) -> int:
        """Wire bytes fed and not yet part of a returned message."""
        batch = self._batch
        if batch is None:
            return len(self._buffer)
        return batch.wire_left() + len(self._buffer)

    @property
    def bytes_needed(self) -> int | None:
        """Bytes still missing to complete the current frame, when the style knows; else None."""
        return self._buffer.bytes_needed

    @property
    def eof(self) -> bool:
        """Whether ``feed_eof()`` was called."""
        return self._eof

    def detach(self) -> bytes:
        """Hand over the buffered bytes that are not yet part of a message; leave the decoder empty.

        The way to switch protocols mid-stream: feed what this returns to the
        next protocol's decoder. No iterator taken before hands out a message
        whose bytes this returns.
        """
        batch = self._batch
        data = self._buffer.take_all()
        if batch is not None:
            data = batch.take_wire() + data
            self._batch = None
        self.reset_frame()
        return data

    # -- batches: private to the built-in codecs --------------------------------

    #: Wire bytes each message of a batch adds to its payload (a header, a
    #: delimiter); or, where that varies, each message's, in a ``bytes``.
    _batch_overhead: BatchOverhead = 0

    #: Set by ``_take_batch`` where a batch's frames can be sliced from the bytes
    #: they were cut from, as received: (those bytes, the offset after the last).
    _batch_source: tuple[bytes, int] | None = None

    def _take_batch(self) -> list[bytes]:
        """Consume every complete, valid frame at once; ``[]`` reads frame by frame."""
        return []

    def _rebuild_wire(self, messages: list[bytes]) -> bytes:
        """The exact wire bytes of a batch's ``messages`` (for ``detach()``)."""
        return b"".join(map(self.codec.encode, messages))
