"""FramedSocket under timeouts, signals and threads; the module-level helpers.

A timeout or a signal handler's exception may stop any call part-way through
a frame: the bytes already read stay buffered and the next call continues
the frame; the bytes not yet sent stay queued and go out first next time.
"""

from __future__ import annotations

import random
import signal
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from framing import (
    ConnectionClosed,
    FramedSocket,
    FrameTooLarge,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    recv_exactly,
    recv_until,
    send_all,
)
from test_socket import TIMEOUT, Worker, socketpair

MiB = 1024 * 1024

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def sp() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socketpair()
    with a, b:
        yield a, b


# --------------------------------------------------------------------------
# timeouts
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "message"),
    [
        (LengthPrefixed(), b"small frame"),
        (LengthPrefixed(), bytes(range(256)) * 4096),  # 1 MiB: received in place
        (Netstring(), b"n" * 300_000),
        (Lines(), b"a line that arrives in two parts"),
    ],
    ids=["small", "large", "netstring", "lines"],
)
def test_a_timeout_mid_frame_loses_nothing(
    codec: Any, message: bytes, sp: tuple[socket.socket, socket.socket]
) -> None:
    a, b = sp
    wire = codec.encode(message)
    cut = len(wire) - 7
    worker = Worker(a.sendall, wire[:cut])
    b.settimeout(0.2)
    fs = FramedSocket(b, codec)
    with pytest.raises(TimeoutError):
        fs.recv()
    worker.result()
    a.sendall(wire[cut:] + codec.encode(b"next"))
    b.settimeout(TIMEOUT)
    assert fs.recv() == message
    assert fs.recv() == b"next"


def test_a_timeout_mid_netstring_comma(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    wire = Netstring().encode(b"c" * 200_000)
    worker = Worker(a.sendall, wire[:-1])  # everything but the comma
    b.settimeout(0.2)
    fs = FramedSocket(b, Netstring())
    with pytest.raises(TimeoutError):
        fs.recv()
    worker.result()
    a.sendall(b",")
    b.settimeout(TIMEOUT)
    assert fs.recv() == b"c" * 200_000


def test_a_timeout_mid_exact_read_loses_nothing(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    block = bytes(range(256)) * 1024 * 2  # 512 KiB: received in place
    worker = Worker(a.sendall, block[:300_000])
    b.settimeout(0.2)
    fs = FramedSocket(b, Lines())
    with pytest.raises(TimeoutError):
        fs.recv_exactly(len(block))
    with pytest.raises(TimeoutError):
        fs.recv_exactly(300_001)  # one byte short: read through the buffer
    worker.result()
    worker = Worker(a.sendall, block[300_000:])
    b.settimeout(TIMEOUT)
    assert fs.recv_exactly(len(block)) == block
    worker.result()


def test_a_send_timeout_keeps_the_rest_queued(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.settimeout(0.2)
    sender = FramedSocket(a, LengthPrefixed())
    big = bytes(range(256)) * 16384  # 4 MiB: more than the socket buffers hold
    with pytest.raises(TimeoutError):
        sender.send(big)  # the peer is not reading
    receiver = FramedSocket(b, LengthPrefixed())
    worker = Worker(lambda: [receiver.recv() for _ in range(2)])
    a.settimeout(TIMEOUT)
    sender.send(b"second")  # the rest of the first frame goes out first
    assert worker.result() == [big, b"second"]


def test_flush_finishes_an_interrupted_until_close_send(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    from framing import UntilClose

    a, b = sp
    a.settimeout(0.2)
    sender = FramedSocket(a, UntilClose())
    big = b"u" * (4 * MiB)
    with pytest.raises(TimeoutError):
        sender.send(big)
    with pytest.raises(BrokenPipeError):
        sender.send(b"again")
    worker = Worker(FramedSocket(b, UntilClose()).recv)
    a.settimeout(TIMEOUT)
    sender.flush()  # sends the rest, then half-closes
    assert worker.result() == big


# --------------------------------------------------------------------------
# signals (PEP 475): the handler runs, the call goes on
# --------------------------------------------------------------------------

needs_signals = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill"
)


class Alarm:
    """A signal to the main thread after ``delay`` seconds; counts the handler's runs.

    SIGUSR1 from a timer thread, not SIGALRM from ``setitimer``: pytest-timeout
    uses SIGALRM and the real interval timer for its own deadline. Either way
    the signal interrupts the main thread's blocking system call (EINTR).
    """

    def __init__(self, delay: float, raise_error: bool = False) -> None:
        self.delay = delay
        self.raise_error = raise_error
        self.fired = 0

    def _handler(self, signum: int, frame: Any) -> None:
        self.fired += 1
        if self.raise_error:
            raise KeyboardInterrupt("from the signal handler")

    def __enter__(self) -> Alarm:
        self._old = signal.signal(signal.SIGUSR1, self._handler)
        main = threading.main_thread().ident
        assert main is not None
        self._timer = threading.Timer(self.delay, signal.pthread_kill, (main, signal.SIGUSR1))
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self._timer.join()
        signal.signal(signal.SIGUSR1, self._old)


@needs_signals
@pytest.mark.parametrize("size", [100, 2 * MiB], ids=["small", "large"])
def test_a_signal_during_a_blocking_recv(size: int) -> None:
    a, b = socket.socketpair()  # blocking: no timeout, so the recv really blocks
    with a, b:
        message = b"s" * size
        wire = LengthPrefixed().encode(message)

        cut = min(50_000, size // 2)  # the receiver blocks mid-frame

        def late_sender() -> None:
            a.sendall(wire[:cut])
            time.sleep(0.3)
            a.sendall(wire[cut:])

        worker = Worker(late_sender)
        with Alarm(0.1) as alarm:
            assert FramedSocket(b, LengthPrefixed()).recv() == message
        worker.result()
        assert alarm.fired == 1


@needs_signals
def test_a_signal_during_a_blocking_send() -> None:
    a, b = socket.socketpair()
    with a, b:
        message = bytes(range(256)) * 32768  # 8 MiB: blocks until the peer reads

        def late_reader() -> bytes:
            time.sleep(0.3)
            return FramedSocket(b, LengthPrefixed()).recv()

        worker = Worker(late_reader)
        with Alarm(0.1) as alarm:
            FramedSocket(a, LengthPrefixed()).send(message)
        assert worker.result() == message
        assert alarm.fired == 1


@needs_signals
def test_a_handler_that_raises_interrupts_recv_and_loses_nothing() -> None:
    a, b = socket.socketpair()
    with a, b:
        message = b"r" * (2 * MiB)
        wire = LengthPrefixed().encode(message)
        fs = FramedSocket(b, LengthPrefixed())
        worker = Worker(a.sendall, wire[:600_000])
        with Alarm(0.2, raise_error=True), pytest.raises(KeyboardInterrupt):
            fs.recv()
        worker.result()
        worker = Worker(a.sendall, wire[600_000:])
        b.settimeout(TIMEOUT)
        assert fs.recv() == message
        worker.result()


# --------------------------------------------------------------------------
# threads: one receiver and many senders on one FramedSocket
# --------------------------------------------------------------------------


def _message(thread: int, seq: int, rng: random.Random) -> bytes:
    body = rng.randbytes(rng.choice([0, 1, 10, 100, 1000, 5000, 20000]) + rng.randrange(50))
    head = struct.pack("!HII", thread, seq, zlib.crc32(body))
    return head + body


def test_four_threads_times_2000_frames_arrive_whole_and_in_order(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    threads, per_thread = 4, 2000
    codec = LengthPrefixed()
    shared = FramedSocket(a, codec)  # 4 senders and 1 receiver at once
    echo = FramedSocket(b, codec)

    def echo_all() -> None:
        for message in echo:
            echo.send(message)
        echo.shutdown_write()

    def sender(thread: int) -> None:
        rng = random.Random(thread)
        seq = 0
        while seq < per_thread:
            if seq % 10 == 3:  # some frames go out as one send_many batch
                batch = [_message(thread, seq + i, rng) for i in range(3)]
                shared.send_many(batch)
                seq += 3
            else:
                shared.send(_message(thread, seq, rng))
                seq += 1

    def receiver() -> dict[int, int]:
        next_seq = dict.fromkeys(range(threads), 0)
        for message in shared:
            thread, seq, crc = struct.unpack_from("!HII", message)
            assert zlib.crc32(message[10:]) == crc, "a frame was corrupted or interleaved"
            assert seq == next_seq[thread], "frames of one thread out of order"
            next_seq[thread] = seq + 1
        return next_seq

    echo_worker = Worker(echo_all)
    receiving = Worker(receiver)
    senders = [Worker(sender, t) for t in range(threads)]
    for worker in senders:
        worker.result(30)
    shared.shutdown_write()
    echo_worker.result(30)
    assert receiving.result(30) == dict.fromkeys(range(threads), per_thread)


# --------------------------------------------------------------------------
# module-level helpers
# --------------------------------------------------------------------------


def test_send_all_on_a_non_blocking_socket_sends_everything(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    a.setblocking(False)
    data = bytearray(bytes(range(256)) * 8192)  # 2 MiB: fills the buffer many times

    def slow_reader() -> bytes:
        time.sleep(0.1)
        return recv_exactly(b, len(data))

    worker = Worker(slow_reader)
    send_all(a, data)
    assert worker.result() == data


def test_send_all_timeout_tells_how_much_was_sent(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.settimeout(0.2)
    data = b"t" * (8 * MiB)
    with pytest.raises(TimeoutError) as caught:
        send_all(a, data)
    sent = caught.value.characters_written
    assert 0 < sent < len(data)
    worker = Worker(recv_exactly, b, sent)
    assert worker.result() == data[:sent]


def test_recv_exactly_helper(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.sendall(b"abcdef")
    assert recv_exactly(b, 4) == b"abcd"
    assert recv_exactly(b, 0) == b""
    a.close()
    with pytest.raises(IncompleteFrame) as caught:
        recv_exactly(b, 5)
    assert caught.value.partial == b"ef"
    with pytest.raises(ConnectionClosed):
        recv_exactly(b, 1)
    with pytest.raises(ValueError, match="-2"):
        recv_exactly(b, -2)


def test_recv_until_helper_never_reads_past_the_delimiter(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    a.sendall(b"HELLO\r")
    worker = Worker(lambda: (time.sleep(0.1), a.sendall(b"\nrest of the stream")))
    assert recv_until(b, b"\r\n") == b"HELLO"  # the delimiter split across two sends
    worker.result()
    assert recv_exactly(b, 18) == b"rest of the stream"
    a.sendall(b"x" * 100)
    with pytest.raises(FrameTooLarge) as caught:
        recv_until(b, b"\n", max_length=10)
    assert caught.value.max_length == 10
    a.sendall(b"line\n" + b"tail")
    a.close()
    assert recv_until(b, b"\n", max_length=200) == b"x" * 89 + b"line"
    with pytest.raises(IncompleteFrame) as incomplete:
        recv_until(b, b"\n")
    assert incomplete.value.partial == b"tail"
    with pytest.raises(ConnectionClosed):
        recv_until(b, b"\n")
    with pytest.raises(ValueError, match="empty"):
        recv_until(b, b"")


def test_recv_until_helper_reads_a_long_line_in_several_peeks(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    line = bytes(range(1, 256)) * 1000  # 255 kB, no zero byte in it
    worker = Worker(a.sendall, line + b"\x00")
    assert recv_until(b, b"\x00", max_length=len(line)) == line
    worker.result()


def test_a_receiver_blocked_in_recv_is_woken_by_shutdown(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, _ = sp
    fs = FramedSocket(a, Lines())
    worker = Worker(fs.recv)
    time.sleep(0.05)
    a.shutdown(socket.SHUT_RDWR)
    with pytest.raises(ConnectionClosed):
        worker.result()
    assert threading.active_count() >= 1
