"""Memory of a 64 MiB frame through FramedSocket, measured with tracemalloc.

Receiving: the payload is received straight into the ``bytes`` object that
``recv()`` returns, so the peak is about one frame (the bar is 1.5x).
Sending: header and payload go out by ``sendmsg`` from the caller's buffer,
so sending allocates next to nothing.

The peer thread of each test allocates nothing while tracing: the sender
sends a payload built before tracing starts, the receiver reads into a
buffer allocated before.
"""

from __future__ import annotations

import socket
import tracemalloc

import pytest
from construct import Int32ub

from framing import FixedLength, FramedSocket, LengthPrefixed, Netstring
from test_socket import TIMEOUT, Worker

MiB = 1024 * 1024
SIZE = 64 * MiB

pytestmark = pytest.mark.timeout(30)


def _pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.settimeout(TIMEOUT)
    b.settimeout(TIMEOUT)
    return a, b


@pytest.mark.parametrize(
    "codec",
    [
        LengthPrefixed(max_length=SIZE),
        LengthPrefixed(Int32ub, max_length=SIZE),  # a construct header: the same
        Netstring(max_length=SIZE),
        FixedLength(SIZE),
    ],
    ids=repr,
)
def test_receiving_a_64_mib_frame_peaks_near_one_frame(codec: object, traced: None) -> None:
    payload = bytes(range(256)) * (SIZE // 256)
    a, b = _pair()
    with a, b:
        sender = FramedSocket(a, codec)  # type: ignore[arg-type]
        receiver = FramedSocket(b, codec)  # type: ignore[arg-type]
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        worker = Worker(sender.send, payload)
        message = receiver.recv()
        _, peak = tracemalloc.get_traced_memory()
        worker.result()
    assert message == payload
    ratio = (peak - before) / SIZE
    assert ratio <= 1.5, f"receiving peaked at {ratio:.2f}x the frame"
    assert ratio >= 0.99  # the message itself is counted: the measurement is real


def test_sending_a_64_mib_frame_does_not_copy_the_payload(traced: None) -> None:
    payload = bytearray(SIZE)
    sink = bytearray(1024 * 1024)
    a, b = _pair()

    def drain() -> int:
        total = 0
        view = memoryview(sink)
        while total < SIZE + 4:
            total += b.recv_into(view)
        return total

    with a, b:
        sender = FramedSocket(a, LengthPrefixed(max_length=SIZE))
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        worker = Worker(drain)
        sender.send(payload)
        _, peak = tracemalloc.get_traced_memory()
        assert worker.result() == SIZE + 4
    assert peak - before < MiB, f"sending allocated {peak - before} bytes"
