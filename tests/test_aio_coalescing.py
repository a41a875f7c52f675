"""framing.aio writes the replies to a pipelining peer together, and loses or reorders none.

A frame sent after a ``recv()`` that found its message at hand waits in the
connection's send queue; the queue goes out in one write before the next
``recv()`` waits, at the end of the event loop's turn, at 16 KiB, and before
any other write, a half-close or a close. These tests count the transport's
writes and read the exact bytes the peer gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from framing import LengthPrefixed
from framing.aio import FramedStream
from test_aio import framed_and_raw, run

CODEC = LengthPrefixed("!I")


def numbered(i: int) -> bytes:
    return b"%08d" % i + b"." * 56


def counting_writes(stream: FramedStream) -> list[int]:
    """The size of each ``transport.write`` the stream makes from now on."""
    transport = stream.transport
    sizes: list[int] = []
    write: Callable[[Any], None] = transport.write

    def counted(data: Any) -> None:
        sizes.append(len(data))
        write(data)

    try:
        transport.write = counted  # type: ignore[method-assign]
    except AttributeError:  # uvloop's transports are extension types
        pytest.skip(f"cannot count the writes of {type(transport).__name__}")
    return sizes


Peers = tuple[FramedStream, asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def raw_peer() -> AsyncIterator[Peers]:
    """A FramedStream and the plain asyncio peer it talks to; both closed on exit."""
    stream, reader, writer, server = await framed_and_raw(CODEC)
    try:
        yield stream, reader, writer
    finally:
        stream.close()
        writer.close()
        server.close()


async def read_frames(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    wire = await reader.readexactly(count * 68)
    return [wire[i + 4 : i + 68] for i in range(0, len(wire), 68)]


def test_replies_to_pipelined_requests_go_out_in_two_writes() -> None:
    requests = [numbered(i) for i in range(100)]

    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writes = counting_writes(stream)
            writer.write(b"".join(map(CODEC.encode, requests)))
            for _ in requests:
                await stream.send(await stream.recv())
            assert await read_frames(reader, 100) == requests
            # The first reply followed a wait; the other 99 went out together.
            assert writes == [68, 99 * 68]

    run(main())


def test_a_single_request_is_answered_at_once_without_queueing() -> None:
    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writes = counting_writes(stream)
            for i in range(3):
                writer.write(CODEC.encode(numbered(i)))
                await stream.send(await stream.recv())
                assert writes[-1] == 68  # written by send itself, before any other turn
                assert await read_frames(reader, 1) == [numbered(i)]
            assert len(writes) == 3

    run(main())


def test_queued_replies_go_out_at_the_end_of_the_turn_without_another_recv() -> None:
    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writer.write(b"".join(CODEC.encode(numbered(i)) for i in range(2)))
            await stream.recv()
            await stream.recv()  # at hand: the replies after it are queued
            await stream.send(b"first")
            await stream.send(b"second")
            # No recv() waits and nothing more is sent: the loop's next turn writes them.
            wire = await asyncio.wait_for(reader.readexactly(9 + 10), 5)
            assert wire == CODEC.encode(b"first") + CODEC.encode(b"second")

    run(main())


def test_queued_replies_keep_their_place_before_large_frames_send_many_and_eof() -> None:
    big = b"B" * 100_000

    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writer.write(b"".join(CODEC.encode(numbered(i)) for i in range(4)))
            for _ in range(4):
                await stream.recv()
            await stream.send(b"a")  # queued
            await stream.send(big)  # large: written at once, after the queue
            await stream.send(b"b")  # queued again
            await stream.send_many([b"c", b"d"])  # after the queue
            await stream.send(b"e")  # queued
            stream.shutdown_write()  # the queue, then EOF
            expected = b"".join(map(CODEC.encode, [b"a", big, b"b", b"c", b"d", b"e"]))
            assert await asyncio.wait_for(reader.read(), 5) == expected

    run(main())


def test_close_sends_the_queued_replies_first() -> None:
    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writer.write(b"".join(CODEC.encode(numbered(i)) for i in range(2)))
            await stream.recv()
            await stream.recv()
            await stream.send(b"last words")
            stream.close()
            assert await asyncio.wait_for(reader.read(), 5) == CODEC.encode(b"last words")

    run(main())


def test_a_long_pipelined_batch_is_written_every_16_kib() -> None:
    count = 1000  # 68,000 bytes of replies

    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writes = counting_writes(stream)
            writer.write(b"".join(CODEC.encode(numbered(i)) for i in range(count)))
            received = 0
            while received < count:
                await stream.send(await stream.recv())
                received += 1
            assert await read_frames(reader, count) == [numbered(i) for i in range(count)]
            assert max(writes) <= 16 * 1024 + 68
            assert len(writes) < count // 100  # batched, not one write per reply

    run(main())


def test_replies_queued_when_the_peer_goes_away_are_dropped_quietly() -> None:
    async def main() -> None:
        async with raw_peer() as (stream, _, writer):
            writer.write(b"".join(CODEC.encode(numbered(i)) for i in range(2)))
            await stream.recv()
            await stream.recv()
            await stream.send(b"queued")
            stream.transport.abort()  # the connection is gone before the queue goes out
            await asyncio.sleep(0.01)  # the end-of-turn flush has run, and dropped it
            with pytest.raises(ConnectionResetError):
                await stream.send(b"more")

    run(main())


def test_the_transport_property_writes_the_queue_first() -> None:
    async def main() -> None:
        async with raw_peer() as (stream, reader, writer):
            writer.write(b"".join(CODEC.encode(numbered(i)) for i in range(2)))
            await stream.recv()
            await stream.recv()
            await stream.send(b"bye")  # queued
            stream.transport.close()  # a close by hand comes after it
            assert await asyncio.wait_for(reader.read(), 5) == CODEC.encode(b"bye")

    run(main())
