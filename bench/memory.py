#!/usr/bin/env python
"""Memory per connection and per large frame, through every adapter, measured with tracemalloc.

    python bench/memory.py [--connections N] [--frame-mib M]

Two tables, each with a reference row (asyncio's own streams) measured in
the same run:

- **idle**: Python memory per idle connection, over N connections on
  socketpairs, each waiting for a message (an idle server's state). The
  target is 8 KiB for ``FramedSocket``, ``FramedConnection`` and
  ``framing.aio``; ``framing.anyio`` is shown beside anyio's own stream.
- **large frame**: the peak of receiving one M MiB length-prefixed frame,
  as a multiple of the frame (the message itself is 1.00x). The target is
  1.1x. The sender is a thread on a plain socket that allocates nothing.

tracemalloc counts Python allocations, not the kernel's socket buffers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import selectors
import socket
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's framing

import framing
import framing.aio

IDLE_TARGET = 8 * 1024
PEAK_TARGET = 1.1
TIMEOUT = 30.0
_CODEC = framing.LengthPrefixed("!I", max_length=1 << 30)


@contextmanager
def _traced() -> Iterator[Callable[[], tuple[int, int]]]:
    """Yield a function giving (bytes allocated since entry, peak since entry)."""
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    try:
        yield lambda: (
            tracemalloc.get_traced_memory()[0] - start,
            tracemalloc.get_traced_memory()[1] - start,
        )
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------
# idle connections
# --------------------------------------------------------------------------


def idle_framed_socket(pairs: list[tuple[socket.socket, socket.socket]]) -> list[object]:
    kept = []
    for a, _ in pairs:
        framed = framing.FramedSocket(a, _CODEC)
        a.settimeout(0.0)
        with contextlib.suppress(BlockingIOError):
            framed.recv()  # one read that finds nothing, as an idle recv() does
        kept.append(framed)
    return kept


def idle_framed_connection(pairs: list[tuple[socket.socket, socket.socket]]) -> list[object]:
    kept = []
    for a, _ in pairs:
        a.setblocking(False)
        conn = framing.FramedConnection(a, _CODEC)
        list(conn.receive())
        kept.append(conn)
    return kept


async def _idle_aio_streams(pairs: list[tuple[socket.socket, socket.socket]]) -> list[object]:
    streams = [await framing.aio.open_connection(None, None, _CODEC, sock=a) for a, _ in pairs]
    waiting = [asyncio.ensure_future(stream.recv()) for stream in streams]
    await asyncio.sleep(0.05)
    return [*streams, *waiting]


async def _idle_asyncio_streams(pairs: list[tuple[socket.socket, socket.socket]]) -> list[object]:
    opened = [await asyncio.open_connection(sock=a) for a, _ in pairs]
    waiting = [asyncio.ensure_future(reader.readexactly(4)) for reader, _ in opened]
    await asyncio.sleep(0.05)
    return [*opened, *waiting]


async def _idle_anyio_streams(pairs: list[tuple[socket.socket, socket.socket]]) -> list[object]:
    import anyio.abc

    from framing import anyio as framed_anyio

    streams = [
        framed_anyio.FramedStream(await anyio.abc.SocketStream.from_socket(a), _CODEC)
        for a, _ in pairs
    ]
    waiting = [asyncio.ensure_future(stream.receive()) for stream in streams]
    await asyncio.sleep(0.05)
    return [*streams, *waiting]


async def _idle_anyio_sockets(pairs: list[tuple[socket.socket, socket.socket]]) -> list[object]:
    import anyio.abc

    streams = [await anyio.abc.SocketStream.from_socket(a) for a, _ in pairs]
    waiting = [asyncio.ensure_future(stream.receive()) for stream in streams]
    await asyncio.sleep(0.05)
    return [*streams, *waiting]


def idle_per_connection(make: Callable[..., object], count: int, *, is_async: bool) -> float:
    """Bytes of Python memory per idle connection that ``make(pairs)`` keeps."""
    pairs = [socket.socketpair() for _ in range(count)]
    try:
        if not is_async:
            with _traced() as traced:
                kept = make(pairs)
                used, _ = traced()
            del kept
            return used / count

        async def main() -> float:
            with _traced() as traced:
                kept = await make(pairs)
                used, _ = traced()
            for item in kept:
                if isinstance(item, asyncio.Future):
                    item.cancel()
            await asyncio.gather(
                *(item for item in kept if isinstance(item, asyncio.Future)),
                return_exceptions=True,
            )
            return used / count

        return asyncio.run(main())
    finally:
        for a, b in pairs:
            a.close()
            b.close()


# --------------------------------------------------------------------------
# one large frame
# --------------------------------------------------------------------------


def _sender(sock: socket.socket, wire: tuple[bytes, ...]) -> threading.Thread:
    thread = threading.Thread(target=lambda: [sock.sendall(part) for part in wire], daemon=True)
    thread.start()
    return thread


def _large_frame_peak(receive: Callable[..., tuple[bytes, int]], size: int) -> float:
    """Peak Python memory of ``receive`` getting one ``size``-byte frame, in frames.

    ``receive(sock, peer, header, body)`` takes a warm-up message (first-use
    allocations), starts the sender, and returns the frame and the peak
    read the moment it arrived (``_peak()``): tearing down an event loop
    may allocate more, which no receiver needs.
    """
    payload = bytes(range(256)) * (size // 256)
    header, body = (bytes(part) for part in _CODEC.encode_parts(payload))
    a, b = socket.socketpair()
    a.settimeout(TIMEOUT)
    with a, b:
        a.sendall(_CODEC.encode(b"warm-up"))
        tracemalloc.start()
        try:
            message, peak = receive(b, a, header, body)
        finally:
            tracemalloc.stop()
    assert message == payload, "the frame came back wrong"
    return peak / size


def _start_counting() -> None:
    """From now on count the peak (after the warm-up message)."""
    tracemalloc.reset_peak()
    _BASE[0] = tracemalloc.get_traced_memory()[0]


def _peak() -> int:
    """The peak since ``_start_counting()``, above what was allocated then."""
    return tracemalloc.get_traced_memory()[1] - _BASE[0]


_BASE = [0]


def peak_framed_socket(sock: socket.socket, peer: socket.socket, *wire: bytes) -> tuple[bytes, int]:
    sock.settimeout(TIMEOUT)
    framed = framing.FramedSocket(sock, _CODEC)
    assert framed.recv() == b"warm-up"
    _start_counting()
    thread = _sender(peer, wire)
    message = framed.recv()
    peak = _peak()
    thread.join(TIMEOUT)
    return message, peak


def peak_framed_connection(
    sock: socket.socket, peer: socket.socket, *wire: bytes
) -> tuple[bytes, int]:
    sock.setblocking(False)
    conn = framing.FramedConnection(sock, _CODEC)
    messages: list[bytes] = []
    thread: threading.Thread | None = None
    with selectors.DefaultSelector() as selector:
        selector.register(conn, selectors.EVENT_READ)
        while len(messages) < 2 and selector.select(TIMEOUT):
            messages += conn.receive()
            if messages and thread is None:
                _start_counting()
                thread = _sender(peer, wire)
    peak = _peak()
    if thread is not None:
        thread.join(TIMEOUT)
    return messages[-1], peak


def peak_aio(sock: socket.socket, peer: socket.socket, *wire: bytes) -> tuple[bytes, int]:
    async def main() -> tuple[bytes, int]:
        stream = await framing.aio.open_connection(None, None, _CODEC, sock=sock)
        async with stream:
            assert await stream.recv() == b"warm-up"
            _start_counting()
            thread = _sender(peer, wire)
            message = await asyncio.wait_for(stream.recv(), TIMEOUT)
            peak = _peak()
            thread.join(TIMEOUT)
            return message, peak

    return asyncio.run(main())


def peak_anyio(sock: socket.socket, peer: socket.socket, *wire: bytes) -> tuple[bytes, int]:
    import anyio
    import anyio.abc

    from framing import anyio as framed_anyio

    async def main() -> tuple[bytes, int]:
        byte_stream = await anyio.abc.SocketStream.from_socket(sock)
        async with framed_anyio.FramedStream(byte_stream, _CODEC) as stream:
            assert await stream.receive() == b"warm-up"
            _start_counting()
            thread = _sender(peer, wire)
            with anyio.fail_after(TIMEOUT):
                message = await stream.receive()
            peak = _peak()
            thread.join(TIMEOUT)
            return message, peak

    return anyio.run(main)


def peak_asyncio_streams(
    sock: socket.socket, peer: socket.socket, *wire: bytes
) -> tuple[bytes, int]:
    async def main() -> tuple[bytes, int]:
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 30)
        header = await reader.readexactly(4)
        await reader.readexactly(int.from_bytes(header, "big"))
        _start_counting()
        thread = _sender(peer, wire)
        header = await reader.readexactly(4)
        message = await reader.readexactly(int.from_bytes(header, "big"))
        peak = _peak()
        thread.join(TIMEOUT)
        writer.close()
        return message, peak

    return asyncio.run(main())


# --------------------------------------------------------------------------
# the tables
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Print both tables; 0 whatever the figures (missed targets are listed)."""
    p = argparse.ArgumentParser(prog="bench/memory.py", description=__doc__.splitlines()[0])
    p.add_argument("--connections", type=int, default=2000, help="idle connections (socketpairs)")
    p.add_argument("--frame-mib", type=int, default=64, help="the large frame, in MiB")
    args = p.parse_args(argv)
    missed: list[str] = []

    print(f"idle connection: Python memory each, over {args.connections:,} (target <= 8 KiB)")
    idle: list[tuple[str, Callable[..., object], bool, bool]] = [
        ("FramedSocket", idle_framed_socket, False, True),
        ("FramedConnection (selectors)", idle_framed_connection, False, True),
        ("framing.aio stream", _idle_aio_streams, True, True),
        ("reference: asyncio streams (reader, writer)", _idle_asyncio_streams, True, False),
        # Not the target: most of it is anyio's own socket stream, shown next.
        ("framing.anyio stream", _idle_anyio_streams, True, False),
        ("reference: anyio SocketStream alone", _idle_anyio_sockets, True, False),
    ]
    for name, make, is_async, judged in idle:
        cost = idle_per_connection(make, args.connections, is_async=is_async)
        verdict = ("met" if cost <= IDLE_TARGET else "MISSED") if judged else ""
        if verdict == "MISSED":
            missed.append(name)
        print(f"  {name:45} {cost / 1024:7.2f} KiB  {verdict}")

    size = args.frame_mib << 20
    print(f"one {args.frame_mib} MiB frame: peak while receiving it, in frames (target <= 1.1x)")
    peaks: list[tuple[str, Callable[..., tuple[bytes, int]], bool]] = [
        ("FramedSocket", peak_framed_socket, True),
        ("FramedConnection (selectors)", peak_framed_connection, True),
        ("framing.aio", peak_aio, True),
        ("framing.anyio", peak_anyio, True),
        ("reference: asyncio streams readexactly", peak_asyncio_streams, False),
    ]
    for name, receive, judged in peaks:
        ratio = _large_frame_peak(receive, size)
        verdict = ("met" if ratio <= PEAK_TARGET else "MISSED") if judged else ""
        if verdict == "MISSED":
            missed.append(name)
        print(f"  {name:45} {ratio:7.2f}x     {verdict}")
    print(f"targets: {'all met' if not missed else 'missed by ' + ', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
