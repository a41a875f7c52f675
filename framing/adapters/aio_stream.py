"""The framed stream of ``framing.aio``: whole messages over an asyncio transport.

``recv()`` takes the next message out of the protocol's decoder
(``framing.adapters.aio_protocol``); ``send()`` writes a message's encoded parts in
one synchronous step, so frames never interleave (a reply to a pipelining
peer waits in the connection's send queue, to go out with the next ones in
one write), then waits while the transport's write buffer is above its
high-water mark::

    await stream.send(b"hello")     # LengthPrefixed("!I"): 00 00 00 05 68 65 6c 6c 6f
    await stream.recv()             # b'hello', from the same bytes on the other side
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, TypeVar, cast

from ..core.codec import Codec
from ..core.connection import Connection
from ..core.outgoing import is_stable
from ..core.types import Buffer
from ..errors import ConnectionClosed
from .aio_protocol import FramedProtocol
from .framed import OverConnection

__all__ = ["FramedStream"]

_Bytes = bytes | bytearray | memoryview
_T = TypeVar("_T")

# Parts this small are joined into one write (one syscall); larger ones are
# written as they are: write() sends what it can at once and (from 3.12) keeps
# a view of the rest, not a copy. Not writelines(): it joins before 3.12, and
# the 3.12/3.13 selector transport's version never paused the protocol until
# CPython gh-127655 (Dec 2024), so the write buffer would grow without bound.
_JOIN_LIMIT = 16 * 1024


class FramedStream(OverConnection):
    """One connection as a stream of messages: ``await recv()``, ``await send()``.

    Made by ``open_connection``, ``start_server``, their Unix variants and the
    ``wrap_*`` functions, not directly. ``async for message in stream``
    yields messages until the peer closes cleanly; ``async with stream:``
    closes it (``close()`` and ``wait_closed()``).
    """

    def __init__(self, transport: asyncio.Transport, protocol: FramedProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._conn: Connection = protocol.connection  # the framing state, shared with the protocol
        self._keepalive: list[object] = []  # e.g. a wrapped StreamWriter, which closes on __del__
        # Whether the last message was at hand, taken without waiting: the
        # peer pipelines, so small frames sent now wait in the connection's
        # queue and go out in one write (see _defer).
        self._pipelined = False

    def __repr__(self) -> str:
        return f"<FramedStream {self.codec!r} peer={self.get_extra_info('peername')!r}>"

    # -- receiving -------------------------------------------------------------

    async def recv(self) -> bytes:
        """The next message; ``ConnectionClosed`` at a clean EOF between messages.

        ``IncompleteFrame`` if the peer stopped mid-frame; ``FrameTooLarge`` /
        ``InvalidFrame`` where the decoder meets them. Safe to cancel: a
        cancelled call takes nothing, the next call returns the message. A
        message already received is returned without yielding to the loop.
        """
        message = self._conn.next_message()
        if message is None:
            return await self._wait_for_message()
        self._pipelined = True
        return message

    async def _wait_for_message(self) -> bytes:
        conn = self._conn
        protocol = self._protocol
        if self._pipelined:  # replies to what was at hand may be queued: out before the wait
            self._pipelined = False
            self._flush()
        message = None
        while message is None:
            protocol.need_more()
            await protocol.wait_for_data()
            message = conn.next_message()
        return message

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            message = self._conn.next_message()
            if message is None:
                return await self._wait_for_message()
        except ConnectionClosed:
            raise StopAsyncIteration from None
        self._pipelined = True
        return message

    async def recv_exactly(self, n: int) -> bytes:
        """Exactly the next ``n`` bytes of the stream, unframed (a preface, a blob).

        At EOF: ``ConnectionClosed`` if none of them arrived, else
        ``IncompleteFrame`` with them. Safe to cancel, like ``recv()``.
        """
        if n < 0:
            raise ValueError(f"cannot receive {n} bytes")
        conn = self._conn
        return await self._read(lambda: conn.receive_exactly(n))

    async def recv_until(self, delimiter: bytes, max_length: int = 65536) -> bytes:
        """The bytes before the next ``delimiter`` (consumed too), unframed: a handshake line.

        ``FrameTooLarge`` if more than ``max_length`` bytes come without it;
        at EOF ``ConnectionClosed`` if no byte is buffered, else
        ``IncompleteFrame``. Safe to cancel, like ``recv()``.
        """
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        conn = self._conn
        return await self._read(lambda: conn.receive_until(delimiter, max_length))

    async def _read(self, step: Callable[[], _T | None]) -> _T:
        protocol = self._protocol
        result = protocol.next_result(step)
        if result is None and self._conn.wants_write:
            self._flush()
        while result is None:
            await protocol.wait_for_data()
            result = protocol.next_result(step)
        return result

    @property
    def buffered(self) -> int:
        """Received bytes not yet returned as messages (bounded by ``limit`` and one frame)."""
        return self._conn.buffered

    @property
    def reading_paused(self) -> bool:
        """Whether reading is paused until unread messages are received."""
        return self._protocol.reading_paused

    # -- sending ---------------------------------------------------------------

    async def send(self, message: Buffer, **fields: Any) -> None:
        """Send one whole message, then wait while the write buffer is above its high-water mark.

        ``fields`` are a ``Struct`` header's other fields, as ``LengthPrefixed.encode`` takes them.

        Frames from concurrent tasks never interleave (each is written in one
        synchronous step). With ``UntilClose`` the write side is shut down
        after the message. A ``bytearray`` may be reused as soon as ``send``
        returns. If a send is cancelled while it waits, its message has been
        written already. Below the high-water mark it does not yield to the
        event loop.

        A small frame sent after a ``recv()`` that found its message at hand
        (the peer pipelines its requests) is queued, and the queue goes out
        in one write when the next ``recv()`` waits, at the end of this turn
        of the event loop, or once it holds 16 KiB: a reply per request
        costs one system call per batch, not one each, as Redis and Netty's
        flush consolidation do it. Order is kept whatever the path, the
        ``transport`` property included (it writes the queue first); a
        transport closed by other means (a reference kept from before, or
        ``Server.close_clients()``) drops what is still queued.
        """
        conn = self._conn
        protocol = self._protocol
        if (
            conn.sends_plainly
            and type(message) is bytes
            and len(message) < _JOIN_LIMIT
            and not fields
            and not protocol.lost
            and not self._transport.is_closing()
        ):
            # The hot path: one bytes, one write (or one queued with the rest of a batch).
            if self._pipelined:
                self._defer(conn.encode(message))
            else:
                self._transport.write(conn.encode(message))
        else:
            self._check_writable(conn)
            if conn.wants_write:
                self._flush()
            parts = conn.frame(message, fields)
            if type(message) is bytes and len(message) < _JOIN_LIMIT:
                self._transport.write(b"".join(cast(tuple[_Bytes, ...], parts)))
            else:
                _write(self._transport, parts)
            if conn.needs_shutdown:
                self._shut()
        if protocol.must_drain:
            await protocol.drain()

    async def send_many(self, messages: Iterable[Buffer]) -> None:
        """Send several messages in as few writes as possible, then wait like ``send``.

        Every message is encoded before any is written: an ``EncodeError``
        sends nothing.
        """
        conn = self._conn
        self._check_writable(conn)
        vector = conn.frames(list(messages))
        if conn.wants_write:
            self._flush()
        if vector:
            _write(self._transport, vector)
        if conn.needs_shutdown:
            self._shut()
        if self._protocol.must_drain:
            await self._protocol.drain()

    def shutdown_write(self) -> None:
        """Half-close: send EOF (``write_eof``); receiving goes on. What ``UntilClose`` sends do.

        ``NotImplementedError`` on a transport that cannot half-close (TLS).
        """
        if not self._conn.write_closed:
            self._check_half_close()
            self._conn.shutdown_write()
            self._flush()
            self._shut()

    def _defer(self, frame: bytes) -> None:
        """Queue ``frame`` to go out with the frames after it (see ``send``)."""
        conn = self._conn
        if not conn.wants_write:
            self._protocol.call_soon(self._flush)
        conn.queue([frame])
        if conn.queued >= _JOIN_LIMIT:
            self._flush()

    def _flush(self) -> None:
        """Write the queued frames in one write (dropped if the connection is gone)."""
        self._conn.flush(self._write_queue)

    def _write_queue(self, queue: list[Any]) -> int:
        size = sum(map(len, queue))
        if not self._protocol.lost and not self._transport.is_closing():
            self._transport.write(b"".join(queue))
        queue.clear()
        return size

    def _shut(self) -> None:
        self._conn.write_shut()
        if not self._transport.is_closing():
            self._transport.write_eof()

    def _check_half_close(self) -> None:
        if not self._transport.can_write_eof():
            raise NotImplementedError(
                f"{type(self._transport).__name__} cannot half-close (TLS cannot): "
                "UntilClose and shutdown_write() need plain TCP or a Unix socket"
            )

    def _check_writable(self, conn: Connection) -> None:
        if conn.codec.ends_at_close and not conn.write_closed:  # refuse before anything is written
            self._check_half_close()
        if self._protocol.lost or self._transport.is_closing():
            raise ConnectionResetError("the connection is closed") from self._protocol.lost_because

    # -- the connection --------------------------------------------------------

    def switch(self, codec: Codec) -> None:
        """Use ``codec`` from the next message on, both ways; no received byte is lost."""
        self._protocol.switch(codec)

    @property
    def transport(self) -> asyncio.Transport:
        """The asyncio transport underneath (queued replies are written to it first)."""
        self._flush()  # what the caller writes or closes comes after what send() took
        return self._transport

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``transport.get_extra_info(name)``: ``"peername"``, ``"socket"``, ``"ssl_object"``..."""
        return self._transport.get_extra_info(name, default)

    def _keep_alive(self, owner: object) -> None:
        """Keep a reference to ``owner`` (one that would close the transport when collected)."""
        self._keepalive.append(owner)

    def close(self) -> None:
        """Close the connection (what is already sent is still delivered)."""
        self._flush()
        self._protocol.close()

    def is_closing(self) -> bool:
        """Whether the stream is closed or being closed."""
        return self._transport.is_closing()

    async def wait_closed(self) -> None:
        """Wait until the connection is closed."""
        await asyncio.shield(self._protocol.closed)

    async def __aenter__(self) -> FramedStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        await self.wait_closed()


def _write(transport: asyncio.Transport, parts: Sequence[Buffer]) -> None:
    """Write ``parts`` in order: small ones joined into one write, large ones not copied.

    The transport may keep what it is given until it is sent, after ``send()``
    has returned, so a mutable part (a ``bytearray`` message) is copied: the
    caller may reuse it at once. Immutable ``bytes`` are never copied.
    """
    small: list[Buffer] = []
    for part in parts:
        if len(cast(_Bytes, part)) < _JOIN_LIMIT:
            small.append(part)
            continue
        if small:
            transport.write(b"".join(small))
            small = []
        if not is_stable(part):
            part = bytes(part)  # a view of a bytearray, read-only or not, may change
        transport.write(cast(_Bytes, part))
    if small:
        transport.write(b"".join(small))  # one bytes part is written as it is, not copied
