"""framing.aio flow control and cancellation: bounded memory both ways, nothing lost.

- A slow reader makes ``send`` wait: the sender's transport buffer stays under
  its high-water mark (plus the one message being written).
- A flooding peer makes the receiver pause reading: its buffered bytes stay
  under ``limit`` (plus one read), the rest waits in the kernel, and every
  message still arrives, in order, once the consumer reads.
- A ``recv()`` cancelled by a timeout, in the middle of a frame or with
  messages ready, loses no byte and no message.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import sys

import pytest

import framing
import framing.aio
from framing import COBS, SLIP, ConnectionClosed, FixedLength, LengthPrefixed, Lines, Netstring
from framing.aio import FramedStream
from test_aio import LOCALHOST, framed_and_raw, run, serving, wait_until

READ_CHUNK = 256 * 1024  # the most a selector transport reads at once


def numbered(i: int, size: int = 64) -> bytes:
    """Message ``i``: its number, padded to ``size`` bytes."""
    return b"%08d" % i + b"." * (size - 8)


# --------------------------------------------------------------------------
# writing: a slow reader makes send() wait
# --------------------------------------------------------------------------


def test_send_waits_for_a_slow_reader_and_the_write_buffer_stays_bounded() -> None:
    codec = LengthPrefixed("!I")
    size = 16 * 1024
    frame = size + 4  # on the wire
    high = 64 * 1024
    count = 2000  # 32 MiB: far more than the socket buffers hold

    async def main() -> None:
        reading = asyncio.Event()
        received: list[bytes] = []

        async def slow_reader(stream: FramedStream) -> None:
            await reading.wait()
            async for message in stream:
                received.append(message)

        async with serving(slow_reader, codec, limit=64 * 1024) as port:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
            sock.connect((LOCALHOST, port))
            stream = await framing.aio.open_connection(
                None, None, codec, sock=sock, write_limit=high
            )
            transport = stream.transport
            largest = 0
            blocked_at = None
            for i in range(count):
                send = asyncio.ensure_future(stream.send(numbered(i, size)))
                await asyncio.wait({send}, timeout=0.2)
                largest = max(largest, transport.get_write_buffer_size())
                if not send.done():  # nobody reads: send keeps waiting
                    blocked_at = i
                    assert transport.get_write_buffer_size() <= high + frame
                    reading.set()
                    await send
                    break
            assert blocked_at is not None, "send never waited"
            for i in range(blocked_at + 1, count):
                await stream.send(numbered(i, size))
                largest = max(largest, transport.get_write_buffer_size())
            stream.shutdown_write()
            await wait_until(lambda: len(received) == count, timeout=20)
            assert largest <= high + frame
            assert received == [numbered(i, size) for i in range(count)]
            stream.close()

    run(main(), timeout=30)


def test_send_many_waits_too_and_a_lost_connection_ends_the_wait() -> None:
    codec = LengthPrefixed("!I")

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, write_limit=1024)
        blob = b"z" * 65536
        sends = 0
        while True:  # the raw peer never reads: the kernel buffers fill, then send waits
            send = asyncio.ensure_future(stream.send_many([blob, blob]))
            await asyncio.sleep(0.01)
            sends += 1
            if not send.done():
                break
            assert sends < 2000, "send_many never waited"
        writer.transport.abort()  # the peer goes away while we wait
        with pytest.raises(ConnectionResetError):
            await send
        await stream.wait_closed()
        server.close()
        await server.wait_closed()

    run(main(), timeout=20)


# --------------------------------------------------------------------------
# reading: a flood pauses reading instead of growing the buffer
# --------------------------------------------------------------------------


def test_a_flood_from_the_peer_pauses_reading_and_memory_stays_bounded() -> None:
    codec = LengthPrefixed("!I")
    limit = 64 * 1024
    count = 100_000  # 7.2 MB of wire, sent at once

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, limit=limit)
        writer.write(b"".join(codec.encode(numbered(i)) for i in range(count)))
        await wait_until(lambda: stream.reading_paused)
        await asyncio.sleep(0.2)  # more bytes are waiting: none of them come in
        assert stream.reading_paused
        assert limit // 2 < stream.buffered <= limit + READ_CHUNK
        assert writer.transport.get_write_buffer_size() > 0  # the rest waits at the peer
        largest = stream.buffered
        for i in range(count):
            assert await stream.recv() == numbered(i)
            if i % 1000 == 0:
                largest = max(largest, stream.buffered)
        assert largest <= limit + READ_CHUNK
        writer.write_eof()
        with pytest.raises(ConnectionClosed):
            await stream.recv()
        writer.close()
        stream.close()
        server.close()
        await server.wait_closed()

    run(main(), timeout=30)


def test_reading_goes_on_when_the_bytes_past_the_limit_were_already_read() -> None:
    codec = FixedLength(100)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, limit=1000)
        receiving = asyncio.ensure_future(stream.recv())
        await asyncio.sleep(0)
        writer.write(b"a" * 600)  # 6 messages: under the limit
        assert await receiving == b"a" * 100
        for _ in range(5):  # read them all
            assert await stream.recv() == b"a" * 100
        writer.write(b"b" * 450)  # 1050 bytes fed: past the limit, but 450 unread
        await wait_until(lambda: stream.buffered == 450)
        assert not stream.reading_paused
        writer.write(b"b" * 50)
        assert [await stream.recv() for _ in range(5)] == [b"b" * 100] * 5
        await close_all_quietly(stream, writer, server)

    run(main())


def test_a_burst_past_the_limit_pauses_even_while_recv_waits() -> None:
    codec = FixedLength(100)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, limit=1000)
        receiving = asyncio.ensure_future(stream.recv())
        await asyncio.sleep(0)
        writer.write(b"a" * 3000)  # arrives in one read while recv() waits
        assert await receiving == b"a" * 100
        assert stream.reading_paused  # 2900 unread bytes: no more until they are read
        writer.write(b"b" * 100)
        await asyncio.sleep(0.05)
        assert stream.buffered == 2900
        assert [await stream.recv() for _ in range(29)] == [b"a" * 100] * 29
        assert await stream.recv() == b"b" * 100  # the consumer caught up: reading resumed
        await close_all_quietly(stream, writer, server)

    run(main())


def test_closing_a_stream_paused_for_reading_drops_the_rest() -> None:
    codec = LengthPrefixed("!I")

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, limit=4096)
        writer.write(codec.encode(b"f" * 1000) * 5000)
        await wait_until(lambda: stream.reading_paused)
        held = stream.buffered
        stream.close()
        await stream.wait_closed()
        assert stream.buffered == held  # nothing more was buffered while closing
        assert await stream.recv() == b"f" * 1000  # what was received can still be read
        await close_all_quietly(stream, writer, server)

    run(main())


def test_a_frame_larger_than_the_limit_still_arrives() -> None:
    codec = LengthPrefixed("!I")
    big = bytes(range(256)) * 8192  # 2 MiB, 32 times the limit

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, limit=64 * 1024)
        writer.write(codec.encode(big) + codec.encode(b"after"))
        await wait_until(lambda: stream.reading_paused)  # no recv() waiting: paused mid-frame
        assert await stream.recv() == big  # asking for the frame resumes reading
        assert await stream.recv() == b"after"
        await close_all_quietly(stream, writer, server)

    run(main(), timeout=20)


def test_a_waiting_recv_receives_a_frame_far_larger_than_the_limit() -> None:
    codec = Netstring()
    big = b"n" * (3 * 1024 * 1024)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec, limit=4096)
        receiving = asyncio.ensure_future(stream.recv())
        await asyncio.sleep(0)
        writer.write(codec.encode(big))
        assert await receiving == big
        await close_all_quietly(stream, writer, server)

    run(main(), timeout=20)


async def close_all_quietly(
    stream: FramedStream, writer: asyncio.StreamWriter, server: asyncio.Server
) -> None:
    stream.close()
    writer.close()
    server.close()
    await server.wait_closed()


# --------------------------------------------------------------------------
# cancellation
# --------------------------------------------------------------------------

CANCEL_CODECS = [
    LengthPrefixed("!I"),
    LengthPrefixed("varint"),
    Lines(),
    Netstring(),
    COBS(),
    SLIP(),
]


@pytest.mark.parametrize("codec", CANCEL_CODECS, ids=repr)
def test_recv_cancelled_by_a_timeout_mid_frame_loses_nothing(codec: framing.Codec) -> None:
    messages = [b"first message", b"second", b"x" * 130]
    wire = b"".join(codec.encode(m) for m in messages)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        received: list[bytes] = []
        for i in range(len(wire)):  # one byte at a time, a timed-out recv() after each
            writer.write(wire[i : i + 1])
            await writer.drain()
            with contextlib.suppress(asyncio.TimeoutError):
                received.append(await asyncio.wait_for(stream.recv(), 0.002))
        while len(received) < len(messages):  # the last one may need another try
            received.append(await asyncio.wait_for(stream.recv(), 5))
        assert received == messages
        await close_all_quietly(stream, writer, server)

    run(main(), timeout=60)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
def test_recv_cancelled_by_asyncio_timeout_then_the_next_recv_returns_the_message() -> None:
    codec = LengthPrefixed("!I")
    wire = codec.encode(b"split across a timeout")

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)
        writer.write(wire[:7])
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):  # type: ignore[attr-defined,unused-ignore]
                await stream.recv()
        assert stream.buffered == 7  # the half frame is kept
        writer.write(wire[7:])
        assert await stream.recv() == b"split across a timeout"
        await close_all_quietly(stream, writer, server)

    run(main())


def test_cancelling_recv_at_random_points_loses_and_duplicates_nothing() -> None:
    codec = Lines()
    count = 3000
    rng = random.Random(4)

    async def main() -> None:
        stream, _, writer, server = await framed_and_raw(codec)

        async def produce() -> None:
            for start in range(0, count, 100):
                batch = b"".join(codec.encode(b"%d" % i) for i in range(start, start + 100))
                cut = rng.randrange(len(batch))
                writer.write(batch[:cut])
                await asyncio.sleep(0)
                writer.write(batch[cut:])
                await writer.drain()
                await asyncio.sleep(0)

        producer = asyncio.ensure_future(produce())
        received: list[bytes] = []
        cancelled = 0
        while len(received) < count:
            receiving = asyncio.ensure_future(stream.recv())
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)
            if receiving.cancel():
                cancelled += 1
            with contextlib.suppress(asyncio.CancelledError):
                received.append(await receiving)
        await producer
        assert received == [b"%d" % i for i in range(count)]
        assert cancelled > 100  # the cancellations did hit waiting recv() calls
        await close_all_quietly(stream, writer, server)

    run(main(), timeout=60)
