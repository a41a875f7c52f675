"""Memory of a 64 MiB frame through framing.aio and framing.anyio, measured with tracemalloc.

Both are handed bytes by their transports, chunk by chunk. Once a frame is
known to be large, its chunks are copied into the ``bytes`` object the
message is returned in (``Connection.receive_data``), not held until one
join: the peak is about one frame, where holding the chunks would make it
two. The sending peer is a thread with a plain socket that allocates
nothing while tracing.
"""

from __future__ import annotations

import asyncio
import socket
import tracemalloc

import pytest

import framing.aio
from framing import LengthPrefixed, Netstring
from test_socket import TIMEOUT, Worker

MiB = 1024 * 1024
SIZE = 64 * MiB
BAR = 1.1  # the bar: a frame peaks at 1.1x its size at most

pytestmark = pytest.mark.timeout(60)
CODECS = [LengthPrefixed(max_length=SIZE), Netstring(max_length=SIZE)]


def _send_raw(sock: socket.socket, wire: tuple[bytes, ...]) -> None:
    for part in wire:
        sock.sendall(part)


def _wire(codec: framing.Codec, payload: bytes) -> tuple[bytes, ...]:
    """The frame as parts, built before tracing: the header, the payload, the trailer."""
    parts = codec.encode_parts(payload)
    return tuple(bytes(part) if not isinstance(part, bytes) else part for part in parts)


def _peak_ratio(before: int) -> float:
    _, peak = tracemalloc.get_traced_memory()
    return (peak - before) / SIZE


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_a_64_mib_frame_through_framing_aio_peaks_near_one_frame(
    codec: framing.Codec, traced: None
) -> None:
    payload = bytes(range(256)) * (SIZE // 256)
    wire = _wire(codec, payload)
    a, b = socket.socketpair()
    a.settimeout(TIMEOUT)

    async def main() -> tuple[bytes, float]:
        stream = await framing.aio.open_connection(None, None, codec, sock=b)
        async with stream:
            a.sendall(codec.encode(b"warm-up"))  # first-use allocations, before the count
            assert await asyncio.wait_for(stream.recv(), TIMEOUT) == b"warm-up"
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            worker = Worker(_send_raw, a, wire)
            message = await asyncio.wait_for(stream.recv(), TIMEOUT)
            ratio = _peak_ratio(before)
            worker.result()
            return message, ratio

    with a:
        message, ratio = asyncio.run(main())
    assert message == payload
    assert ratio <= BAR, f"framing.aio peaked at {ratio:.2f}x the frame"
    assert ratio >= 0.99  # the message itself is counted: the measurement is real


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_a_64_mib_frame_through_framing_anyio_peaks_near_one_frame(
    codec: framing.Codec, traced: None
) -> None:
    pytest.importorskip("anyio")
    import anyio
    import anyio.abc

    from framing import anyio as framed_anyio

    payload = bytes(range(256)) * (SIZE // 256)
    wire = _wire(codec, payload)
    a, b = socket.socketpair()
    a.settimeout(TIMEOUT)

    async def main() -> tuple[bytes, float]:
        byte_stream = await anyio.abc.SocketStream.from_socket(b)
        async with framed_anyio.FramedStream(byte_stream, codec) as stream:
            a.sendall(codec.encode(b"warm-up"))  # first-use allocations, before the count
            with anyio.fail_after(TIMEOUT):
                assert await stream.receive() == b"warm-up"
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            worker = Worker(_send_raw, a, wire)
            with anyio.fail_after(TIMEOUT):
                message = await stream.receive()
            ratio = _peak_ratio(before)
            worker.result()
            return message, ratio

    with a:
        message, ratio = anyio.run(main)
    assert message == payload
    assert ratio <= BAR, f"framing.anyio peaked at {ratio:.2f}x the frame"
    assert ratio >= 0.99


def test_a_64_mib_frame_through_a_selectors_framed_connection_peaks_near_one_frame(
    traced: None,
) -> None:
    import selectors

    from framing import FramedConnection

    codec = LengthPrefixed(max_length=SIZE)
    payload = bytes(range(256)) * (SIZE // 256)
    wire = _wire(codec, payload)
    a, b = socket.socketpair()
    a.settimeout(TIMEOUT)
    b.setblocking(False)
    with a, b, selectors.DefaultSelector() as selector:
        conn = FramedConnection(b, codec)
        selector.register(conn, selectors.EVENT_READ)
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        worker = Worker(_send_raw, a, wire)
        messages: list[bytes] = []
        for _ in range(100_000):  # bounded: each select waits for bytes, at most TIMEOUT
            if messages or not selector.select(TIMEOUT):
                break
            messages += conn.receive()
        ratio = _peak_ratio(before)
        worker.result()
    assert messages == [payload]
    assert ratio <= BAR, f"FramedConnection peaked at {ratio:.2f}x the frame"
    assert ratio >= 0.99


@pytest.mark.parametrize("head_kib", [200, 300, 470, 500, 511])
def test_a_frame_received_in_place_is_never_over_allocated(head_kib: int, traced: None) -> None:
    # The in-place bytes object doubles from what came first: whatever that
    # was, its last step must not leave the frame with an eighth more room.
    codec = LengthPrefixed(max_length=SIZE)
    wire = b"".join(_wire(codec, bytes(SIZE)))
    conn = framing.Connection(codec)
    head = head_kib * 1024
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    conn.receive_data(wire[:head])
    assert conn.next_message() is None  # the header is read: a large frame
    view = memoryview(wire)
    for start in range(head, len(wire), 256 * 1024):
        conn.receive_data(view[start : start + 256 * 1024])
    message = conn.next_message()
    ratio = _peak_ratio(before)
    assert message is not None
    assert len(message) == SIZE
    assert ratio <= 1.02, f"peaked at {ratio:.3f}x the frame"


@pytest.mark.parametrize("size", [270 * 1024, 280 * 1024])
def test_a_frame_just_above_the_first_capacity_is_not_over_allocated(
    size: int, traced: None
) -> None:
    codec = LengthPrefixed(max_length=SIZE)
    wire = b"".join(_wire(codec, bytes(size)))
    conn = framing.Connection(codec)
    head, rest = wire[:100], wire[100:]
    conn.receive_data(head)
    assert conn.next_message() is None  # a large frame has begun
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    conn.receive_data(rest)  # copied once, into the bytes object returned
    message = conn.next_message()
    _, peak = tracemalloc.get_traced_memory()
    assert message is not None
    assert len(message) == size
    assert (peak - before) / size <= 1.02
