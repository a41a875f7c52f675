"""framing.aio streams: the FramedSocket semantics, on asyncio.

Every test runs its own event loop with ``asyncio.run`` (no pytest plugin),
talks to 127.0.0.1 (or a Unix socket in ``tmp_path``) only, and is bounded by
``run()``'s timeout.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from construct import Const, Int8ub, Int16ub, Struct

import framing
import framing.aio
from framing import (
    COBS,
    SLIP,
    ConnectionClosed,
    Delimited,
    EncodeError,
    FixedLength,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)
from framing.aio import FramedStream

T = TypeVar("T")
LOCALHOST = "127.0.0.1"
STRUCT_HEADER = Struct("magic" / Const(b"FR"), "type" / Int8ub, "length" / Int16ub)


def run(coro: Awaitable[T], timeout: float = 10.0) -> T:
    """Run ``coro`` in a fresh event loop, failing after ``timeout`` seconds."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Poll ``condition()`` every few milliseconds until it is true (at most ``timeout`` s)."""
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never became true")


async def echo(stream: FramedStream) -> None:
    """Send every message back; return at the peer's clean EOF."""
    async for message in stream:
        await stream.send(message)


@asynccontextmanager
async def serving(
    handler: Callable[[FramedStream], Awaitable[object]], codec: framing.Codec, **kwargs: Any
) -> AsyncIterator[int]:
    """A ``start_server`` on an ephemeral loopback port, closed on exit; yields the port."""
    server = await framing.aio.start_server(handler, LOCALHOST, 0, codec, **kwargs)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def echo_client(codec: framing.Codec) -> AsyncIterator[FramedStream]:
    """A stream connected to an echo server; both closed on exit."""
    async with serving(echo, codec) as port:
        stream = await framing.aio.open_connection(LOCALHOST, port, codec)
        async with stream:
            yield stream


async def framed_and_raw(
    codec: framing.Codec, **kwargs: Any
) -> tuple[FramedStream, asyncio.StreamReader, asyncio.StreamWriter, asyncio.Server]:
    """A FramedStream client connected to a plain asyncio streams peer we drive by hand."""
    accepted: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    accepted = asyncio.get_running_loop().create_future()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set_result((reader, writer))

    server = await asyncio.start_server(on_connect, LOCALHOST, 0)
    port = server.sockets[0].getsockname()[1]
    stream = await framing.aio.open_connection(LOCALHOST, port, codec, **kwargs)
    reader, writer = await accepted
    return stream, reader, writer, server


async def close_all(
    stream: FramedStream, writer: asyncio.StreamWriter, server: asyncio.Server
) -> None:
    """Close both ends and the server."""
    stream.close()
    writer.close()
    server.close()
    await stream.wait_closed()
    await server.wait_closed()


# --------------------------------------------------------------------------
# echo round trips, one per codec
# --------------------------------------------------------------------------

BIG = bytes(range(256)) * 4096  # 1 MiB, every byte value

ECHO_CASES: list[tuple[framing.Codec, list[bytes]]] = [
    (FixedLength(8), [b"12345678", b"\x00" * 8, b"\n\r\n\xc0\xdb\x00:,"]),
    (Delimited(b"\r\n"), [b"hello", b"", b"line\nwith LF", b"\r"]),
    (Delimited(b"\x00"), [b"binary\xff", b"", b"\n" * 100]),
    (Lines(), [b"hello", b"", b"tab\there", b"x" * 60000]),
    (Lines(strict_crlf=True), [b"CRLF only", b""]),
    (LengthPrefixed("!I"), [b"hello", b"", b"\x00\x00\x00\x05", BIG]),
    (LengthPrefixed("varint"), [b"x" * 300, b"", b"\x80\xff"]),
    (LengthPrefixed(">H", includes_header=True), [b"short", b""]),
    (Netstring(), [b"hello", b"", b"5:hello,", BIG]),
    (COBS(), [b"\x00\x00", b"", b"\x01" * 600, bytes(range(256))]),
    (SLIP(), [b"\xc0", b"\xdb\xdc\xdd", b"x"]),
    (SLIP(leading_end=False), [b"\xc0\xc0", b"y"]),
]


@pytest.mark.parametrize(("codec", "messages"), ECHO_CASES, ids=lambda x: repr(x)[:40])
def test_echo_round_trip_for_every_codec(codec: framing.Codec, messages: list[bytes]) -> None:
    async def main() -> None:
        async with echo_client(codec) as stream:
            for message in messages:  # one at a time
                await stream.send(message)
                assert await stream.recv() == message
            await stream.send_many(messages)  # pipelined
            await stream.send_many(bytearray(m) for m in messages)  # any bytes-like
            got = [await stream.recv() for _ in range(2 * len(messages))]
            assert got == messages + messages
            stream.shutdown_write()  # the server's async for ends, it returns, closes
            with pytest.raises(ConnectionClosed):
                await stream.recv()

    run(main())


def test_struct_header_fields_survive_an_echo() -> None:
    codec = LengthPrefixed(STRUCT_HEADER)

    async def main() -> None:
        async with echo_client(codec) as stream:
            await stream.send(framing.Frame(b"ping", {"type": 7}))
            frame = await stream.recv()
            assert frame == b"ping"
            assert isinstance(frame, framing.Frame)
            assert frame.fields == {"type": 7}

    run(main())


def test_until_close_echo_half_closes_each_way() -> None:
    async def main() -> None:
        async with echo_client(UntilClose()) as stream:
            await stream.send(b"the whole request")  # sent, then write_eof
            assert await stream.recv() == b"the whole request"
            with pytest.raises(ConnectionClosed):
                await stream.recv()
            with pytest.raises(BrokenPipeError, match="shut down"):
                await stream.send(b"a second message")

    run(main())


def test_until_close_send_many_takes_exactly_one_message() -> None:
    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(UntilClose())
        with pytest.raises(EncodeError, match="one message"):
            await stream.send_many([b"a", b"b"])
        await stream.send_many([])  # nothing to send, nothing shut down
        await stream.send_many([b"only"])
        assert await reader.read() == b"only"  # then EOF: the write side was shut down
        await close_all(stream, writer, server)

    run(main())


# --------------------------------------------------------------------------
# end of stream and errors, as FramedSocket raises them
# --------------------------------------------------------------------------


def test_async_for_ends_at_clean_eof() -> None:
    codec = Lines()

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        writer.write(b"one\ntwo\r\nthree\n")
        writer.write_eof()
        assert [m async for m in stream] == [b"one", b"two", b"three"]
        for _ in range(2):  # and stays ended
            with pytest.raises(ConnectionClosed):
                await stream.recv()
        await close_all(stream, writer, server)

    run(main())


@pytest.mark.parametrize(
    ("codec", "partial"),
    [
        (LengthPrefixed("!I"), b"\x00\x00\x00\x09half"),
        (LengthPrefixed("!I"), b"\x00\x00"),
        (FixedLength(4), b"abc"),
        (Lines(), b"no newline"),
        (Netstring(), b"5:hel"),
        (COBS(), b"\x03ab"),
    ],
    ids=repr,
)
def test_incomplete_frame_when_the_peer_stops_mid_frame(
    codec: framing.Codec, partial: bytes
) -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        whole = codec.encode(b"abcd")
        writer.write(whole + partial)
        await asyncio.sleep(0.01)  # the whole frame and the start of the next one arrive
        writer.write_eof()
        assert await stream.recv() == b"abcd"
        with pytest.raises(IncompleteFrame) as caught:
            await stream.recv()
        assert caught.value.partial == partial
        with pytest.raises(IncompleteFrame):  # again, as the decoder does
            await stream.recv()
        await close_all(stream, writer, server)

    run(main())


def test_frame_too_large_is_raised_after_the_messages_before_it() -> None:
    codec = LengthPrefixed("!I", max_length=10)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        writer.write(codec.encode(b"fine") + struct.pack("!I", 1 << 30) + b"never buffered")
        assert await stream.recv() == b"fine"
        for _ in range(2):  # a length-prefixed stream cannot resynchronise
            with pytest.raises(FrameTooLarge) as caught:
                await stream.recv()
            assert (caught.value.length, caught.value.max_length) == (1 << 30, 10)
        await close_all(stream, writer, server)

    run(main())


def test_delimited_stream_goes_on_after_a_bad_frame() -> None:
    codec = Lines(max_length=5, strict_crlf=True)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        writer.write(b"ok\r\nwaytoolong\r\nbare\nok2\r\n")
        writer.write_eof()
        assert await stream.recv() == b"ok"
        with pytest.raises(FrameTooLarge):
            await stream.recv()
        with pytest.raises(InvalidFrame):
            await stream.recv()
        assert [m async for m in stream] == [b"ok2"]
        await close_all(stream, writer, server)

    run(main())


def test_connection_reset_by_peer_is_an_oserror_after_the_messages_before_it() -> None:
    codec = LengthPrefixed("!I")

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        writer.write(codec.encode(b"before the reset"))
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # close with SO_LINGER 0: the peer gets an RST
        await asyncio.sleep(0.05)
        assert await stream.recv() == b"before the reset"
        with pytest.raises(ConnectionResetError):
            await stream.recv()
        with pytest.raises(ConnectionResetError):
            await stream.send(b"to nobody")
        await close_all(stream, writer, server)

    run(main())


@pytest.mark.parametrize("size", [100, 1 << 20])
def test_a_bytearray_may_be_reused_as_soon_as_send_returns(size: int) -> None:
    codec = FixedLength(size)

    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(codec, write_limit=16 << 20)
        stream.transport.write(b"\x00" * (4 << 20))  # fills the socket: what follows waits
        buffer = bytearray(b"a" * size)
        await stream.send(buffer)
        await stream.send_many([buffer, memoryview(buffer)])
        assert stream.transport.get_write_buffer_size() > 3 * size  # not sent yet
        buffer[:] = b"b" * size  # reused at once
        await reader.readexactly(4 << 20)
        for _ in range(3):
            assert await reader.readexactly(size) == b"a" * size
        await close_all(stream, writer, server)

    run(main())


def test_encode_error_in_send_many_sends_nothing() -> None:
    codec = FixedLength(2)

    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(codec)
        with pytest.raises(EncodeError):
            await stream.send_many([b"ok", b"too long"])
        with pytest.raises(EncodeError):
            await stream.send(b"x")
        await stream.send_many([])  # nothing at all
        await stream.send(b"go")
        stream.shutdown_write()
        stream.shutdown_write()  # idempotent
        assert await reader.read() == b"go"
        await close_all(stream, writer, server)

    run(main())


# --------------------------------------------------------------------------
# the connection: switch, close, concurrent use
# --------------------------------------------------------------------------


def test_switch_hands_every_unread_byte_to_the_next_codec() -> None:
    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(Lines())
        frames = LengthPrefixed("!H")
        # The handshake line and the first frames arrive in one segment.
        writer.write(b"HELLO v1\n" + frames.encode(b"first") + frames.encode(b"second"))
        assert await stream.recv() == b"HELLO v1"
        stream.switch(frames)
        assert stream.codec == frames
        assert await stream.recv() == b"first"
        assert await stream.recv() == b"second"
        await stream.send(b"reply")  # sent with the new codec too
        assert await reader.readexactly(7) == frames.encode(b"reply")
        await close_all(stream, writer, server)

    run(main())


def test_switch_wakes_a_recv_waiting_for_a_frame_of_the_old_codec() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        waiting = asyncio.ensure_future(stream.recv())
        writer.write(b"\x00\x02hi")  # no newline: Lines waits for more
        await asyncio.sleep(0.05)
        assert not waiting.done()
        stream.switch(LengthPrefixed(">H"))
        assert await waiting == b"hi"
        await close_all(stream, writer, server)

    run(main())


def test_switch_after_eof_keeps_the_eof() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        writer.write(b"line\nrest of the stream")
        writer.write_eof()
        assert await stream.recv() == b"line"
        with pytest.raises(IncompleteFrame):  # the EOF has arrived, after an unfinished line
            await stream.recv()
        stream.switch(UntilClose())  # the unfinished line's bytes and the EOF carry over
        assert await stream.recv() == b"rest of the stream"
        with pytest.raises(ConnectionClosed):
            await stream.recv()
        await close_all(stream, writer, server)

    run(main())


def test_a_second_concurrent_recv_is_refused() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        first = asyncio.ensure_future(stream.recv())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="another task"):
            await stream.recv()
        writer.write(b"for the first\n")
        assert await first == b"for the first"
        await close_all(stream, writer, server)

    run(main())


def test_close_wait_closed_and_use_after_close() -> None:
    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(Lines())
        await stream.send(b"last words")
        assert not stream.is_closing()
        protocol = stream.transport.get_protocol()
        stream.close()
        assert stream.is_closing()
        await stream.wait_closed()
        assert await reader.read() == b"last words\n"  # written data is still sent
        with pytest.raises(ConnectionResetError):
            await stream.send(b"after close")
        with pytest.raises(ConnectionClosed):  # a locally closed stream has ended
            await stream.recv()
        with pytest.raises(ConnectionResetError):  # the protocol's own wait, too
            await protocol.drain()  # type: ignore[attr-defined]
        stream.shutdown_write()  # harmless once closed
        await close_all(stream, writer, server)

    run(main())


def test_async_with_closes_and_a_waiting_recv_ends() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        async with stream as entered:
            assert entered is stream
            waiting = asyncio.ensure_future(stream.recv())
            await asyncio.sleep(0.01)
        with pytest.raises(ConnectionClosed):
            await waiting
        await close_all(stream, writer, server)

    run(main())


def test_stream_reports_its_connection() -> None:
    codec = Lines()

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, write_limit=4096)
        assert stream.codec is codec
        assert stream.get_extra_info("peername") == server.sockets[0].getsockname()
        assert stream.get_extra_info("no such thing", "dflt") == "dflt"
        assert stream.transport.get_write_buffer_limits()[1] == 4096
        assert "Lines" in repr(stream)
        assert "Lines" in repr(stream.transport.get_protocol())
        assert stream.buffered == 0
        assert not stream.reading_paused
        await close_all(stream, writer, server)

    run(main())


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_limit_must_be_a_positive_integer(limit: Any) -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="limit"):
            await framing.aio.open_connection(LOCALHOST, 1, Lines(), limit=limit)

    run(main())


# --------------------------------------------------------------------------
# framing an existing connection
# --------------------------------------------------------------------------


async def until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A peer's end: read until the other side closes, then close, so that
    Server.wait_closed() (which waits for every connection from 3.12.1 on)
    returns."""
    await reader.read()
    writer.close()


def test_wrap_streams_decodes_what_the_reader_already_holds() -> None:
    frames = LengthPrefixed("!I")

    async def main() -> None:
        async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"HELLO\n" + frames.encode(b"first") + frames.encode(b"second"))
            assert await reader.readexactly(10) == frames.encode(b"thanks")
            writer.write(frames.encode(b"third"))
            writer.write_eof()
            await until_closed(reader, writer)

        server = await asyncio.start_server(peer, LOCALHOST, 0)
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
        assert await reader.readline() == b"HELLO\n"
        await asyncio.sleep(0.05)  # the frames are now in the StreamReader's buffer
        stream = await framing.aio.wrap_streams(reader, writer, frames)
        del writer  # the stream keeps the connection open (StreamWriter.__del__ closes it)
        assert await stream.recv() == b"first"
        assert await stream.recv() == b"second"
        await stream.send(b"thanks")
        assert [m async for m in stream] == [b"third"]
        await stream.send(b"the write side is still open")  # after the peer's EOF
        stream.close()
        await stream.wait_closed()
        server.close()
        await server.wait_closed()

    run(main())


def test_wrap_streams_after_the_reader_saw_eof() -> None:
    frames = Netstring()

    async def main() -> None:
        async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"go\n" + frames.encode(b"only"))
            writer.write_eof()
            await until_closed(reader, writer)

        server = await asyncio.start_server(peer, LOCALHOST, 0)
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
        assert await reader.readline() == b"go\n"
        await asyncio.sleep(0.05)  # bytes and EOF are in the reader
        stream = await framing.aio.wrap_streams(reader, writer, frames)
        assert [m async for m in stream] == [b"only"]
        stream.close()
        server.close()
        await server.wait_closed()

    run(main())


def test_wrap_streams_raises_the_readers_error() -> None:
    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(Lines())
        reader.set_exception(ConnectionAbortedError("gone"))
        with pytest.raises(ConnectionAbortedError, match="gone"):
            await framing.aio.wrap_streams(reader, writer, Lines())
        await close_all(stream, writer, server)

    run(main())


def test_wrap_streams_resumes_a_reader_paused_by_its_limit() -> None:
    frames = FixedLength(1000)
    count = 300

    async def main() -> None:
        async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"x" * 1000 * count)
            await writer.drain()
            writer.write_eof()
            await until_closed(reader, writer)

        server = await asyncio.start_server(peer, LOCALHOST, 0)
        host, port = server.sockets[0].getsockname()
        reader, writer = await asyncio.open_connection(host, port, limit=1000)
        await wait_until(lambda: not writer.transport.is_reading())  # paused at 2 * limit
        stream = await framing.aio.wrap_streams(reader, writer, frames, limit=1 << 20)
        assert stream.transport.is_reading()  # we are under our limit: read on
        assert [len(m) async for m in stream] == [1000] * count
        stream.close()
        server.close()
        await server.wait_closed()

    run(main())


class _Collect(asyncio.Protocol):
    """A plain protocol that keeps what it receives, for wrap_transport."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.paused = False

    def data_received(self, data: bytes) -> None:
        self.data += data

    def pause_writing(self) -> None:
        self.paused = True


def test_wrap_transport_takes_over_from_another_protocol() -> None:
    codec = Delimited(b"\x00")

    async def main() -> None:
        async with serving(echo, codec) as port:
            loop = asyncio.get_running_loop()
            transport, old = await loop.create_connection(_Collect, LOCALHOST, port)
            transport.write(b"first\x00sec")
            await wait_until(lambda: bytes(old.data) == b"first\x00")
            stream = framing.aio.wrap_transport(transport, codec, initial=old.data)
            assert await stream.recv() == b"first"
            await stream.send(b"ond")  # completes b"sec" on the wire: b"second\x00"
            assert await stream.recv() == b"second"
            stream.close()
            await stream.wait_closed()

    run(main())


def test_wrap_transport_keeps_the_previous_protocols_pause_for_writing() -> None:
    codec = FixedLength(65536)
    chunk = b"w" * 65536

    async def main() -> None:
        stream, reader, writer, server = await framed_and_raw(codec)
        transport = stream.transport
        old = _Collect()
        transport.set_protocol(old)
        for _ in range(2000):  # the peer does not read: the transport pauses its protocol
            transport.write(chunk)
            if old.paused:
                break
            await asyncio.sleep(0)
        assert old.paused
        wrapped = framing.aio.wrap_transport(transport, codec)
        sending = asyncio.ensure_future(wrapped.send(chunk))
        await asyncio.sleep(0.1)
        assert not sending.done()  # the pause carried over: send waits
        while not sending.done():  # the peer reads: the transport resumes the new protocol
            await asyncio.wait_for(reader.readexactly(65536), 5)
        await sending
        await close_all(wrapped, writer, server)

    run(main())


class _MemoryTransport(asyncio.Transport):
    """A transport without asyncio's flow-control internals, holding what is written."""

    def __init__(self, buffered: int) -> None:
        super().__init__()
        self.written = bytearray()
        self.buffered = buffered  # what get_write_buffer_size() reports
        self.protocol: asyncio.BaseProtocol | None = None

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (16384, 65536)

    def is_reading(self) -> bool:
        return True

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data


@pytest.mark.parametrize(("buffered", "waits"), [(65537, True), (65536, False)])
def test_wrap_transport_infers_a_pause_from_the_buffer_of_any_transport(
    buffered: int, waits: bool
) -> None:
    codec = Lines()

    async def main() -> None:
        transport = _MemoryTransport(buffered)
        stream = framing.aio.wrap_transport(transport, codec)
        sending = asyncio.ensure_future(stream.send(b"hi"))
        await asyncio.sleep(0.01)
        assert sending.done() is not waits
        assert transport.written == b"hi\n"
        assert isinstance(transport.protocol, asyncio.Protocol)
        transport.protocol.resume_writing()
        await sending

    run(main())


def test_wrap_transport_of_a_fresh_connection() -> None:
    codec = Netstring()

    async def main() -> None:
        async with serving(echo, codec) as port:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_connection(asyncio.Protocol, LOCALHOST, port)
            transport.pause_reading()  # as the previous protocol may have left it
            async with framing.aio.wrap_transport(transport, codec) as stream:
                await stream.send(b"framed from now on")
                assert await stream.recv() == b"framed from now on"

    run(main())


def test_wrap_transport_with_eof_already_received() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        transport = stream.transport
        wrapped = framing.aio.wrap_transport(transport, Lines(), initial=b"a\nb\n", eof=True)
        assert [m async for m in wrapped] == [b"a", b"b"]
        await close_all(wrapped, writer, server)

    run(main())


# --------------------------------------------------------------------------
# Unix sockets
# --------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")
def test_unix_socket_server_and_client(tmp_path: Path) -> None:
    codec = LengthPrefixed("varint")
    path = str(tmp_path / "framing.sock")

    async def main() -> None:
        server = await framing.aio.start_unix_server(echo, path, codec)
        async with server:
            stream = await framing.aio.open_unix_connection(path, codec)
            async with stream:
                await stream.send_many([b"over", b"unix", BIG])
                assert [await stream.recv() for _ in range(3)] == [b"over", b"unix", BIG]

    run(main())


# --------------------------------------------------------------------------
# unframed reads over the same buffer: a handshake line, then frames
# --------------------------------------------------------------------------


def test_a_handshake_line_a_preface_then_frames() -> None:
    codec = LengthPrefixed("!H")

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        writer.write(b"HELLO v1\r\n")
        await writer.drain()
        assert await stream.recv_until(b"\r\n") == b"HELLO v1"
        pending = asyncio.ensure_future(stream.recv_exactly(4))
        await asyncio.sleep(0.01)
        writer.write(b"MA")
        await asyncio.sleep(0.01)
        writer.write(b"GC" + codec.encode(b"one") + codec.encode(b"two"))
        assert await pending == b"MAGC"
        assert [await stream.recv(), await stream.recv()] == [b"one", b"two"]
        with pytest.raises(ValueError, match="cannot receive"):
            await stream.recv_exactly(-1)
        with pytest.raises(ValueError, match="delimiter"):
            await stream.recv_until(b"")
        await close_all(stream, writer, server)

    run(main())


def test_a_cancelled_unframed_read_loses_nothing() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        writer.write(b"abc")
        await writer.drain()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream.recv_until(b";"), 0.05)
        writer.write(b"def;rest\n")
        assert await stream.recv_until(b";") == b"abcdef"
        assert await stream.recv() == b"rest"
        await close_all(stream, writer, server)

    run(main())


def test_unframed_reads_at_eof_and_after_a_reset() -> None:
    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(Lines())
        writer.write(b"partial")
        writer.write_eof()
        with pytest.raises(framing.IncompleteFrame) as caught:
            await stream.recv_exactly(100)
        assert caught.value.partial == b"partial"
        assert await stream.recv_exactly(7) == b"partial"
        with pytest.raises(ConnectionClosed):
            await stream.recv_until(b"\n")
        await close_all(stream, writer, server)

        stream, _, writer, server = await framed_and_raw(Lines())
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        with pytest.raises(ConnectionResetError):
            await stream.recv_exactly(1)
        await close_all(stream, writer, server)

    run(main())


def test_a_read_only_view_of_a_bytearray_may_be_reused_once_send_returns() -> None:
    # Python 3.12+'s selector transport keeps what it was given until it is
    # sent: a view of a buffer the caller may change must be copied.
    codec = LengthPrefixed()

    async def main() -> None:
        got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        go = asyncio.Event()

        async def handler(stream: FramedStream) -> None:
            await go.wait()  # reads only once the sender has reused its buffer
            got.set_result(await stream.recv())

        async with serving(handler, codec) as port:
            stream = await framing.aio.open_connection(
                LOCALHOST, port, codec, write_limit=64 << 20
            )
            buffer = bytearray(b"A" * (8 << 20))
            await stream.send(memoryview(buffer).toreadonly())
            buffer[:] = b"B" * len(buffer)
            go.set()
            assert await got == b"A" * (8 << 20)
            stream.close()
            await stream.wait_closed()

    run(main(), timeout=30)
