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

import selectors
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from ..core.codec import Codec
from ..core.connection import DEFAULT_HIGH_WATER, DEFAULT_RECV_SIZE, Connection
from ..core.outgoing import View, gather
from ..core.types import Buffer
from ..errors import ConnectionClosed
from .framed import OverConnection
from .sockio import send_vector

__all__ = ["DEFAULT_HIGH_WATER", "FramedConnection"]


class FramedConnection(OverConnection):
    """A non-blocking stream socket that a selector loop drives; it carries messages.

    ``sock`` is switched to non-blocking mode. At most ``recv_size`` bytes are
    read per ``receive()`` (the read buffer grows to it while reads fill it);
    ``high_water`` bounds the send queue (see ``events``). It takes no locks:
    use it from the selector loop's thread. The framing state is a
    ``framing.Connection``.
    """

    def __init__(
        self,
        sock: socket.socket,
        codec: Codec,
        *,
        recv_size: int = DEFAULT_RECV_SIZE,
        high_water: int = DEFAULT_HIGH_WATER,
    ) -> None:
        self._conn = Connection(codec, recv_size=recv_size, high_water=high_water)
        sock.setblocking(False)
        self._sock = sock

    def __repr__(self) -> str:
        return f"<FramedConnection fd={self.fileno()} codec={self.codec!r} queued={self.queued}>"

    @property
    def socket(self) -> socket.socket:
        """The wrapped socket."""
        return self._sock

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
        conn = self._conn
        # What is buffered comes first, errors included: a peer that sends one
        # bad frame after another cannot make the buffer grow a read a time.
        # The message decoded to find that out is held until it is handed out.
        if conn.has_message():
            return conn.messages()
        if conn.eof:
            if conn.wants_write:  # replies still go out: the caller keeps flushing
                return iter(())
            raise ConnectionClosed("the peer closed the connection")
        try:
            received = self._sock.recv_into(conn.recv_buffer())
        except (BlockingIOError, InterruptedError):  # a spurious wake-up: nothing to read yet
            return conn.messages()
        conn.buffer_updated(received)
        return conn.messages()

    # -- sending -------------------------------------------------------------

    def send(self, message: Buffer, **fields: Any) -> None:
        """Queue one message's frame (no I/O: ``flush()`` sends). ``UntilClose``: then EOF.

        ``fields`` are a ``Struct`` header's other fields, as ``LengthPrefixed.encode`` takes them.
        The frame is copied where it refers to a buffer the caller may change.
        """
        conn = self._conn
        conn.queue(gather(conn.frame(message, fields)), copy=True)

    def send_many(self, messages: Iterable[Buffer]) -> None:
        """Queue several frames, all encoded first (an ``EncodeError`` queues none)."""
        conn = self._conn
        conn.queue(conn.frames(list(messages)), copy=True)

    def shutdown_write(self) -> None:
        """Half-close once the queue is sent (at this or a later ``flush()``)."""
        self._conn.shutdown_write()
        self.flush()

    def flush(self) -> bool:
        """Send as much of the queue as the socket takes now; whether it is all sent.

        Never blocks. Call it after queueing, and whenever the selector says
        the socket is writable.
        """
        conn = self._conn
        if not conn.flush(self._send_vector):
            return False
        if conn.needs_shutdown:
            self._sock.shutdown(socket.SHUT_WR)
            conn.write_shut()
        return True

    def _send_vector(self, vector: list[View]) -> int:
        return send_vector(self._sock, vector, block=False)

    def switch(self, codec: Codec) -> None:
        """Frame with ``codec`` from the next message on, both ways; no received byte is lost."""
        self._conn.switch(codec)

    @property
    def queued(self) -> int:
        """Bytes queued and not yet sent."""
        return self._conn.queued

    @property
    def wants_write(self) -> bool:
        """Whether frames (or a half-close) wait for the socket to become writable."""
        return self._conn.wants_write

    @property
    def events(self) -> int:
        """The selector events to wait for now.

        ``EVENT_WRITE`` while ``wants_write``; ``EVENT_READ`` unless more than
        ``high_water`` bytes are queued (back-pressure: stop reading from a
        peer that does not read its replies) or the peer has closed with
        replies still queued (they go out first; then ``EVENT_READ`` again,
        for ``receive()`` to say ``ConnectionClosed``).
        """
        conn = self._conn
        if conn.wants_write:
            if conn.eof or conn.over_high_water:
                return selectors.EVENT_WRITE  # replies to a closed peer; or back-pressure
            return selectors.EVENT_WRITE | selectors.EVENT_READ
        # Nothing to send: read, and after the peer's EOF a closed socket is
        # readable at once, so receive() reports ConnectionClosed.
        return selectors.EVENT_READ
