"""What an idle connection costs: a few KiB of Python memory, not a 64 KiB read buffer.

Measured with tracemalloc over many connections on socketpairs (or
loopback for asyncio), each having waited for a message once.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

import framing
import framing.aio
from framing.core.connection import FIRST_READ_SIZE

CONNECTIONS = 200
BUDGET = 8 * 1024  # bytes of Python memory per idle connection
CODEC = framing.LengthPrefixed()


@contextmanager
def measured(count: int) -> Iterator[Callable[[], int]]:
    """Yield a function giving the bytes allocated since entry, per connection."""
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    try:
        yield lambda: (tracemalloc.get_traced_memory()[0] - start) // count
    finally:
        tracemalloc.stop()


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    made = [socket.socketpair() for _ in range(CONNECTIONS)]
    yield made
    for a, b in made:
        a.close()
        b.close()


def test_an_idle_framed_socket_costs_a_few_kib(
    pairs: list[tuple[socket.socket, socket.socket]],
) -> None:
    with measured(CONNECTIONS) as per_connection:
        framed = [framing.FramedSocket(a, CODEC) for a, _ in pairs]
        for fs in framed:
            fs.socket.settimeout(0.0)  # one read that finds nothing, as an idle recv() does
            with pytest.raises(BlockingIOError):
                fs.recv()
        cost = per_connection()
    assert cost <= BUDGET, f"{cost} bytes per idle FramedSocket"


def test_an_idle_framed_connection_costs_a_few_kib(
    pairs: list[tuple[socket.socket, socket.socket]],
) -> None:
    with measured(CONNECTIONS) as per_connection:
        connections = [framing.FramedConnection(a, CODEC) for a, _ in pairs]
        for conn in connections:
            assert list(conn.receive()) == []
        cost = per_connection()
    assert cost <= BUDGET, f"{cost} bytes per idle FramedConnection"


def test_the_read_buffer_grows_while_reads_fill_it(
    pairs: list[tuple[socket.socket, socket.socket]],
) -> None:
    a, b = pairs[0]
    a.settimeout(10)
    small = [b"%d" % i * 50 for i in range(2000)]  # 10,000 small frames, read in gulps
    sender = threading.Thread(target=lambda: b.sendall(b"".join(map(CODEC.encode, small))))
    sender.start()
    fs = framing.FramedSocket(a, CODEC, recv_size=1 << 20)
    assert [fs.recv() for _ in small] == small
    sender.join(10)
    assert len(fs.connection.recv_buffer()) > FIRST_READ_SIZE


def test_an_idle_asyncio_stream_costs_a_few_kib() -> None:
    async def main() -> int:
        async def idle(stream: framing.aio.FramedStream) -> None:
            await stream.recv()

        server = await framing.aio.start_server(idle, "127.0.0.1", 0, CODEC)
        port = server.sockets[0].getsockname()[1]
        with measured(CONNECTIONS) as per_connection:
            streams = [
                await framing.aio.open_connection("127.0.0.1", port, CODEC)
                for _ in range(CONNECTIONS)
            ]
            waiting = [asyncio.ensure_future(s.recv()) for s in streams]
            await asyncio.sleep(0.05)
            cost = per_connection() // 2  # both ends are in this process: halve
        for task in waiting:
            task.cancel()
        for stream in streams:
            stream.close()
        await asyncio.gather(*(s.wait_closed() for s in streams), return_exceptions=True)
        await asyncio.gather(*waiting, return_exceptions=True)
        server.close()
        await framing.aio.close_connections(server)
        await server.wait_closed()
        return cost

    cost = asyncio.run(asyncio.wait_for(main(), 30))
    assert cost <= BUDGET, f"{cost} bytes per idle framing.aio stream (client and server side)"
