"""Every documented server survives bad clients; 500 concurrent clients leave no fd behind.

Server survival: each server the README and ``framing/examples`` document is
started on a free loopback port and given, at the same time, good clients
(each checks the reply to every message it sends) and bad ones: a client
that closes mid-frame, one whose header (or line) is far over
``max_length``, one that sends garbage (only to the ``Lines`` servers: the
garbage of a delimited codec), and one that resets its connection
(``SO_LINGER`` 0). Good clients connected before the bad ones stay
connected through them; more good clients come afterwards: the server must
serve them all. Where the server logs on framing's loggers, a bad client
costs at most one line and no traceback.

500 concurrent clients: against ``framing.aio.start_server`` and against
the README's selectors loop, 500 connections are opened first, then each
exchanges a few messages; afterwards the process has no more file
descriptors open than before.

Everything is bounded: socket timeouts, joins with timeouts, and loops
with deadlines, so a broken server fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import resource
import selectors
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

import framing
import framing.aio
from framing.aio import FramedStream
from framing.examples import (
    _clients,
    asyncio_server,
    process_per_client,
    selectors_server,
    thread_per_client,
)

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 10.0  # seconds: any one socket operation, join or wait
LOCALHOST = "127.0.0.1"
README_CODEC = framing.LengthPrefixed("!I")  # the codec every README server uses
EXAMPLE_CODEC = _clients.CODEC  # Lines(max_length=1024): the many-clients examples' codec

Address = tuple[str, int]


# --------------------------------------------------------------------------
# the README's selectors loop
# --------------------------------------------------------------------------


def readme_selectors_loop(
    listener: socket.socket,
    codec: framing.Codec,
    stop: threading.Event,
    abort: threading.Event,
) -> None:
    """README.md's selectors loop, copied faithfully, with three changes to bound it.

    The README creates ``listener`` itself (port 5000); here it is passed in
    (port 0). ``while True`` ends once ``stop`` is set and no connection is
    left (only the listener stays registered), or at once on ``abort``;
    ``sel.select()`` has a timeout, so that both are seen. A deadline fails a
    loop that never ends. The loop body is the README's, ``print`` included.
    """
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    deadline = time.monotonic() + 3 * TIMEOUT
    try:
        while not abort.is_set() and not (stop.is_set() and len(sel.get_map()) == 1):
            # README: while True:
            assert time.monotonic() < deadline, f"the loop still has {len(sel.get_map())} sockets"
            for key, mask in sel.select(timeout=0.05):  # README: sel.select()
                if key.fileobj is listener:
                    conn = framing.FramedConnection(listener.accept()[0], codec)
                    sel.register(conn, conn.events)  # it has fileno()
                    continue
                conn = key.fileobj  # type: ignore[assignment]
                try:
                    if mask & selectors.EVENT_READ:
                        for message in conn.receive():
                            conn.send(message)
                    conn.flush()
                except (framing.FramingError, OSError) as error:  # EOF, a bad frame, a reset
                    if not isinstance(error, framing.ConnectionClosed):
                        print(f"closing {conn}: {type(error).__name__}: {error}")
                    sel.unregister(conn)  # only this connection ends
                    conn.close()
                    continue
                sel.modify(conn, conn.events)
    finally:  # not in the README: a failed loop must not leak its connections
        for key in list(sel.get_map().values()):
            if key.fileobj is not listener:
                key.fileobj.close()  # type: ignore[union-attr]
        sel.close()


# --------------------------------------------------------------------------
# running a server in the background, bounded
# --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def nothing_left_to_the_garbage_collector(recwarn: pytest.WarningsRecorder) -> Iterator[None]:
    """No socket, transport or loop is closed by its ``__del__`` (a ResourceWarning).

    On CPython a dropped socket is closed at once by reference counting, so
    counting file descriptors alone would not see a server that forgets to
    close one; its ResourceWarning does show it (warnings from any thread).
    """
    yield
    unclosed = [str(w.message) for w in recwarn if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


class ServerThread(threading.Thread):
    """Runs ``function(*args)``; ``finish()`` joins it and re-raises its error."""

    def __init__(self, function: Callable[..., object], *args: Any) -> None:
        super().__init__(name=f"server-{getattr(function, '__module__', '')}", daemon=True)
        self.function, self.args = function, args
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.function(*self.args)
        except BaseException as error:  # re-raised by finish()
            self.error = error

    def finish(self, timeout: float = 3 * TIMEOUT) -> None:
        self.join(timeout)
        assert not self.is_alive(), f"{self.name} did not stop within {timeout} s"
        if self.error is not None:
            raise self.error

    def abandon(self) -> None:
        """On a failed test: give the server a moment, never mask the test's own error."""
        self.join(1.0)


@dataclass
class Target:
    """A running server: where it is, its codec, and the reply each message gets."""

    address: Address
    codec: framing.Codec
    reply: Callable[[bytes], bytes]
    delimited: bool  # a delimited codec: garbage is a bad client of its own
    framing_loggers: bool  # the server logs a bad client on "framing.*" loggers
    prints_closing: bool = False  # the README loop prints "closing ..." per bad client


def identity(message: bytes) -> bytes:
    return message


def upper(message: bytes) -> bytes:
    return message.upper()


# Each server: a context manager that takes how many connections the test
# will make (the examples' serve() returns after that many), yields a
# Target, and on exit waits until the server has handled every connection,
# then stops it.
ServerFactory = Callable[[int], contextlib.AbstractContextManager[Target]]


@contextlib.contextmanager
def readme_loop_server(connections: int, *, backlog: int | None = None) -> Iterator[Target]:
    stop, abort = threading.Event(), threading.Event()
    with socket.create_server((LOCALHOST, 0), backlog=backlog) as listener:
        thread = ServerThread(readme_selectors_loop, listener, README_CODEC, stop, abort)
        thread.start()
        try:
            yield Target(
                listener.getsockname()[:2], README_CODEC, identity,
                delimited=False, framing_loggers=False, prints_closing=True,
            )
        except BaseException:
            abort.set()
            thread.abandon()
            raise
        stop.set()  # the loop ends once every connection is gone
        thread.finish()


def example_server(
    module: Any, *, framing_loggers: bool = False
) -> ServerFactory:
    """An example's ``serve(listener, clients)``, which returns after ``clients`` connections."""

    @contextlib.contextmanager
    def start(connections: int) -> Iterator[Target]:
        with socket.create_server((LOCALHOST, 0)) as listener:
            listener.settimeout(TIMEOUT)  # as the demo does: accept() cannot hang
            thread = ServerThread(module.serve, listener, connections)
            thread.start()
            try:
                yield Target(
                    listener.getsockname()[:2], EXAMPLE_CODEC, upper,
                    delimited=True, framing_loggers=framing_loggers,
                )
            except BaseException:
                thread.abandon()
                raise
            thread.finish()  # serve() returned: it has seen every connection end

    return start


class Echo(framing.FramedRequestHandler):
    """The README's handler, with a timeout so that no handler thread can hang."""

    codec = README_CODEC
    timeout = TIMEOUT

    def handle_message(self, message: bytes) -> bytes:
        return message


@contextlib.contextmanager
def request_handler_server(connections: int) -> Iterator[Target]:
    # block_on_close (the default): server_close() joins every handler thread
    # (each bounded by Echo.timeout), so every connection has been handled,
    # and logged, when it returns.
    server = socketserver.ThreadingTCPServer((LOCALHOST, 0), Echo)
    thread = ServerThread(server.serve_forever, 0.05)
    thread.start()
    try:
        yield Target(
            server.server_address[:2], README_CODEC, identity,  # type: ignore[arg-type]
            delimited=False, framing_loggers=True,
        )
    finally:
        server.shutdown()
        thread.finish()
        server.server_close()


class AioEchoServer:
    """``framing.aio.start_server`` with an echo handler, its event loop in a thread."""

    def __init__(self, codec: framing.Codec, **kwargs: Any) -> None:
        self.codec, self.kwargs = codec, kwargs
        self.ended = 0  # handlers that have returned (or raised)
        self.started = threading.Event()
        self.address: Address = ("", 0)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: asyncio.Event | None = None
        self.thread = ServerThread(asyncio.run, self.main())

    async def echo(self, stream: FramedStream) -> None:
        try:
            async for message in stream:  # the README's echo
                await stream.send(message)
        finally:
            self.ended += 1

    async def main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        server = await framing.aio.start_server(self.echo, LOCALHOST, 0, self.codec, **self.kwargs)
        async with server:
            self.address = server.sockets[0].getsockname()[:2]
            self.started.set()
            await self.stop.wait()

    def __enter__(self) -> AioEchoServer:
        self.thread.start()
        assert self.started.wait(TIMEOUT), "the asyncio server did not start"
        return self

    def wait_ended(self, connections: int) -> None:
        """Wait until ``connections`` handlers have ended (and logged what they log)."""
        deadline = time.monotonic() + TIMEOUT
        while self.ended < connections:
            assert time.monotonic() < deadline, f"{self.ended} of {connections} handlers ended"
            time.sleep(0.01)
        assert self.loop is not None
        # The handler's error is logged in the step that ended it: one more
        # turn of the loop and that step is over.
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self.loop).result(TIMEOUT)

    def __exit__(self, *exc_info: object) -> None:
        if self.loop is not None and self.stop is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.finish()


@contextlib.contextmanager
def aio_server(connections: int) -> Iterator[Target]:
    with AioEchoServer(README_CODEC) as server:
        yield Target(server.address, README_CODEC, identity, delimited=False, framing_loggers=True)
        server.wait_ended(connections)  # not after a failure: the test's error comes first


SERVERS: dict[str, ServerFactory] = {
    "readme-selectors-loop": readme_loop_server,
    "example-selectors_server": example_server(selectors_server),
    "example-thread_per_client": example_server(thread_per_client),
    "example-process_per_client": example_server(process_per_client),
    "example-asyncio_server": example_server(asyncio_server, framing_loggers=True),
    "FramedRequestHandler-ThreadingTCPServer": request_handler_server,
    "aio-start_server": aio_server,
}


# --------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------

MESSAGES = 5  # per good client
EARLY = 3  # good clients connected before the bad ones, and served through them
LATE = 3  # good clients that connect after the bad ones have gone
BAD_ROUNDS = 2  # each kind of bad client, this many times


def good_message(number: int, index: int, codec: framing.Codec) -> bytes:
    text = b"client %d message %d " % (number, index) + b"abc" * index
    if isinstance(codec, framing.Lines):
        return text
    return text + bytes(range(index * 7 % 256))  # binary, "\n" and 0 bytes included


def good_client(
    target: Target, number: int, connected: threading.Barrier | None, go_on: threading.Event | None
) -> list[bytes]:
    """Send MESSAGES messages one by one; return the replies (checked by the caller).

    ``connected``/``go_on``: after the first exchange, report being connected
    and wait until the bad clients are done, so this connection is open
    throughout.
    """
    replies = []
    with framing.connect(target.address, target.codec, timeout=TIMEOUT) as fs:
        for index in range(MESSAGES):
            fs.send(good_message(number, index, target.codec))
            replies.append(fs.recv())
            if index == 0 and connected is not None and go_on is not None:
                connected.wait()
                assert go_on.wait(TIMEOUT), "the bad clients did not finish"
    return replies


def raw_connection(target: Target) -> socket.socket:
    return socket.create_connection(target.address, timeout=TIMEOUT)


def wait_for_close(sock: socket.socket) -> None:
    """Read until the server closes (EOF or a reset): it must drop a bad client."""
    with contextlib.suppress(ConnectionResetError):
        while sock.recv(65536):
            pass


def bad_mid_frame(target: Target) -> None:
    """A frame header announcing 16 bytes, 3 of them, then close (for Lines: half a line)."""
    with raw_connection(target) as sock:
        sock.sendall(b"\x00\x00\x00\x10abc")


def bad_oversize(target: Target) -> None:
    """A header far over max_length (for Lines: a line that never ends); the server drops it."""
    with raw_connection(target) as sock:
        if isinstance(target.codec, framing.Lines):
            junk = b"x" * (target.codec.max_length * 16)
        else:
            junk = struct.pack("!I", 0xFFFF_FFF0) + b"x" * 64  # ~4 GiB announced
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # dropped early
            sock.sendall(junk)
        wait_for_close(sock)


def bad_garbage(target: Target) -> None:
    """Random bytes (lines, some too long) and no reading of the replies; then close."""
    data = random.Random(1).randbytes(16384)  # seeded: the same garbage every run
    with raw_connection(target) as sock, contextlib.suppress(BrokenPipeError, ConnectionError):
        sock.sendall(data)


def bad_reset(target: Target) -> None:
    """A whole message and half of the next, then a reset (SO_LINGER 0, close)."""
    with raw_connection(target) as sock:
        whole = target.codec.encode(b"about to reset")
        sock.sendall(bytes(whole) + b"\x00\x00\x00\x10ab")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def bad_clients(target: Target) -> list[Callable[[Target], None]]:
    kinds: list[Callable[[Target], None]] = [bad_mid_frame, bad_oversize, bad_reset]
    if target.delimited:
        kinds.insert(2, bad_garbage)
    return kinds * BAD_ROUNDS


def bad_client_count(delimited: bool) -> int:
    return (4 if delimited else 3) * BAD_ROUNDS


# --------------------------------------------------------------------------
# 1. every documented server survives bad clients
# --------------------------------------------------------------------------



def traceback_errors(text: str) -> list[str]:
    """The exception types ending the tracebacks in ``text``, one per traceback.

    Processes write their tracebacks to one stderr at the same time, so the
    lines of several interleave (each line whole): the exception lines are
    the unindented ``Name: message`` lines, and there must be as many as
    tracebacks.
    """
    lines = text.splitlines()
    errors = [m[1] for m in map(EXCEPTION_LINE.match, lines) if m]
    tracebacks = sum(line.startswith("Traceback (most recent call last):") for line in lines)
    assert len(errors) == tracebacks, text
    return errors


EXCEPTION_LINE = re.compile(r"(?:\w+\.)*(\w+)(?:: .*)?$")


@pytest.mark.parametrize("name", list(SERVERS))
def test_server_survives_bad_clients_and_serves_good_ones(
    name: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="framing")
    uncaught: list[str] = []  # errors that ended a server thread (thread_per_client)

    def excepthook(info: threading.ExceptHookArgs) -> None:
        uncaught.append(info.exc_type.__name__)

    monkeypatch.setattr(threading, "excepthook", excepthook)
    delimited = name.startswith("example-")
    bad_count = bad_client_count(delimited)
    connections = EARLY + bad_count + LATE
    results: dict[int, Future[list[bytes]]] = {}
    with (
        SERVERS[name](connections) as target,
        ThreadPoolExecutor(max_workers=connections) as pool,
    ):
        assert target.delimited == delimited
        connected = threading.Barrier(EARLY + 1, timeout=TIMEOUT)
        bad_done = threading.Event()
        try:
            for number in range(EARLY):
                results[number] = pool.submit(good_client, target, number, connected, bad_done)
            try:
                connected.wait()  # every early client is connected and has had a reply
            except threading.BrokenBarrierError:
                for future in results.values():
                    future.result(TIMEOUT)  # the client's own error, if it had one
                raise

            # The bad clients, all at once, while the early clients stay connected.
            bad = [pool.submit(kind, target) for kind in bad_clients(target)]
            for done in bad:
                done.result(TIMEOUT)
        finally:
            bad_done.set()  # the early clients go on, interleaved with the late ones

        for number in range(EARLY, EARLY + LATE):
            results[number] = pool.submit(good_client, target, number, None, None)
        for number, future in results.items():
            sent = [good_message(number, i, target.codec) for i in range(MESSAGES)]
            assert future.result(TIMEOUT) == list(map(target.reply, sent)), f"client {number}"
    # Every connection has been handled and the server has stopped.

    out, err = capfd.readouterr()
    crashed = uncaught + traceback_errors(err)
    assert crashed == [], out + err
    assert "Traceback" not in out + err, out + err

    reported: list[str] = []  # what the server said about bad clients
    if target.framing_loggers:
        records = [r for r in caplog.records if r.name.startswith("framing")]
        for record in records:  # one line each, no traceback
            assert record.exc_info is None, record.getMessage()
            assert record.exc_text is None, record.getMessage()
            assert "\n" not in record.getMessage(), record.getMessage()
        reported += [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    if target.prints_closing:  # the README loop prints nothing else
        reported += out.splitlines()
        assert all(line.startswith("closing ") for line in reported), out
    assert len(reported) <= bad_count, reported
    peer_names = ("IncompleteFrame", "FrameTooLarge", "ConnectionResetError", "BrokenPipeError")
    assert all(any(n in line for n in peer_names) for line in reported), reported
    if not target.delimited:  # a frame cut short and a huge header are always reported
        assert sum("IncompleteFrame" in line for line in reported) >= BAD_ROUNDS, reported
        assert sum("FrameTooLarge" in line for line in reported) >= BAD_ROUNDS, reported
    if target.delimited:  # the examples: at most one line as each connection ends
        ends = [
            line for line in out.splitlines()
            if "connected from" not in line and "exited with status" not in line
        ]
        assert len(ends) <= connections, out


# --------------------------------------------------------------------------
# 2. 500 concurrent clients, and no file descriptor left open
# --------------------------------------------------------------------------

CONCURRENT = 500
ROUNDS = 3  # messages per concurrent client


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def assert_fds_settle(before: int, within: float = 5.0) -> None:
    """The count of open fds falls back to ``before`` within ``within`` seconds (no gc)."""
    deadline = time.monotonic() + within
    while (now := open_fds()) > before:
        assert time.monotonic() < deadline, f"{now - before} file descriptors left open"
        time.sleep(0.05)


@pytest.fixture
def enough_fds() -> Iterator[None]:
    """Both ends of 500 connections, and some to spare."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd")
    needed = 2 * CONCURRENT + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"RLIMIT_NOFILE is {hard}, {needed} file descriptors are needed")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def concurrent_message(number: int, index: int) -> bytes:
    return b"concurrent client %d message %d" % (number, index)


@pytest.mark.timeout(10)  # each runs in about a second
@pytest.mark.usefixtures("enough_fds")
def test_500_concurrent_clients_of_aio_start_server_leave_no_fd_open() -> None:
    codec = README_CODEC

    async def talk(number: int, stream: FramedStream) -> list[bytes]:
        async with stream:
            got = []
            for index in range(ROUNDS):
                await stream.send(concurrent_message(number, index))
                got.append(await asyncio.wait_for(stream.recv(), TIMEOUT))
            return got

    async def clients(address: Address) -> None:
        streams = await asyncio.wait_for(
            asyncio.gather(
                *(framing.aio.open_connection(*address, codec) for _ in range(CONCURRENT))
            ),
            TIMEOUT,
        )  # all 500 connected at the same time before any sends
        results = await asyncio.gather(*(talk(n, s) for n, s in enumerate(streams)))
        for number, got in enumerate(results):
            assert got == [concurrent_message(number, i) for i in range(ROUNDS)], number

    before = open_fds()
    with AioEchoServer(codec, backlog=CONCURRENT) as server:
        asyncio.run(clients(server.address))  # the clients in a loop of their own
        server.wait_ended(CONCURRENT)
    assert_fds_settle(before)


@pytest.mark.timeout(10)  # each runs in about a second
@pytest.mark.usefixtures("enough_fds")
def test_500_concurrent_clients_of_the_readme_selectors_loop_leave_no_fd_open() -> None:
    codec = README_CODEC
    before = open_fds()
    with readme_loop_server(CONCURRENT, backlog=CONCURRENT) as target:
        # Plain blocking sockets from this one thread: all 500 connect first.
        conns: list[framing.FramedSocket] = []
        try:
            for _ in range(CONCURRENT):
                conns.append(framing.FramedSocket(raw_connection(target), codec))
            for number, fs in enumerate(conns):
                fs.send_many([concurrent_message(number, i) for i in range(ROUNDS)])
            for number, fs in enumerate(conns):
                got = [fs.recv() for _ in range(ROUNDS)]
                assert got == [concurrent_message(number, i) for i in range(ROUNDS)], number
        finally:
            for fs in conns:
                fs.close()
    assert_fds_settle(before)


# framing.anyio's 500 concurrent clients, on both backends, are in tests/test_anyio.py.
