"""Whole messages over any anyio byte stream, on asyncio or trio: ``framing.anyio``.

A ``FramedStream`` wraps an anyio ``ByteStream`` (``anyio.connect_tcp``, a
listener's accepted stream, a ``TLSStream``, a Unix socket) or any
``ObjectStream[bytes]`` (a stapled pair of memory object streams), and is
itself an anyio ``ObjectStream[bytes]``: one message per ``receive()``, one
frame per ``send()``, so it composes with everything in anyio that takes an
object stream::

    import anyio, framing, framing.anyio

    codec = framing.LengthPrefixed("!I")

    async def echo(stream):                       # one task per connection
        async for message in stream:              # ends at the peer's clean EOF
            await stream.send(message)            # 00 00 00 05 68 65 6c 6c 6f for b"hello"

    async def main():
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        await listener.serve(framing.anyio.handler(echo, codec))

    anyio.run(main)                               # or anyio.run(main, backend="trio")

The framing state is a ``framing.Connection``, the same as under
``FramedSocket`` and ``framing.aio``, so the same codec behaves the same:
``ConnectionClosed`` at a clean EOF between messages (here it is also
anyio's ``EndOfStream``, which ends ``async for``), ``IncompleteFrame`` when
the peer stops mid-frame, the codec's ``FrameTooLarge``/``InvalidFrame`` after
every message before them. A cancelled ``receive()`` loses nothing.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import anyio
from anyio.abc import AnyByteStream

from ..core.codec import Codec
from ..core.connection import Connection
from ..core.outgoing import wire_size
from ..core.types import Buffer
from ..errors import ConnectionClosed
from .framed import OverConnection
from .sockio import PEER_ERRORS

__all__ = ["EndOfMessages", "FramedStream", "connect_tcp", "connect_unix", "handler"]

logger = logging.getLogger("framing.anyio")

_T = TypeVar("_T")

# Frames up to this size are joined into one send; larger parts go out as they are.
_JOIN_LIMIT = 16 * 1024


class EndOfMessages(ConnectionClosed, anyio.EndOfStream):
    """The peer closed the stream cleanly between messages.

    Both framing's ``ConnectionClosed`` and anyio's ``EndOfStream``, so
    either ``except`` catches it and anyio's ``async for`` ends on it.
    """


class FramedStream(OverConnection, anyio.abc.ObjectStream[bytes]):
    """An anyio byte stream that carries messages: an ``ObjectStream[bytes]``.

    ``initial``: bytes already read from ``stream`` (after a handshake) that
    come first. Concurrent senders never interleave frames (a lock
    serialises them); one task at a time may receive.
    """

    def __init__(self, stream: AnyByteStream, codec: Codec, *, initial: Buffer = b"") -> None:
        self._stream = stream
        self._conn = Connection(codec)
        # One sender at a time, in arrival order, so frames never interleave:
        # a turn flag, and an event per task waiting for its turn. (An anyio
        # Lock would do, at a cancellation check per send even uncontended.)
        self._sending = False
        self._turns: deque[anyio.Event] = deque()
        if initial:
            self._conn.receive_data(initial)

    def __repr__(self) -> str:
        return f"<framing.anyio.FramedStream {self.codec!r} over {self._stream!r}>"

    @property
    def stream(self) -> AnyByteStream:
        """The wrapped byte stream."""
        return self._stream

    def switch(self, codec: Codec) -> None:
        """Frame with ``codec`` from the next message on, both ways; no received byte is lost."""
        self._conn.switch(codec)

    @property
    def extra_attributes(self) -> Mapping[Any, Callable[[], Any]]:
        """The wrapped stream's typed attributes (``SocketAttribute.remote_address``, TLS...)."""
        return self._stream.extra_attributes

    # -- receiving -------------------------------------------------------------

    async def receive(self) -> bytes:
        """The next message; ``EndOfMessages`` (a ``ConnectionClosed``) at a clean EOF."""
        conn = self._conn
        try:
            message = conn.next_message()
            while message is None:
                await self._read()
                message = conn.next_message()
        except ConnectionClosed as closed:
            raise EndOfMessages(*closed.args) from None
        return message

    recv = receive  # framing's name for it, as on every other adapter

    async def recv_exactly(self, n: int) -> bytes:
        """Exactly the next ``n`` bytes of the stream, unframed.

        At EOF: ``EndOfMessages`` if none of them arrived, else
        ``IncompleteFrame`` with them.
        """
        if n < 0:
            raise ValueError(f"cannot receive {n} bytes")
        conn = self._conn
        return await self._pull(lambda: conn.receive_exactly(n))

    async def recv_until(self, delimiter: bytes, max_length: int = 65536) -> bytes:
        """The bytes before the next ``delimiter`` (consumed too), unframed: a handshake line.

        ``FrameTooLarge`` if more than ``max_length`` bytes come without it;
        at EOF ``EndOfMessages`` if no byte is buffered, else ``IncompleteFrame``.
        """
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        conn = self._conn
        return await self._pull(lambda: conn.receive_until(delimiter, max_length))

    async def _pull(self, step: Callable[[], _T | None]) -> _T:
        try:
            result = step()
            while result is None:
                await self._read()
                result = step()
        except ConnectionClosed as closed:
            raise EndOfMessages(*closed.args) from None
        return result

    async def _read(self) -> None:
        """One receive from the stream into the connection (cancel-safe: it takes nothing)."""
        try:
            data = await self._stream.receive()
        except anyio.EndOfStream:
            self._conn.receive_eof()
        else:
            self._conn.receive_data(data)

    # -- sending -----------------------------------------------------------------

    async def send(self, item: Buffer, **fields: Any) -> None:
        """Send one message's frame; ``fields`` are a ``Struct`` header's other fields.

        With a codec that ``ends_at_close`` (``UntilClose``) the write side is
        shut down after it. A send cancelled part-way leaves the stream
        unusable, as anyio's own ``send`` does.
        """
        conn = self._conn
        if self._sending:
            await self._wait_for_turn()
        self._sending = True
        try:
            if (
                conn.sends_plainly
                and type(item) is bytes
                and len(item) <= _JOIN_LIMIT
                and not fields
            ):  # the hot path: one bytes, one send
                await self._stream.send(conn.encode(item))
                return
            await self._send_parts(conn.frame(item, fields))
            if conn.needs_shutdown:
                await self._shut()
        finally:
            self._pass_turn()

    async def send_many(self, messages: Iterable[Buffer]) -> None:
        """Send several messages' frames in as few sends as possible, all encoded first."""
        conn = self._conn
        if self._sending:
            await self._wait_for_turn()
        self._sending = True
        try:
            await self._send_parts(conn.frames(list(messages)))
            if conn.needs_shutdown:
                await self._shut()
        finally:
            self._pass_turn()

    async def _wait_for_turn(self) -> None:
        """Wait until the senders before this one are done; then the turn is this one's."""
        turn = anyio.Event()
        self._turns.append(turn)
        try:
            await turn.wait()
        except BaseException:  # cancelled: give up the place, or the turn if it came
            if turn.is_set():
                self._pass_turn()
            else:
                self._turns.remove(turn)
            raise

    def _pass_turn(self) -> None:
        """The next waiting sender's turn (the flag stays set for it), or nobody's."""
        if self._turns:
            self._turns.popleft().set()
        else:
            self._sending = False

    async def _send_parts(self, parts: Iterable[Buffer]) -> None:
        parts = tuple(parts)
        send = self._stream.send
        if wire_size(parts) <= _JOIN_LIMIT:
            if parts:
                await send(b"".join(parts))
            return
        for part in parts:
            await send(bytes(part) if type(part) is not bytes else part)

    async def send_eof(self) -> None:
        """Half-close: the peer sees EOF after the frames sent so far; receiving goes on."""
        if self._sending:
            await self._wait_for_turn()
        self._sending = True
        try:
            if not self._conn.write_closed:
                self._conn.shutdown_write()
                await self._shut()
        finally:
            self._pass_turn()

    shutdown_write = send_eof  # framing's name for it

    async def _shut(self) -> None:
        self._conn.write_shut()
        await self._stream.send_eof()

    async def aclose(self) -> None:
        """Close the wrapped stream."""
        await self._stream.aclose()


async def connect_tcp(
    remote_host: str, remote_port: int, codec: Codec, **kwargs: Any
) -> FramedStream:
    """``anyio.connect_tcp(remote_host, remote_port, **kwargs)`` framed with ``codec``
    (``tls=True`` and the rest of its options work as there)."""
    return FramedStream(await anyio.connect_tcp(remote_host, remote_port, **kwargs), codec)


async def connect_unix(path: str | bytes, codec: Codec) -> FramedStream:
    """``anyio.connect_unix(path)`` framed with ``codec``."""
    return FramedStream(await anyio.connect_unix(path), codec)


def handler(
    function: Callable[[FramedStream], Awaitable[object]], codec: Codec
) -> Callable[[AnyByteStream], Awaitable[None]]:
    """A handler for ``listener.serve()``: ``await function(stream)`` per connection, framed.

    The stream is closed when ``function`` returns. A clean close by the
    peer ends it quietly; a peer's fault (a bad frame, a frame cut short, a
    reset) is one WARNING line on the ``framing.anyio`` logger; any other
    exception propagates, as anyio's ``serve`` lets it.
    """

    async def serve(stream: AnyByteStream) -> None:
        framed = FramedStream(stream, codec)
        try:
            await function(framed)
        except (ConnectionClosed, anyio.EndOfStream):
            logger.debug("%r: the peer closed the connection during the handler", framed)
        except (*PEER_ERRORS, anyio.BrokenResourceError) as error:
            logger.warning("closing %r: %s: %s", framed, type(error).__name__, error)
        finally:
            await framed.aclose()

    serve.__name__ = serve.__qualname__ = f"{getattr(function, '__name__', 'handler')}_framed"
    return serve
