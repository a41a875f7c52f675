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
(``framing.adapters.aio_protocol``); reading pauses when more than ``limit`` received
bytes are unread, and ``send`` waits while the transport's write buffer is
above its high-water mark (``write_limit``), so neither a fast peer nor a slow
one grows memory without bound. ``recv()`` may be cancelled (``wait_for``,
``asyncio.timeout``) at any point without losing a byte or a message.

An existing connection can be framed too: ``wrap_transport(transport, codec)``
or ``await wrap_streams(reader, writer, codec)`` for an asyncio streams pair.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from ..core.codec import Codec
from ..core.types import Buffer
from ..errors import ConnectionClosed
from .aio_protocol import DEFAULT_LIMIT, FramedProtocol, check_limit
from .aio_stream import FramedStream
from .sockio import PEER_ERRORS

__all__ = [
    "DEFAULT_LIMIT",
    "FramedStream",
    "close_connections",
    "open_connection",
    "open_unix_connection",
    "start_server",
    "start_unix_server",
    "wrap_streams",
    "wrap_transport",
]

logger = logging.getLogger("framing.aio")

Handler = Callable[[FramedStream], Awaitable[object]]  # async def handler(stream): ...

# The handler factory of each server started here, for close_connections().
_factories: weakref.WeakKeyDictionary[asyncio.Server, _ProtocolFactory] = (
    weakref.WeakKeyDictionary()
)


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
    server = await loop.create_server(factory, host, port, **kwargs)
    _factories[server] = factory
    return server


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
    server = await loop.create_unix_server(factory, path, **kwargs)
    _factories[server] = factory
    return server


async def close_connections(server: asyncio.Server) -> int:
    """Close the connections of ``server``'s handlers still running, and wait for them; how many.

    ``server.close()`` stops accepting but, before Python 3.13, leaves the
    connections open and their handlers running. Here each handler's stream
    is closed: a ``recv()`` waiting sees the end of the stream
    (``ConnectionClosed``), a ``send()`` gets ``ConnectionResetError``; then
    the handlers' tasks are awaited. ``server`` must come from
    ``start_server``/``start_unix_server``.
    """
    factory = _factories.get(server)
    if factory is None:
        raise ValueError(f"{server!r} was not started by framing.aio")
    return await factory.close_connections()


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
    whether it had already received EOF. The transport's flow control state
    (paused for reading or writing) carries over.
    """
    protocol = FramedProtocol(codec, limit=limit, write_limit=write_limit)
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    if _paused_for_writing(transport):
        protocol.pause_writing()  # resume_writing() will come to the new protocol
    if initial:
        protocol.data_received(bytes(initial))
    if eof:
        protocol.eof_received()
    if not transport.is_closing() and not transport.is_reading() and not protocol.reading_paused:
        transport.resume_reading()  # the previous protocol may have paused it
    return FramedStream(transport, protocol)


def _paused_for_writing(transport: asyncio.Transport) -> bool:
    """Whether the transport has paused its protocol for writing.

    asyncio has no public call for it; CPython's own ``start_tls`` asks the
    same way when it swaps protocols (gh-109051).
    """
    paused = getattr(transport, "_protocol_paused", None)
    if isinstance(paused, bool):
        return paused
    return transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]


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
    # The reader's private EOF flag: no public call tells EOF apart from "no
    # bytes yet" without waiting (CPython has had ``_eof`` since 3.4).
    eof = bool(getattr(reader, "_eof", False))
    transport = cast(asyncio.Transport, writer.transport)
    reader.feed_eof()  # no more bytes will come to it: read() returns what it holds now
    initial = await reader.read()
    stream = wrap_transport(
        transport, codec, initial=initial, eof=eof, limit=limit, write_limit=write_limit
    )
    stream._keep_alive(writer)  # StreamWriter.__del__ closes the transport (3.11.5+)
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
        self._tasks: dict[asyncio.Task[None], FramedStream] = {}  # the running handlers

    def __call__(self) -> FramedProtocol:
        return FramedProtocol(
            self._codec, limit=self._limit, write_limit=self._write_limit, on_connect=self._start
        )

    def _start(self, protocol: FramedProtocol) -> None:
        assert protocol.transport is not None
        stream = FramedStream(protocol.transport, protocol)
        task = asyncio.get_running_loop().create_task(self._serve(stream))
        self._tasks[task] = stream
        task.add_done_callback(self._tasks.pop)

    async def close_connections(self) -> int:
        running = dict(self._tasks)
        for stream in running.values():
            stream.close()
        await asyncio.gather(*running, return_exceptions=True)
        return len(running)

    async def _serve(self, stream: FramedStream) -> None:
        try:
            await self._handler(stream)
        except ConnectionClosed:
            logger.debug("%r: the peer closed the connection during the handler", stream)
        except PEER_ERRORS as error:
            # The peer's doing (a bad frame, a reset): one line, no traceback.
            logger.warning("closing %r: %s: %s", stream, type(error).__name__, error)
        except Exception:
            logger.exception("connection handler %r failed on %r", self._handler, stream)
        finally:
            stream.close()
