"""asyncio streams and servers that send and receive whole messages, on any codec.

The same codec objects as the blocking ``FramedSocket``, with the same
semantics (``ConnectionClosed`` at a clean EOF between messages,
``IncompleteFrame`` when the peer stops mid-frame, ``FrameTooLarge`` /
``InvalidFrame`` as the decoder raises them, after every message before
them)::

    import framing, framing.aio

    codec = framing.LengthPrefixed("!I")

    async def echo(stream):                      # one task per connection;
        async for message in stream:             # ends at the peer's clean EOF
            await stream.send(message)           # the stream is closed on return

    server = await framing.aio.start_server(echo, "127.0.0.1", 0, codec)
    port = server.sockets[0].getsockname()[1]

    async with await framing.aio.open_connection("127.0.0.1", port, codec) as stream:
        await stream.send(b"hello")              # 00 00 00 05 68 65 6c 6c 6f
        assert await stream.recv() == b"hello"

Bytes go from the transport straight into the codec's decoder
(``framing._aio_protocol``); reading pauses when more than ``limit`` received
bytes are unread, and ``send`` waits while the transport's write buffer is
above its high-water mark (``write_limit``), so neither a fast peer nor a slow
one grows memory without bound. ``recv()`` may be cancelled (``wait_for``,
``asyncio.timeout``) at any point without losing a byte or a message.

An existing connection can be framed too: ``wrap_transport(transport, codec)``
or ``await wrap_streams(reader, writer, codec)`` for an asyncio streams pair.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, cast

from ._aio_protocol import DEFAULT_LIMIT, FramedProtocol, check_limit
from ._base import Codec
from ._types import Buffer
from .errors import ConnectionClosed, EncodeError
from .until_close import UntilClose

__all__ = [
    "DEFAULT_LIMIT",
    "FramedStream",
    "open_connection",
    "open_unix_connection",
    "start_server",
    "start_unix_server",
    "wrap_streams",
    "wrap_transport",
]

logger = logging.getLogger("framing.aio")

Handler = Callable[["FramedStream"], Awaitable[object]]
_Bytes = bytes | bytearray | memoryview

# Parts this small are joined into one write (one syscall); larger ones are
# written as they are: write() sends what it can at once and (from 3.12) keeps
# a view of the rest, not a copy. Not writelines(): it joins before 3.12, and
# the 3.12/3.13 selector transport's version never paused the protocol until
# CPython gh-127655 (Dec 2024), so the write buffer would grow without bound.
_JOIN_LIMIT = 16 * 1024


class FramedStream:
    """One connection as a stream of messages: ``await recv()``, ``await send()``.

    Made by ``open_connection``, ``start_server``, their Unix variants and the
    ``wrap_*`` functions, not directly.
    """

    def __init__(
        self, transport: asyncio.Transport, protocol: FramedProtocol, *, keepalive: object = None
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        self._codec = protocol.decoder.codec  # what send() encodes with
        self._until_close = isinstance(self._codec, UntilClose)  # send() half-closes
        self._write_closed = False  # shutdown_write() was called
        self._keepalive = keepalive  # e.g. a wrapped StreamWriter, which closes on __del__

    def __repr__(self) -> str:
        return f"<FramedStream {self._codec!r} peer={self.get_extra_info('peername')!r}>"

    # -- receiving -------------------------------------------------------------

    async def recv(self) -> bytes:
        """The next message; ``ConnectionClosed`` at a clean EOF between messages.

        ``IncompleteFrame`` if the peer stopped mid-frame; ``FrameTooLarge`` /
        ``InvalidFrame`` where the decoder meets them. Safe to cancel: a
        cancelled call takes nothing, the next call returns the message.
        """
        protocol = self._protocol
        message = protocol.next_message()
        while message is None:
            await protocol.wait_for_data()
            message = protocol.next_message()
        return message

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        protocol = self._protocol  # recv(), inlined: this is the hot loop of a server
        try:
            message = protocol.next_message()
            while message is None:
                await protocol.wait_for_data()
                message = protocol.next_message()
        except ConnectionClosed:
            raise StopAsyncIteration from None
        return message

    @property
    def buffered(self) -> int:
        """Received bytes not yet returned as messages (bounded by ``limit`` and one frame)."""
        return self._protocol.decoder.buffered

    @property
    def reading_paused(self) -> bool:
        """Whether reading is paused until unread messages are received."""
        return self._protocol.reading_paused

    # -- sending ---------------------------------------------------------------

    async def send(self, message: Buffer) -> None:
        """Send one whole message, then wait while the write buffer is above its high-water mark.

        Frames from concurrent tasks never interleave (each is written in one
        synchronous step). With ``UntilClose`` the write side is shut down
        after the message. A mutable buffer must not be changed until it is
        sent (as with ``transport.write``). If a send is cancelled while it
        waits, its message has been written already.
        """
        self._check_writable()
        parts = self._codec.encode_parts(message)
        if type(message) is bytes and len(message) < _JOIN_LIMIT:
            self._transport.write(b"".join(cast(tuple[_Bytes, ...], parts)))
        else:
            _write(self._transport, parts)
        if self._until_close:
            self.shutdown_write()
        if self._protocol.must_drain:
            await self._protocol.drain()

    async def send_many(self, messages: Iterable[Buffer]) -> None:
        """Send several messages in as few writes as possible, then wait like ``send``.

        Every message is encoded before any is written: an ``EncodeError``
        sends nothing.
        """
        self._check_writable()
        encode_parts = self._codec.encode_parts
        parts: list[Buffer] = []
        count = 0
        for message in messages:
            parts.extend(encode_parts(message))
            count += 1
        if self._until_close and count != 1:
            if count > 1:
                raise EncodeError(f"UntilClose carries one message per stream, not {count}")
            return
        if parts:
            _write(self._transport, parts)
        if self._until_close:
            self.shutdown_write()
        if self._protocol.must_drain:
            await self._protocol.drain()

    def shutdown_write(self) -> None:
        """Half-close: send EOF (``write_eof``); receiving goes on. What ``UntilClose`` sends do."""
        if not self._write_closed:
            self._write_closed = True
            if not self._transport.is_closing():
                self._transport.write_eof()

    def _check_writable(self) -> None:
        if self._write_closed:
            raise BrokenPipeError(
                errno.EPIPE, "send() after the write side was shut down (shutdown_write/UntilClose)"
            )
        if self._protocol.lost or self._transport.is_closing():
            raise ConnectionResetError("the connection is closed") from self._protocol.lost_because

    # -- the connection --------------------------------------------------------

    @property
    def codec(self) -> Codec:
        """The codec messages are sent and received with."""
        return self._codec

    def switch(self, codec: Codec) -> None:
        """Use ``codec`` from the next message on, both ways; no received byte is lost."""
        self._protocol.switch(codec)
        self._codec = codec
        self._until_close = isinstance(codec, UntilClose)

    @property
    def transport(self) -> asyncio.Transport:
        """The asyncio transport underneath."""
        return self._transport

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``transport.get_extra_info(name)``: ``"peername"``, ``"socket"``, ``"ssl_object"``..."""
        return self._transport.get_extra_info(name, default)

    def close(self) -> None:
        """Close the connection (what is already written is still sent)."""
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
    """Write ``parts`` in order: small ones joined into one write, large ones not copied."""
    chunks: list[Buffer] = []
    small: list[Buffer] = []
    for part in parts:
        if len(cast(_Bytes, part)) < _JOIN_LIMIT:
            small.append(part)
            continue
        if small:
            chunks.append(b"".join(small))
            small = []
        chunks.append(part)
    if small:
        chunks.append(b"".join(small) if len(small) > 1 else small[0])
    for chunk in chunks:
        transport.write(cast(_Bytes, chunk))


# -- making streams ------------------------------------------------------------


async def open_connection(
    host: str | None,
    port: int | None,
    codec: Codec,
    *,
    limit: int = DEFAULT_LIMIT,
    write_limit: int | None = None,
    **kwargs: Any,
) -> FramedStream:
    """Connect over TCP; ``kwargs`` go to ``loop.create_connection`` (``ssl``, ``sock``, ...).

    ``limit``: received bytes held unread before reading pauses.
    ``write_limit``: the transport's write high-water mark (asyncio's default if None).
    """
    check_limit(limit)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: FramedProtocol(codec, limit=limit, write_limit=write_limit),
        cast(str, host),  # None when kwargs give sock=
        cast(int, port),
        **kwargs,
    )
    return FramedStream(transport, protocol)


async def open_unix_connection(
    path: str | os.PathLike[str] | None,
    codec: Codec,
    *,
    limit: int = DEFAULT_LIMIT,
    write_limit: int | None = None,
    **kwargs: Any,
) -> FramedStream:
    """Connect to a Unix socket; like ``open_connection``."""
    check_limit(limit)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_unix_connection(
        lambda: FramedProtocol(codec, limit=limit, write_limit=write_limit),
        cast(str, path),  # asyncio takes any path-like (and None with sock=)
        **kwargs,
    )
    return FramedStream(transport, protocol)


async def start_server(
    handler: Handler,
    host: str | Sequence[str] | None,
    port: int | None,
    codec: Codec,
    *,
    limit: int = DEFAULT_LIMIT,
    write_limit: int | None = None,
    **kwargs: Any,
) -> asyncio.Server:
    """Serve TCP: ``await handler(stream)`` runs per connection, which is closed when it returns.

    ``kwargs`` go to ``loop.create_server`` (``ssl``, ``backlog``,
    ``reuse_port``, ...). An exception from the handler is logged on the
    ``framing.aio`` logger and closes that connection only. Returns the
    ``asyncio.Server`` (``server.sockets[0].getsockname()`` gives the port).
    """
    check_limit(limit)
    loop = asyncio.get_running_loop()
    factory = _ProtocolFactory(handler, codec, limit, write_limit)
    return await loop.create_server(factory, host, port, **kwargs)


async def start_unix_server(
    handler: Handler,
    path: str | os.PathLike[str] | None,
    codec: Codec,
    *,
    limit: int = DEFAULT_LIMIT,
    write_limit: int | None = None,
    **kwargs: Any,
) -> asyncio.Server:
    """Serve a Unix socket; like ``start_server``."""
    check_limit(limit)
    loop = asyncio.get_running_loop()
    factory = _ProtocolFactory(handler, codec, limit, write_limit)
    return await loop.create_unix_server(factory, path, **kwargs)


def wrap_transport(
    transport: asyncio.Transport,
    codec: Codec,
    *,
    initial: Buffer = b"",
    eof: bool = False,
    limit: int = DEFAULT_LIMIT,
    write_limit: int | None = None,
) -> FramedStream:
    """Frame an open transport from now on (``transport.set_protocol``).

    ``initial``: bytes the previous protocol received but did not use; ``eof``:
    whether it had already received EOF. Call it while the previous protocol is
    not paused for writing (e.g. right after its ``drain()``).
    """
    protocol = FramedProtocol(codec, limit=limit, write_limit=write_limit)
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    if initial:
        protocol.data_received(bytes(initial))
    if eof:
        protocol.eof_received()
    if not transport.is_closing() and not transport.is_reading() and not protocol.reading_paused:
        transport.resume_reading()  # the previous protocol may have paused it
    return FramedStream(transport, protocol)


async def wrap_streams(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    codec: Codec,
    *,
    limit: int = DEFAULT_LIMIT,
    write_limit: int | None = None,
) -> FramedStream:
    """Frame the connection of an asyncio ``(StreamReader, StreamWriter)`` pair.

    The bytes the reader holds are the first ones decoded; do not use the pair
    afterwards.
    """
    exception = reader.exception()
    if exception is not None:
        raise exception
    await writer.drain()  # so the writer's protocol is not paused for writing
    # The reader's private EOF flag: no public call tells EOF apart from "no
    # bytes yet" without waiting (CPython has had ``_eof`` since 3.4).
    eof = bool(getattr(reader, "_eof", False))
    transport = cast(asyncio.Transport, writer.transport)
    reader.feed_eof()  # no more bytes will come to it: read() returns what it holds now
    initial = await reader.read()
    stream = wrap_transport(
        transport, codec, initial=initial, eof=eof, limit=limit, write_limit=write_limit
    )
    stream._keepalive = writer  # StreamWriter.__del__ closes the transport (3.11.5+)
    return stream


class _ProtocolFactory:
    """Makes a protocol per accepted connection and runs the handler on its stream."""

    def __init__(
        self, handler: Handler, codec: Codec, limit: int, write_limit: int | None
    ) -> None:
        self._handler = handler
        self._codec = codec
        self._limit = limit
        self._write_limit = write_limit
        self._tasks: set[asyncio.Task[None]] = set()  # strong references to running handlers

    def __call__(self) -> FramedProtocol:
        return FramedProtocol(
            self._codec, limit=self._limit, write_limit=self._write_limit, on_connect=self._start
        )

    def _start(self, protocol: FramedProtocol) -> None:
        assert protocol.transport is not None
        stream = FramedStream(protocol.transport, protocol)
        task = asyncio.get_running_loop().create_task(self._serve(stream))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, stream: FramedStream) -> None:
        try:
            await self._handler(stream)
        except ConnectionClosed:
            logger.debug("%r: the peer closed the connection during the handler", stream)
        except Exception:
            logger.exception("connection handler %r failed on %r", self._handler, stream)
        finally:
            stream.close()
