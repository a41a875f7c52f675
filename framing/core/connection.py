"""One connection's framing state, without I/O: what every adapter is a thin layer over.

``Connection`` is to a socket what h11's ``Connection`` is to HTTP: it owns
the decoder, the unframed reads, the send queue, half-close and ``switch``,
and never touches a socket. ``FramedSocket`` (blocking), ``FramedConnection``
(selectors), ``framing.aio`` and ``framing.anyio`` each only move bytes
between it and their I/O, so a fix made here is made for all of them::

    conn = Connection(LengthPrefixed())
    message = conn.next_message()            # None: more bytes needed
    while message is None:
        n = sock.recv_into(conn.recv_buffer())
        conn.buffer_updated(n)                # 0 is EOF
        message = conn.next_message()         # ConnectionClosed at a clean EOF
    conn.queue(conn.frames([b"reply"]))
    conn.flush(lambda vector: send_vector(sock, vector))

Receiving. Bytes go to the decoder, or while an unframed read is under way
(``receive_exactly``, ``receive_until``) to a plain buffer; either hands
what it holds to the other when the next call needs it. When the current
frame still lacks more than one read and the codec says where its payload
sits (``Codec.payload_trailer``), ``recv_buffer()`` lends out the ``bytes``
object the payload will be returned in, so a 64 MiB frame is received once,
uncopied, and memory grows only as its bytes arrive; an adapter handed
bytes (``receive_data``) has them copied into it as they come, so the frame
still peaks at its size, not at its chunks plus their join. That state lives here,
not in a call's locals: a timeout or a signal between two reads (an
exception out of ``recv_into``) leaves it as it was, and the next call goes
on where the last one stopped. Nothing is lost, nothing copied again.

Sending. ``frames()`` encodes (all messages before any byte is queued, so an
``EncodeError`` queues nothing) and enforces the write side's rules: nothing
after ``shutdown_write()``, one message for a codec that ``ends_at_close``.
The queue holds what is accepted and not yet sent; ``flush(send)`` hands it
to the adapter's send loop, which removes what went out.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, cast

from ..errors import ConnectionClosed, EncodeError, FrameTooLarge, FramingError, IncompleteFrame
from .buffer import ReceiveBuffer
from .codec import Codec
from .inplace import InPlaceBytes
from .outgoing import View, encode_parts, gather, owned
from .types import Buffer

__all__ = ["DEFAULT_HIGH_WATER", "DEFAULT_RECV_SIZE", "FIRST_READ_SIZE", "Connection"]

DEFAULT_RECV_SIZE = 65536  # the most bytes one read asks for; larger frames go in place
FIRST_READ_SIZE = 4096  # the read buffer starts this small and doubles while reads fill it
JOIN_BATCH = 64 * 1024  # messages of up to this many bytes in all are joined by frames()
DEFAULT_HIGH_WATER = 1024 * 1024  # queued bytes above which a server stops reading


class _InPlaceRead:
    """A large frame's payload (or a large exact read) being received in place.

    ``header``: the frame's header bytes, kept for handing the frame back
    to a decoder; ``trailer``: what must follow the payload.
    """

    def __init__(self, header: bytes, size: int, head: Buffer, trailer: bytes) -> None:
        self.header = header
        self.payload = InPlaceBytes(size, head)
        self.trailer = trailer
        self.end: InPlaceBytes | None = None  # the trailer's bytes, once the payload is full

    @property
    def done(self) -> bool:
        return self.payload.full and (not self.trailer or (self.end is not None and self.end.full))

    def space(self) -> memoryview:
        if not self.payload.full:
            return self.payload.space()
        if self.end is None:
            self.end = InPlaceBytes(len(self.trailer))
        return self.end.space()

    def advance(self, count: int) -> None:
        (self.payload if self.end is None else self.end).advance(count)

    def wire(self) -> bytes:
        """Every byte received for it (a copy); the read is done with."""
        end = b"" if self.end is None else self.end.received()
        return self.header + self.payload.received() + end


class Connection:
    """The framing state of one connection: decoder, unframed reads, send queue, half-close.

    ``recv_size``: the most bytes one read asks for. The read buffer starts
    at 4 KiB and doubles, up to ``recv_size``, each time a read fills it, so
    an idle connection costs a few KiB and a busy one reads in large gulps;
    ``high_water``: queued bytes above which ``over_high_water`` is true.
    """

    def __init__(
        self,
        codec: Codec,
        *,
        recv_size: int = DEFAULT_RECV_SIZE,
        high_water: int = DEFAULT_HIGH_WATER,
    ) -> None:
        if recv_size <= 0:
            raise ValueError(f"recv_size must be positive, not {recv_size!r}")
        self._codec = codec
        self._decoder = codec.decoder()
        self._messages: Iterator[bytes] | None = None  # iter(decoder), renewed when dry or fed
        self._held: bytes | None = None  # decoded by has_message(), not handed out yet
        self._held_size = 0  # the wire bytes it came from
        self._raw: ReceiveBuffer | None = None  # the stream's bytes during unframed reads
        self._search: bytes | None = None  # the delimiter of an unfinished receive_until()
        self._wanted = 0  # the size of an unfinished receive_exactly()
        self._in_place: _InPlaceRead | None = None
        self._eof = False
        self._recv_size = recv_size
        self._chunk_view = memoryview(b"")  # the read buffer, made at the first read
        self._queue: list[View] = []  # accepted and not yet sent, as a send vector
        self._queued = 0  # bytes in _queue
        self._high_water = high_water
        self._write_closed = False  # no more frames: shutdown_write(), or an ends_at_close send
        self._write_shut = False  # the adapter shut the write side down
        self._send_rules()

    def __repr__(self) -> str:
        return (
            f"<Connection {self._codec!r} buffered={self.buffered} queued={self._queued}"
            f"{' eof' if self._eof else ''}>"
        )

    @property
    def codec(self) -> Codec:
        """The codec framing both directions (``switch`` changes it)."""
        return self._codec

    # -- receiving: bytes in ---------------------------------------------------

    def receive_data(self, data: Buffer) -> None:
        """Bytes the peer sent, for adapters that are handed them (``b""`` is not EOF).

        A large frame whose payload the codec places (``payload_trailer``)
        is copied into the ``bytes`` object it will be returned in as its
        chunks come, as ``recv_buffer()`` would have them read: its chunks
        are not held until one join, so it peaks at its size, not twice.
        """
        if (
            self._places_payload
            and self._in_place is None
            and self._decoder._buffer.collecting  # a large frame began: the rest goes in place
            and self._raw is None
        ):
            self._start_in_place()
        if self._in_place is not None:
            data = self._fill_in_place(data)
            if not data:
                return
        raw = self._raw
        if raw is not None:
            raw.feed(data)
        else:
            self._decoder.feed(data)
            self._messages = None

    def _fill_in_place(self, data: Buffer) -> Buffer:
        """Copy ``data`` into the in-place read until it is done; what is left over."""
        read = self._in_place
        assert read is not None
        if read.done:
            return data
        with memoryview(data) as view, view.cast("B") as rest:
            while rest and not read.done:
                space = read.space()
                size = min(len(space), len(rest))
                space[:size] = rest[:size]
                read.advance(size)
                rest = rest[size:]
            return bytes(rest) if rest else b""

    def receive_eof(self) -> None:
        """The peer shut down its write side: no more bytes will come."""
        if self._eof:
            return
        self._eof = True
        if self._in_place is not None:
            self._give_back()
        if self._raw is None:
            self._decoder.feed_eof()
            self._messages = None

    def recv_buffer(self) -> memoryview:
        """Where the next read goes (``recv_into``); then call ``buffer_updated``.

        The reusable read buffer, or, for a frame that still lacks more than
        one read of a payload the codec places (``payload_trailer``), the
        rest of the ``bytes`` object that frame will be returned in.
        """
        in_place = self._in_place
        if in_place is None:
            in_place = self._start_in_place()
            if in_place is None:
                return self._chunk_view or self._grow_chunk()
        elif in_place.done:
            return self._chunk_view or self._grow_chunk()
        return in_place.space()

    def _grow_chunk(self) -> memoryview:
        """A read buffer twice the size (the first: ``FIRST_READ_SIZE``), at most ``recv_size``."""
        size = min(self._recv_size, 2 * len(self._chunk_view) or FIRST_READ_SIZE)
        view = self._chunk_view = memoryview(bytearray(size))
        return view

    def buffer_updated(self, size: int) -> None:
        """``size`` bytes were read into the last ``recv_buffer()``; 0 means EOF."""
        if not size:
            self.receive_eof()
            return
        in_place = self._in_place
        if in_place is not None and not in_place.done:
            in_place.advance(size)
            return
        chunk = self._chunk_view
        self.receive_data(chunk[:size])
        if size == len(chunk) < self._recv_size:
            self._grow_chunk()  # the read filled it: more is coming than it holds

    def _start_in_place(self) -> _InPlaceRead | None:
        if self._eof:
            return None
        recv_size = self._recv_size
        raw = self._raw
        if raw is not None:
            if self._wanted - len(raw) <= recv_size:
                return None
            read = self._in_place = _InPlaceRead(b"", self._wanted, raw.take_all(), b"")
            return read
        trailer = self._codec.payload_trailer
        decoder = self._decoder
        needed = decoder.bytes_needed
        if (
            trailer is None
            or needed is None
            or needed <= recv_size
            or self._held is not None
            or decoder._error is not None  # a failed decoder keeps its error, not the frame
        ):
            return None
        wire = self._decoder.detach()
        self._decoder = self._codec.decoder()  # a fresh one, for what follows the frame
        self._messages = None
        header = _header_size(self._codec, wire)
        size = len(wire) + needed - header - len(trailer)
        read = self._in_place = _InPlaceRead(
            wire[:header], size, memoryview(wire)[header:], trailer
        )
        return read

    def _give_back(self) -> None:
        """Hand an in-place read's bytes back to the decoder (or raw buffer), before its own."""
        read = self._in_place
        assert read is not None
        self._in_place = None
        data = read.wire()
        if self._raw is not None:  # a receive_exactly() (a frame's read is never in raw mode)
            self._raw.feed(data)
            return
        # The frame's bytes came before anything the decoder holds: bytes
        # handed over after a finished frame (receive_data) are behind it.
        after = self._decoder.detach()
        decoder = self._decoder = self._codec.decoder()
        decoder.feed(data)
        decoder.feed(after)
        self._messages = None
        if self._eof:
            decoder.feed_eof()

    # -- receiving: messages out -------------------------------------------------

    def next_message(self) -> bytes | None:
        """The next message, or None when more bytes are needed.

        ``ConnectionClosed`` at a clean EOF between messages (every call
        after it too); the decoder's ``FramingError`` where it meets a bad
        frame, after every message before it.
        """
        held = self._held
        if held is not None:
            self._held = None
            return held
        messages = self._messages
        if messages is None:
            if self._raw is not None or self._in_place is not None:
                return self._next_after_unframed()
            messages = self._messages = iter(self._decoder)
        try:
            message = next(messages, None)
        except FramingError:
            self._messages = None
            raise
        if message is None:
            self._messages = None
            if self._eof:
                raise ConnectionClosed("the peer closed the connection")
        return message

    def _next_after_unframed(self) -> bytes | None:
        read = self._in_place
        if read is not None:
            if self._raw is not None:  # a receive_exactly(): its bytes go back to raw
                self._give_back()
            elif not read.done:
                return None  # EOF would have given it back
            else:
                self._in_place = None
                body = read.payload.value()
                tail = b"" if read.end is None else read.end.value()
                if tail == read.trailer:
                    return body
                # Not the trailer: the decoder finds out what is wrong, and says it.
                decoder = self._decoder = self._codec.decoder()
                for part in (read.header, body, tail):
                    decoder.feed(part)
        if self._raw is not None:
            self._leave_raw()
        return self.next_message()

    def has_message(self) -> bool:
        """Whether a message is ready (decoded and held for ``next_message``); raises its error.

        A held message is the next message whatever comes after: a
        ``switch`` leaves it first (it was decoded before), and an unframed
        read refuses to start before it is taken.
        """
        if self._held is None:
            before = self.buffered
            try:
                self._held = self.next_message()
            except ConnectionClosed:
                return False
            self._held_size = before - self.buffered
        return self._held is not None

    def messages(self) -> Iterator[bytes]:
        """Every message ready now, in order; ends where more bytes are needed or at EOF.

        A bad frame raises at its place. The held message (``has_message``)
        comes first, and stays held if this is never iterated.
        """
        if self._held is None and self._raw is None and self._in_place is None:
            return iter(self._decoder)
        return self._each_message()

    def _each_message(self) -> Iterator[bytes]:
        while True:
            try:
                message = self.next_message()
            except ConnectionClosed:
                return
            if message is None:
                return
            yield message

    @property
    def eof(self) -> bool:
        """Whether the peer has shut down its write side."""
        return self._eof

    @property
    def buffered(self) -> int:
        """Received bytes not yet handed out as messages or unframed reads."""
        size = self._decoder.buffered if self._raw is None else len(self._raw)
        if self._held is not None:  # a has_message() whose message is not taken yet
            size += self._held_size
        if self._in_place is not None:
            read = self._in_place
            size += len(read.header) + read.payload.filled
            if read.end is not None:  # the trailer's bytes so far
                size += read.end.filled
        return size

    # -- receiving: unframed reads ---------------------------------------------

    def receive_exactly(self, n: int) -> bytes | None:
        """Exactly the next ``n`` bytes of the stream, unframed; None when more are needed.

        At EOF: ``ConnectionClosed`` if none of them arrived, else
        ``IncompleteFrame`` with the ones that did (they stay buffered). A
        large ``n`` is received in place, like a large frame.
        """
        if n < 0:
            raise ValueError(f"cannot receive {n} bytes")
        read = self._in_place
        if read is not None:
            exact = self._raw is not None  # an in-place read in raw mode is receive_exactly's
            if exact and read.payload.size == n and read.done:
                self._in_place = None
                return read.payload.value()
            if exact and read.payload.size == n:
                return None
            self._give_back()
        raw = self._enter_raw()
        if len(raw) >= n:
            self._wanted = 0
            return raw.take(n)
        if self._eof:
            self._raise_eof(raw)
        self._wanted = n
        return None

    def receive_until(self, delimiter: bytes, max_length: int = 65536) -> bytes | None:
        """The bytes before the next ``delimiter`` (consumed too); None when more are needed.

        ``FrameTooLarge`` if more than ``max_length`` bytes come without it
        (nothing is consumed); at EOF ``ConnectionClosed`` if no byte is
        buffered, else ``IncompleteFrame``.
        """
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        if self._in_place is not None:
            self._give_back()
        raw = self._enter_raw()
        if self._search not in (None, delimiter):
            # The buffer's search resumes where the last one stopped: that
            # was for another delimiter, so search a buffer afresh.
            raw = self._raw = _refilled(raw)
        self._wanted = 0
        limit = max_length + len(delimiter)
        index = raw.find(delimiter, limit)
        if index >= 0:
            self._search = None
            line = raw.take(index)
            raw.skip(len(delimiter))
            return line
        self._search = delimiter
        if len(raw) >= limit:
            raise FrameTooLarge(max_length + 1, max_length)
        if self._eof:
            self._raise_eof(raw)
        return None

    def _enter_raw(self) -> ReceiveBuffer:
        """The stream's unconsumed bytes as a plain buffer (taken from the decoder)."""
        raw = self._raw
        if raw is None:
            if self._held is not None:
                raise RuntimeError(
                    "has_message() decoded a message that comes first: take it with "
                    "next_message() before an unframed read"
                )
            raw = self._raw = ReceiveBuffer()
            data = self._detach_all()
            if data:
                raw.feed(data)
            self._search = None
        return raw

    def _leave_raw(self) -> None:
        """Hand the unframed reads' leftover bytes (and EOF) to a fresh decoder."""
        raw = self._raw
        assert raw is not None
        self._raw = None
        self._search = None
        self._wanted = 0
        decoder = self._decoder = self._codec.decoder()
        if raw:
            decoder.feed(raw.take_all())
        if self._eof:
            decoder.feed_eof()
        self._messages = None

    def _detach_all(self) -> bytes:
        """Every byte of the stream not yet decoded, out of the decoder.

        A message ``has_message()`` decoded is not among them: it stays the
        next message (it came before these bytes, and was decoded already).
        """
        data = self._decoder.detach()
        self._messages = None
        return data

    @staticmethod
    def _raise_eof(raw: ReceiveBuffer) -> NoReturn:
        if not raw:
            raise ConnectionClosed("the peer closed the connection")
        raise IncompleteFrame(raw.peek(len(raw)))

    # -- sending -----------------------------------------------------------------

    def _send_rules(self) -> None:
        """Cache what the hot paths ask of the codec: whether a frame is just
        ``codec.encode(message)``, and whether a large payload can be received in place."""
        self.sends_plainly = not self._write_closed and not self._codec.ends_at_close
        self._encode = self._codec.encode
        self._places_payload = self._codec.payload_trailer is not None

    def encode(self, message: Buffer) -> bytes:
        """One message's frame as one ``bytes``, checked as ``frame`` checks it.

        The quick way for a small message: ``codec.encode``, whose fast paths
        build the frame in one step.
        """
        if self.sends_plainly:
            return self._encode(message)
        return b"".join(self.frame(message, {}))

    def frame(self, message: Buffer, fields: dict[str, Any]) -> tuple[Buffer, ...]:
        """One message's frame as parts (``Codec.encode_parts``), checked against the write side.

        ``BrokenPipeError`` once the write side is closed; a codec that
        ``ends_at_close`` closes it with this frame.
        """
        self._check_open_for(1)
        parts = encode_parts(self._codec, message, fields)
        if self._codec.ends_at_close:
            self.shutdown_write()
        return parts

    def frames(self, messages: list[Buffer]) -> list[View]:
        """Several messages' frames as one send vector, all encoded before any is accepted.

        Small messages are encoded whole and joined (one buffer, the way a
        hand-written ``b"".join(...)`` does it); larger ones keep their
        payloads uncopied in the vector.
        """
        self._check_open_for(len(messages))
        codec = self._codec
        if self.sends_plainly and _small_bytes(messages):
            joined = codec.encode_many(messages)
            return [joined] if joined else []  # an empty part would never be sent
        vector = gather(part for message in messages for part in codec.encode_parts(message))
        if codec.ends_at_close and messages:
            self.shutdown_write()
        return vector

    def _check_open_for(self, count: int) -> None:
        ends_at_close = self._codec.ends_at_close
        if ends_at_close and count > 1:
            raise EncodeError(
                f"{type(self._codec).__name__} frames one message per stream, not {count}"
            )
        if self._write_closed and count:
            raise BrokenPipeError(
                errno.EPIPE,
                "cannot send: the write side is shut down"
                + (f" ({type(self._codec).__name__} sends one message per stream)"
                   if ends_at_close else ""),
            )

    def queue(self, vector: list[View], *, copy: bool = False) -> None:
        """Accept ``vector`` for sending after what is queued; ``copy``: copy views of
        buffers the caller may change (the queue outlives the call)."""
        if copy:
            vector = owned(vector)
        self._queue += vector
        self._queued += sum(map(len, vector))

    def flush(self, send: Callable[[list[View]], int]) -> bool:
        """Hand the queue to ``send``; whether it is all sent.

        ``send(vector)`` sends from the front of the list it is given,
        removes what went out (a partly sent buffer is replaced by its rest)
        and returns the bytes sent. If it raises, what is left stays queued,
        copied where it was a view of a caller's mutable buffer.
        """
        queue = self._queue
        if queue:
            try:
                self._queued -= send(queue)
            except BaseException:
                queue[:] = owned(queue)
                self._queued = sum(map(len, queue))
                raise
        return not queue

    @property
    def queued(self) -> int:
        """Bytes accepted and not yet sent."""
        return self._queued

    @property
    def over_high_water(self) -> bool:
        """Whether more than ``high_water`` bytes are queued: stop reading from this peer."""
        return self._queued > self._high_water

    def shutdown_write(self) -> None:
        """No more frames: the write side shuts down once the queue is sent."""
        self._write_closed = True
        self.sends_plainly = False

    @property
    def write_closed(self) -> bool:
        """Whether no more frames may be sent."""
        return self._write_closed

    @property
    def needs_shutdown(self) -> bool:
        """Whether the adapter should shut the write side down now (then ``write_shut()``)."""
        return self._write_closed and not self._write_shut and not self._queue

    def write_shut(self) -> None:
        """The adapter shut the write side down."""
        self._write_shut = True

    @property
    def wants_write(self) -> bool:
        """Whether frames, or the half-close, wait to go out."""
        return bool(self._queue) or (self._write_closed and not self._write_shut)

    # -- protocols -----------------------------------------------------------------

    def switch(self, codec: Codec) -> None:
        """Frame with ``codec`` from the next message on, both ways; no received byte is lost.

        Bytes not yet decoded go to the new codec's decoder (a message that
        ``has_message()`` decoded already stays the next one).
        """
        if self._in_place is not None:
            self._give_back()
        if self._raw is not None:
            self._search = None
            self._wanted = 0
            data = self._raw.take_all()
            self._raw = None
        else:
            data = self._detach_all()
        decoder = codec.decoder()
        decoder.feed(data)
        if self._eof:
            decoder.feed_eof()
        self._decoder = decoder
        self._codec = codec
        self._messages = None
        self._send_rules()


def _small_bytes(messages: list[Buffer]) -> bool:
    """Whether ``messages`` are all ``bytes``, ``JOIN_BATCH`` bytes or fewer in all."""
    if not set(map(type, messages)) <= {bytes}:
        return False
    return sum(map(len, cast("list[bytes]", messages))) <= JOIN_BATCH


def _header_size(codec: Codec, wire: bytes) -> int:
    """The size of the header at the start of ``wire``, found as a decoder finds it.

    A fresh decoder is fed one byte at a time until it knows how many bytes
    its frame needs: that is when the header is complete.
    """
    probe = codec.decoder()
    size = 0
    probe.next_frame()  # a style without a header knows its frame's size at once
    while probe.bytes_needed is None:
        probe.feed(wire[size : size + 1])
        size += 1
        probe.next_frame()
    return size


def _refilled(buffer: ReceiveBuffer) -> ReceiveBuffer:
    fresh = ReceiveBuffer()
    if buffer:
        fresh.feed(buffer.take_all())
    return fresh
