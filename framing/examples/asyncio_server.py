"""Many clients at once with asyncio: one task per connection, ``framing.aio`` streams.

::

    async def handle(stream):              # a task per client
        async for line in stream:          # whole messages, however TCP cut them
            await stream.send(line.upper())

The selectors loop of ``selectors_server``, written for you by asyncio:
code reads top to bottom like the thread-per-client server, but thousands
of waiting clients cost a task each, not a thread. ``framing.aio`` feeds
received bytes straight into the codec's decoder and pauses reading when a
client sends faster than the server handles.

    python -m framing.examples.asyncio_server            # the demo
    python -m framing.examples.asyncio_server --serve 5000
    python -m framing.examples.asyncio_server --connect 127.0.0.1 5000
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Sequence

import framing
import framing.aio

from ._clients import CLIENTS, CODEC, WORDS
from ._runner import Address, log, run_example


async def serve_async(listener: socket.socket, clients: int | None) -> None:
    """Serve on ``listener`` until ``clients`` connections have ended (None: for ever)."""
    ended = asyncio.Semaphore(0)  # released once per finished connection

    async def handle(stream: framing.aio.FramedStream) -> None:
        peer = "{}:{}".format(*stream.get_extra_info("peername")[:2])
        try:
            count = 0
            async for line in stream:  # ends when the client closes cleanly
                await stream.send(line.upper())
                count += 1
            log("server", f"[{peer}] client closed after {count} lines")
        except framing.IncompleteFrame as error:
            log("server", f"[{peer}] client left mid-line: {error.partial!r}")
        finally:
            ended.release()  # the stream itself is closed when handle returns

    server = await framing.aio.start_server(handle, None, None, CODEC, sock=listener)
    async with server:
        if clients is None:
            await server.serve_forever()
        for _ in range(clients or 0):
            await ended.acquire()


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Run the asyncio server (in its own event loop)."""
    asyncio.run(serve_async(listener, clients))


async def clients_async(address: Address) -> None:
    """Three concurrent clients, then one that leaves half-way through a line."""

    async def conversation(number: int) -> None:
        async with await framing.aio.open_connection(*address, CODEC) as stream:
            for word in WORDS:
                line = f"client {number} says {word}".encode()
                await stream.send(line)
                reply = await asyncio.wait_for(stream.recv(), timeout=10.0)
                assert reply == line.upper(), f"{reply!r} is not {line.upper()!r}"
        log(f"client {number}", f"{len(WORDS)} replies, all upper-cased")

    await asyncio.gather(*(conversation(n) for n in range(1, CLIENTS + 1)))
    # The failure path: half a line, then the write side closes.
    _, writer = await asyncio.open_connection(*address)
    writer.write(b"no newline at the en")
    writer.close()
    await writer.wait_closed()
    log(f"client {CLIENTS + 1}", "sent half a line, then closed")


def client(address: Address) -> None:
    """Run the asyncio clients (in their own event loop)."""
    asyncio.run(clients_async(address))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client, clients=CLIENTS + 1)


if __name__ == "__main__":
    sys.exit(main())
