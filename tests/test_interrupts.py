"""An exception out of ``recv``/``send`` in the middle of a frame, and timeouts in a large one.

Case 7 of the connection issue: a signal handler that raises (Ctrl-C's
``KeyboardInterrupt``) while ``FramedSocket`` waits in ``recv`` or ``send``
must leave the connection as a timeout does: the next call goes on where the
interrupted one stopped, nothing is lost and nothing is doubled. An
interrupted ``send`` has accepted its message: its unsent rest goes out first
on the next ``send`` or ``flush``.

Each interrupt is a SIGALRM from ``setitimer(ITIMER_REAL)``, armed by the
peer thread only once the main thread (the only one that runs Python signal
handlers) is seen asleep in a socket's system call (``/proc/self/task/<tid>/
syscall``: ``poll`` for a socket with a timeout, ``recv`` itself for a
blocking one; sends wait in ``poll`` either way, since framing never lets a
send sleep in the kernel) with nothing to wake it: the peer has stopped,
every byte it sent was read (or, sending, the buffer is full and the peer
does not read). So every interrupt lands in a blocked system call, never in
Python code nor in the instant between a system call returning and its
result being recorded, and the tests are deterministic. The peer threads
block SIGALRM, so it goes to the main thread. These tests use
pytest-timeout's thread method: its signal method uses SIGALRM and the real
interval timer too (saved and restored anyway).

Every case runs with the main thread's socket given a timeout and blocking
(as after ``framing.connect()`` without a timeout). Before sends became
``MSG_DONTWAIT`` with the wait in ``poll``, a blocking ``sendmsg`` woken by the
signal returned the count it had taken and the handler's exception lost it:
the bytes went out twice.

Case 9: socket timeouts during a 32 MiB frame must cost about one frame of
memory and little CPU, not a copy of the received part per timeout (before:
4x the frame and seconds of CPU for 63 timeouts).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import os
import platform
import random
import signal
import socket
import struct
import termios
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, TypeVar

import pytest

from framing import FramedSocket, LengthPrefixed, Lines, Netstring
from test_socket import Worker, socketpair, tcp_pair

MiB = 1024 * 1024
SOCKET_TIMEOUT = 5.0  # no call of a working test waits this long
DEADLINE = 15.0  # for everything one test does
MIN_INTERRUPTS = 10  # every test below fires dozens

T = TypeVar("T")


# The system calls a socket call sleeps in: poll, select, pselect6, ppoll (a
# socket with a timeout), sendto, recvfrom, sendmsg, recvmsg (a blocking one).
SOCKET_SYSCALLS = {
    "x86_64": {7, 23, 270, 271, 44, 45, 46, 47},
    "aarch64": {72, 73, 206, 207, 211, 212},
}.get(platform.machine(), set())


def _task_file(name: str) -> str:
    return f"/proc/self/task/{threading.main_thread().native_id}/{name}"


pytestmark = [
    pytest.mark.timeout(60, method="thread"),
    pytest.mark.skipif(
        not hasattr(signal, "setitimer")
        or not SOCKET_SYSCALLS
        or not os.path.exists(_task_file("syscall")),
        reason="needs setitimer and /proc/self/task/<tid>/syscall (Linux, x86_64 or aarch64)",
    ),
]


# --------------------------------------------------------------------------
# interrupts
# --------------------------------------------------------------------------


class Interrupted(BaseException):
    """What the SIGALRM handler raises: like ``KeyboardInterrupt``, not an ``Exception``."""


def _block_alarm() -> None:
    """In a peer thread: SIGALRM must go to the main thread, never here."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})


def _main_sleeps_in_socket_call() -> bool:
    """Whether the main thread sleeps in a socket's system call (not running, not a lock)."""
    try:
        with open(_task_file("syscall")) as file:
            number = file.read().split(maxsplit=1)[0]
    except (OSError, IndexError):  # pragma: no cover - the file is there (pytestmark)
        return False
    return number.isdigit() and int(number) in SOCKET_SYSCALLS  # else "running"


def _unread(sock: socket.socket) -> int:
    """Bytes written to ``sock`` that its peer has not read yet (TCP: not acknowledged)."""
    raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")  # SIOCOUTQ
    return int(struct.unpack("i", raw)[0])


class Interrupts:
    """A SIGALRM handler that raises ``Interrupted``, and the peer's way to fire it.

    ``fire()`` (from a peer thread) waits until the main thread is blocked in
    a socket call with nothing coming, arms ``setitimer``, and waits until the
    main thread has caught the exception (``caught()``), so that at most one
    interrupt is outstanding and it always lands in the blocked call.
    """

    def __init__(self) -> None:
        self.raised = 0  # handler runs
        self.count = 0  # exceptions the main thread caught
        self.skipped = 0  # fire() calls that found the main thread not blocked
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._active = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.raised += 1
        raise Interrupted(f"SIGALRM #{self.raised}")

    def __enter__(self) -> Interrupts:
        assert threading.current_thread() is threading.main_thread(), "signals need the main thread"
        self._old_handler = signal.signal(signal.SIGALRM, self._handler)
        self._old_timer = signal.setitimer(signal.ITIMER_REAL, 0)
        self._entered = time.monotonic()
        self._active = True
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:  # no peer arms the timer after this
            self._active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._old_handler)
        delay, interval = self._old_timer
        if delay:  # somebody else's timer (pytest-timeout's signal method): give it back
            left = delay - (time.monotonic() - self._entered)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)

    def caught(self) -> None:
        """The main thread caught ``Interrupted``."""
        self.count += 1

    def fire(self, *, quiet: socket.socket | None = None, wait: float = 2.0) -> bool:
        """Interrupt the main thread once it is blocked in a socket call (and
        ``quiet`` has nothing unread); False if it did not block within ``wait`` s."""
        end = time.monotonic() + wait
        while True:
            if (quiet is None or _unread(quiet) == 0) and _main_sleeps_in_socket_call():
                time.sleep(0.001)  # still asleep a moment later: nothing is waking it
                if _main_sleeps_in_socket_call():
                    break
            if time.monotonic() > end:
                self.skipped += 1
                return False
            time.sleep(0.0005)
        before = self.count
        with self._lock:
            if not self._active:
                return False
            signal.setitimer(signal.ITIMER_REAL, 0.0005)
        end = time.monotonic() + wait
        while self.count == before:
            if time.monotonic() > end:
                self.errors.append(
                    f"interrupt #{before + 1} was not raised out of the call "
                    f"(handler ran {self.raised} times, {before} caught)"
                )
                return False
            time.sleep(0.0005)
        return True


def until_done(call: Callable[[], T], interrupts: Interrupts, deadline: float) -> T:
    """``call()`` again after each interrupt, as a program that catches Ctrl-C would."""
    while True:
        assert time.monotonic() < deadline, f"not done in time ({interrupts.count} interrupts)"
        try:
            return call()
        except Interrupted:
            interrupts.caught()


def check_interrupts(interrupts: Interrupts) -> None:
    assert not interrupts.errors, interrupts.errors
    assert interrupts.raised == interrupts.count, (interrupts.raised, interrupts.count)
    assert interrupts.count >= MIN_INTERRUPTS, (
        f"only {interrupts.count} interrupts ({interrupts.skipped} times the main thread "
        "was not seen blocked): the test proves nothing"
    )


# --------------------------------------------------------------------------
# messages, wire and where the peer pauses
# --------------------------------------------------------------------------

CODECS = [LengthPrefixed(), Netstring(), Lines(max_length=8 * MiB)]
LARGE = {6: 2 * MiB, 17: 5 * MiB, 30: 3 * MiB}  # index -> size: received in place (not Lines)
NO_NEWLINE = bytes.maketrans(b"\n\r", b"NR")


def _messages(rng: random.Random, count: int, large: dict[int, int]) -> list[bytes]:
    """Small messages of assorted sizes with a few large ones; no CR or LF (for Lines)."""
    messages = []
    for i in range(count):
        size = large.get(i) or rng.choice([0, 1, 7, 100, 1000, 3000, 9000, 20000])
        body = rng.randbytes(size).translate(NO_NEWLINE)
        messages.append(b"#%d:" % i + body)
    return messages


def _cuts(rng: random.Random, frames: list[bytes], step: int = 384 * 1024) -> list[int]:
    """Offsets where the peer pauses: in headers, between frames, all through large
    frames, one byte before a large frame's end (a netstring's comma)."""
    cuts = set()
    start = 0
    for frame in frames:
        size = len(frame)
        if rng.random() < 0.5:
            cuts.add(start)
        if size > 1 and rng.random() < 0.5:
            cuts.add(start + rng.randrange(1, min(size, 10)))  # mid-header
        if size > 2 * step:
            cuts.update(start + k * step + rng.randrange(1000) for k in range(1, size // step))
            cuts.add(start + size - 1)
        start += size
    return sorted(c for c in cuts if 0 < c < start)


def _pieces(wire: bytes, cuts: list[int]) -> list[memoryview]:
    view = memoryview(wire)
    bounds = [0, *cuts, len(wire)]
    return [view[a:b] for a, b in itertools.pairwise(bounds)]


def _first_difference(got: bytes, expected: bytes, frames: list[bytes]) -> str:
    """Where ``got`` departs from ``expected``: the byte, and the frame it is in."""
    at, end = 0, min(len(got), len(expected))
    while at < end and got[at : at + 65536] == expected[at : at + 65536]:
        at += 65536  # whole blocks first: the bytes one by one only in the block that differs
    while at < end and got[at] == expected[at]:
        at += 1
    index, start = 0, 0
    while index < len(frames) - 1 and at >= start + len(frames[index]):
        start += len(frames[index])
        index += 1
    sample = got[at : at + 64]
    found = expected.find(sample) if len(sample) == 64 else -1
    if 0 <= found < at:
        what = f": they repeat bytes from {found} on (sent twice)"
    elif found > at:
        what = f": they are the bytes from {found} on ({found - at} bytes lost)"
    else:
        what = ""
    return (
        f"{len(got)} bytes received, {len(expected)} sent; first difference at byte {at}, "
        f"offset {at - start} of frame {index} of {len(frames)} ({len(frames[index])} bytes)" + what
    )


def _check_messages(got: list[bytes], messages: list[bytes]) -> None:
    assert len(got) == len(messages)
    for index, (message, expected) in enumerate(zip(got, messages, strict=True)):
        assert message == expected, (
            f"message {index}: {len(message)} bytes {message[:24]!r}..., "
            f"expected {len(expected)} bytes {expected[:24]!r}..."
        )


@contextlib.contextmanager
def _watchdog(*socks: socket.socket) -> Iterator[None]:
    """Shut ``socks`` down if the test is not done by then: wakes a blocking call."""
    done = threading.Event()

    def watch() -> None:
        _block_alarm()
        if not done.wait(DEADLINE + 5):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _connected(a: socket.socket, b: socket.socket) -> Iterator[tuple[socket.socket, socket.socket]]:
    with a, b, _watchdog(a, b):
        a.settimeout(SOCKET_TIMEOUT)
        b.settimeout(SOCKET_TIMEOUT)
        yield a, b


@pytest.fixture(params=["socketpair", "tcp"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[socket.socket, socket.socket]]:
    yield from _connected(*(socketpair() if request.param == "socketpair" else tcp_pair()))


@pytest.fixture
def sp() -> Iterator[tuple[socket.socket, socket.socket]]:
    yield from _connected(*socketpair())


@pytest.fixture(params=["timeout", "blocking"])
def wait(request: pytest.FixtureRequest) -> float | None:
    """The main thread's socket: with a timeout it waits in poll, blocking in the call itself."""
    return SOCKET_TIMEOUT if request.param == "timeout" else None


# --------------------------------------------------------------------------
# case 7: interrupted receives
# --------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_interrupted_recv_loses_and_doubles_nothing(
    codec: Any, pair: tuple[socket.socket, socket.socket], wait: float | None
) -> None:
    a, b = pair
    b.settimeout(wait)
    rng = random.Random(7)
    messages = _messages(rng, 40, LARGE)
    frames = [codec.encode(m) for m in messages]
    pieces = _pieces(b"".join(frames), _cuts(rng, frames))
    receiver = FramedSocket(b, codec)
    deadline = time.monotonic() + DEADLINE

    with Interrupts() as interrupts:

        def slow_sender() -> None:
            _block_alarm()
            for index, piece in enumerate(pieces):
                a.sendall(piece)
                if index < len(pieces) - 1:  # after the last piece nothing would wake it
                    interrupts.fire(quiet=a)
                    if index % 4 == 1:  # twice at the same point
                        interrupts.fire(quiet=a)

        worker = Worker(slow_sender)
        got = [until_done(receiver.recv, interrupts, deadline) for _ in messages]
        worker.result(SOCKET_TIMEOUT)

    _check_messages(got, messages)
    check_interrupts(interrupts)
    a.sendall(codec.encode(b"and after"))
    assert receiver.recv() == b"and after"


def test_interrupted_recv_exactly_loses_and_doubles_nothing(
    sp: tuple[socket.socket, socket.socket], wait: float | None
) -> None:
    a, b = sp
    b.settimeout(wait)
    rng = random.Random(9)
    codec = LengthPrefixed()
    block = rng.randbytes(6 * MiB)  # received in place
    medium = rng.randbytes(50_000)  # less than one read: through the buffer
    tail = [b"next frame", rng.randbytes(300_000)]
    parts = [b"PREFACE!", medium, block, *(codec.encode(m) for m in tail)]
    wire = b"".join(parts)
    cuts = {3, 8 + 1, 8 + 20_000, 8 + len(medium) + 5, len(wire) - 200_000}
    start = 8 + len(medium)
    cuts.update(start + k * 400_000 + rng.randrange(1000) for k in range(1, 15))
    cuts.add(start + len(block) - 1)
    pieces = _pieces(wire, sorted(cuts))
    receiver = FramedSocket(b, codec)
    deadline = time.monotonic() + DEADLINE

    with Interrupts() as interrupts:

        def slow_sender() -> None:
            _block_alarm()
            for index, piece in enumerate(pieces):
                a.sendall(piece)
                if index < len(pieces) - 1:
                    interrupts.fire(quiet=a)
                    interrupts.fire(quiet=a)

        worker = Worker(slow_sender)
        got = [
            until_done(functools.partial(receiver.recv_exactly, n), interrupts, deadline)
            for n in (8, len(medium), len(block))
        ]
        got += [until_done(receiver.recv, interrupts, deadline) for _ in tail]
        worker.result(SOCKET_TIMEOUT)

    assert got[0] == b"PREFACE!"
    assert got[1] == medium
    assert len(got[2]) == len(block)
    assert got[2] == block
    _check_messages(got[3:], tail)
    check_interrupts(interrupts)


# --------------------------------------------------------------------------
# case 7: interrupted sends
# --------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_interrupted_send_loses_and_doubles_nothing(
    codec: Any, sp: tuple[socket.socket, socket.socket], wait: float | None
) -> None:
    # On a socketpair: buffer space frees only when the peer reads, so a main
    # thread seen blocked while the peer pauses stays blocked until interrupted.
    # Blocking, it sleeps in send/sendmsg itself: a signal there makes the
    # call return how much the kernel took, and the handler's exception then
    # takes the place of that count; waiting in poll, nothing was taken yet.
    a, b = sp
    a.settimeout(wait)
    rng = random.Random(11)
    messages = _messages(rng, 200, {20: 3 * MiB, 90: 2 * MiB, 150: 4 * MiB, 199: 1 * MiB})
    frames = [codec.encode(m) for m in messages]
    expected = b"".join(frames)
    sender = FramedSocket(a, codec)
    deadline = time.monotonic() + DEADLINE

    with Interrupts() as interrupts:

        def slow_reader() -> bytes:
            _block_alarm()
            received = bytearray()
            chunk = memoryview(bytearray(MiB))
            while True:
                interrupts.fire(wait=0.3)  # the buffer fills, the sender blocks
                budget = rng.choice([8, 32, 100, 250]) * 1024
                while budget > 0:
                    n = b.recv_into(chunk[: min(budget, len(chunk))])
                    if not n:
                        return bytes(received)
                    start = len(received)
                    received += chunk[:n]
                    budget -= n
                    if received[start:] != expected[start : start + n]:
                        b.shutdown(socket.SHUT_RDWR)  # wrong bytes: no use reading on
                        return bytes(received)

        worker = Worker(slow_reader)
        index = 0
        flush_next = False
        hung_up: OSError | None = None
        while True:
            assert time.monotonic() < deadline, f"not done in time ({interrupts.count} interrupts)"
            try:
                if flush_next:
                    flush_next = False
                    sender.flush()
                elif index < len(messages):
                    message = messages[index]
                    index += 1  # an interrupted send has accepted its message: not again
                    sender.send(message)
                else:
                    sender.shutdown_write()  # flushes what is left, then EOF
                    break
            except Interrupted:
                interrupts.caught()
                flush_next = interrupts.count % 2 == 0  # half the time flush, else send on
            except (BrokenPipeError, ConnectionResetError) as error:
                hung_up = error  # the reader saw a wrong byte: it tells which below
                break
        received = worker.result(SOCKET_TIMEOUT)

    assert received == expected, (
        f"{_first_difference(received, expected, frames)}; {interrupts.count} interrupts"
    )
    assert hung_up is None, hung_up
    check_interrupts(interrupts)


# --------------------------------------------------------------------------
# case 9: timeouts during a 32 MiB frame
# --------------------------------------------------------------------------


def test_timeouts_during_a_32_mib_frame_cost_one_frame_and_little_cpu(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    size = 32 * MiB
    pauses = 64
    codec = LengthPrefixed(max_length=size)
    payload = bytes(range(256)) * (size // 256)
    header, body = codec.encode_parts(payload)  # the payload is not copied
    assert body is payload
    b.settimeout(0.02)
    receiver = FramedSocket(b, codec)
    timeouts = 0
    view = memoryview(payload)
    step = size // pauses

    def sender() -> None:
        a.sendall(header)
        for k in range(pauses):
            seen = timeouts
            a.sendall(view[k * step : (k + 1) * step if k < pauses - 1 else size])
            end = time.monotonic() + SOCKET_TIMEOUT
            while timeouts == seen and k < pauses - 1 and time.monotonic() < end:
                time.sleep(0.002)  # until the receiver timed out mid-frame

    deadline = time.monotonic() + DEADLINE
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        cpu = time.thread_time()
        worker = Worker(sender)
        while True:
            assert time.monotonic() < deadline, f"frame not received ({timeouts} timeouts)"
            try:
                message = receiver.recv()
                break
            except TimeoutError:
                timeouts += 1
        cpu = time.thread_time() - cpu
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    worker.result(SOCKET_TIMEOUT)

    assert message == payload
    assert timeouts >= 30, f"only {timeouts} timeouts mid-frame: the test proves nothing"
    ratio = (peak - before) / size
    numbers = f"{timeouts} timeouts: peak {(peak - before) / MiB:.0f} MiB, CPU {cpu:.2f} s"
    assert ratio >= 0.99, numbers  # the message itself is counted: the measurement is real
    assert ratio <= 1.5, f"receiving peaked at {ratio:.2f}x the frame; {numbers}"
    assert cpu < 0.25, f"receiving took {cpu:.2f} s of CPU; {numbers}"
