"""Framed messages on non-blocking sockets under ``selectors``: ``FramedConnection``.

A ``FramedConnection`` is what a selector loop registers instead of the bare
socket (it has ``fileno()``). It never blocks: ``receive()`` reads what the
socket has and returns the complete messages, ``send()`` queues a frame,
``flush()`` writes as much of the queue as the socket takes now, and
``events`` says what to wait for: ``EVENT_READ``, plus ``EVENT_WRITE`` while
frames wait to go out. An echo server, the socket HOWTO's pattern::

    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, mask in sel.select():
            if key.fileobj is listener:
                conn = FramedConnection(listener.accept()[0], codec)
                sel.register(conn, conn.events)
                continue
            conn = key.fileobj
            try:
                if mask & selectors.EVENT_READ:
                    for message in conn.receive():
                        conn.send(message)
                conn.flush()
            except (framing.FramingError, OSError):  # EOF, a bad frame, a reset
                sel.unregister(conn)  # only this connection ends
                conn.close()
                continue
            sel.modify(conn, conn.events)

``BlockingIOError`` (and ``InterruptedError``) never escape and never lose a
byte: what was not sent stays queued, what was read stays in the decoder.
Memory stays bounded: the decoder holds at most ``max_length`` plus one
read, and while more than ``high_water`` bytes are queued, ``events`` stops
asking for ``EVENT_READ`` so a peer that sends without reading cannot make
the queue grow for ever.
"""

from __future__ import annotations

import errno
import selectors
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from ..codecs.until_close import UntilClose
from ..core.codec import Codec, Decoder
from ..core.types import Buffer
from ..errors import ConnectionClosed, EncodeError
from .sockio import View, encode_parts, gather, owned, send_vector

__all__ = ["FramedConnection"]

DEFAULT_HIGH_WATER = 1024 * 1024


class FramedConnection:
    """A non-blocking stream socket that a selector loop drives; it carries messages.

    ``sock`` is switched to non-blocking mode. ``recv_size`` bytes are read
    per ``receive()``; ``high_water`` bounds the send queue (see ``events``).
    It takes no locks: use it from the selector loop's thread.
    """

    def __init__(
        self,
        sock: socket.socket,
        codec: Codec,
        *,
        recv_size: int = 65536,
        high_water: int = DEFAULT_HIGH_WATER,
    ) -> None:
        if recv_size <= 0:
            raise ValueError(f"recv_size must be positive, not {recv_size!r}")
        sock.setblocking(False)
        self._sock = sock
        self._codec = codec
        self._decoder = codec.decoder()
        self._held: bytes | None = None  # decoded by receive(), not handed out yet
        self._chunk = bytearray(recv_size)
        self._chunk_view = memoryview(self._chunk)
        self._queue: list[View] = []  # frames waiting to go out, as a send vector
        self._queued = 0  # bytes in _queue
        self._high_water = high_water
        self._write_closed = False  # no more frames (UntilClose sent one, or shutdown_write())
        self._write_shut = False  # shutdown(SHUT_WR) was done

    def __repr__(self) -> str:
        return f"<FramedConnection fd={self.fileno()} codec={self._codec!r} queued={self.queued}>"

    @property
    def socket(self) -> socket.socket:
        """The wrapped socket."""
        return self._sock

    @property
    def codec(self) -> Codec:
        """The codec framing the messages."""
        return self._codec

    def fileno(self) -> int:
        """The socket's file descriptor, so a selector can register the connection itself."""
        return self._sock.fileno()

    def close(self) -> None:
        """Close the socket (unregister it from the selector first)."""
        self._sock.close()

    # -- receiving -----------------------------------------------------------

    def receive(self) -> Iterator[bytes]:
        """Read what the socket has now (at most one ``recv``), then every complete message.

        Iterate the result to the end: errors (``FrameTooLarge``,
        ``IncompleteFrame`` at EOF, ...) are raised at their place in the
        stream, after the messages before them. Messages and errors already
        buffered come before any new read, so a peer cannot grow the buffer
        by sending bad frames. Once the peer has closed and every message has
        been returned, ``receive()`` raises ``ConnectionClosed``, but only
        when no reply is left to send: until then it returns no message and
        ``events`` asks only for ``EVENT_WRITE``.
        """
        decoder = self._decoder
        # What is buffered comes first, errors included: a peer that sends one
        # bad frame after another cannot make the buffer grow a read a time.
        # The message decoded to find that out is held until it is handed out.
        if self._held is None:
            self._held = decoder.next_frame()
        if self._held is not None:
            return self._held_then(decoder)
        if decoder.eof:
            if self.wants_write:  # replies still go out: the caller keeps flushing
                return iter(())
            raise ConnectionClosed("the peer closed the connection")
        try:
            received = self._sock.recv_into(self._chunk)
        except (BlockingIOError, InterruptedError):  # a spurious wake-up: nothing to read yet
            return iter(decoder)
        if received:
            decoder.feed(self._chunk_view[:received])
        else:
            decoder.feed_eof()
        return iter(decoder)

    def _held_then(self, decoder: Decoder) -> Iterator[bytes]:
        """The held message (kept if this is never iterated), then the decoder's."""
        held, self._held = self._held, None
        if held is not None:  # another receive() may have handed it out already
            yield held
        yield from decoder

    # -- sending -------------------------------------------------------------

    def send(self, message: Buffer, **fields: Any) -> None:
        """Queue one message's frame (no I/O: ``flush()`` sends). ``UntilClose``: then EOF.

        ``fields`` are a ``Struct`` header's other fields, as ``LengthPrefixed.encode`` takes them.
        """
        self._queue_frames([message], fields)

    def send_many(self, messages: Iterable[Buffer]) -> None:
        """Queue several frames, all encoded first (an ``EncodeError`` queues none)."""
        self._queue_frames(list(messages), {})

    def _queue_frames(self, messages: list[Buffer], fields: dict[str, Any]) -> None:
        codec = self._codec
        one_message = isinstance(codec, UntilClose)
        if one_message and len(messages) > 1:
            raise EncodeError(f"UntilClose frames one message per stream, not {len(messages)}")
        if self._write_closed and messages:
            raise BrokenPipeError(errno.EPIPE, "cannot send: the write side is shut down")
        parts = (part for message in messages for part in encode_parts(codec, message, fields))
        vector = owned(gather(parts))  # the queue outlives the call: no view of a bytearray
        if one_message and messages:
            self._write_closed = True
        self._queue += vector
        self._queued += sum(map(len, vector))

    def shutdown_write(self) -> None:
        """Half-close once the queue is sent (at this or a later ``flush()``)."""
        self._write_closed = True
        self.flush()

    def flush(self) -> bool:
        """Send as much of the queue as the socket takes now; whether it is all sent.

        Never blocks. Call it after queueing, and whenever the selector says
        the socket is writable.
        """
        if self._queue:
            try:
                self._queued -= send_vector(self._sock, self._queue, block=False)
            except BaseException:
                self._queued = sum(map(len, self._queue))
                raise
            if self._queue:
                return False
        if self._write_closed and not self._write_shut:
            self._sock.shutdown(socket.SHUT_WR)
            self._write_shut = True
        return True

    @property
    def queued(self) -> int:
        """Bytes queued and not yet sent."""
        return self._queued

    @property
    def wants_write(self) -> bool:
        """Whether frames (or a half-close) wait for the socket to become writable."""
        return bool(self._queue) or (self._write_closed and not self._write_shut)

    @property
    def events(self) -> int:
        """The selector events to wait for now.

        ``EVENT_WRITE`` while ``wants_write``; ``EVENT_READ`` unless more than
        ``high_water`` bytes are queued (back-pressure: stop reading from a
        peer that does not read its replies) or the peer has closed with
        replies still queued (they go out first; then ``EVENT_READ`` again,
        for ``receive()`` to say ``ConnectionClosed``).
        """
        if self.wants_write:
            if self._decoder.eof or self._queued > self._high_water:
                return selectors.EVENT_WRITE  # replies to a closed peer; or back-pressure
            return selectors.EVENT_WRITE | selectors.EVENT_READ
        # Nothing to send: read, and after the peer's EOF a closed socket is
        # readable at once, so receive() reports ConnectionClosed.
        return selectors.EVENT_READ
