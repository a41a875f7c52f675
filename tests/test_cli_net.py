"""``framing serve`` and ``framing send`` over loopback, run in-process.

The server runs ``main(["serve", ...])`` in a thread; its log goes to a
queue so the test learns the port it picked (``--port 0``). Every socket has
a timeout and every wait is bounded, and no thread outlives its test (one
left behind would make a later ``os.fork()`` warn on Python 3.12+).
"""

from __future__ import annotations

import io
import os
import queue
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pytest

import framing.cli.net
from framing.adapters.socket import FramedSocket
from framing.cli import main

WAIT = 10.0  # seconds: the longest any step may take


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + WAIT
    for thread in set(threading.enumerate()) - before:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [thread for thread in set(threading.enumerate()) - before if thread.is_alive()]
    assert not left, f"threads still running: {left}"


class LogQueue(io.StringIO):
    """A stderr that hands every line written to a queue."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: queue.Queue[str] = queue.Queue()

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.lines.put(line)
        return len(text)

    def wait_for(self, needle: str) -> str:
        while True:
            line = self.lines.get(timeout=WAIT)
            if needle in line:
                return line


@dataclass
class Server:
    """A ``framing serve`` running in a thread."""

    thread: threading.Thread
    log: LogQueue
    out: io.BytesIO
    port: int
    status: list[int] = field(default_factory=list)

    def finish(self) -> int:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "serve --once did not return"
        return self.status[0]


def start_server(
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdout: io.TextIOWrapper | None = None,
    once: bool = True,
) -> Server:
    log = LogQueue()
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setattr(sys, "stdout", stdout or io.TextIOWrapper(out, write_through=True))
    status: list[int] = []
    argv = ["serve", *args, "--port", "0", *(["--once"] if once else [])]
    thread = threading.Thread(target=lambda: status.append(main(argv)), daemon=True)
    thread.start()
    line = log.wait_for("listening on")
    port = int(line.split(" for ")[0].rsplit(":", 1)[1])
    return Server(thread, log, out, port, status)


@dataclass
class Result:
    code: int
    out: bytes
    err: str


def send(
    monkeypatch: pytest.MonkeyPatch,
    *argv: str,
    stdin: bytes | BinaryIO = b"",
    stdout: io.TextIOWrapper | None = None,
) -> Result:
    out = io.BytesIO()
    err = io.StringIO()
    reader = io.BytesIO(stdin) if isinstance(stdin, bytes) else stdin
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(reader))
    monkeypatch.setattr(sys, "stdout", stdout or io.TextIOWrapper(out, write_through=True))
    monkeypatch.setattr(sys, "stderr", err)
    code = main(["send", *argv])
    return Result(code, out.getvalue(), err.getvalue())


def test_send_messages_to_an_echo_server(monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(monkeypatch, "length:!I", "--echo")
    result = send(monkeypatch, "length:!I", "127.0.0.1", str(server.port), "hello", "", "wörld")
    assert (result.code, result.out, result.err) == (0, "hello\n\nwörld\n".encode(), "")
    assert server.finish() == 0
    assert server.out.getvalue() == "hello\n\nwörld\n".encode()
    assert server.log.wait_for("127.0.0.1:").endswith(" connected")
    assert server.log.wait_for("127.0.0.1:").endswith(" closed")


def test_send_stdin_lines_and_show_the_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(monkeypatch, "netstring", "--echo", "--raw")
    result = send(
        monkeypatch, "--show", "netstring", "127.0.0.1", str(server.port), stdin=b"ab\r\ncd\n"
    )
    assert result.code == 0
    assert result.out.decode() == (
        "frame 1: 2-byte payload\n"
        "  0000  61 62                                             |ab|\n"
        "frame 2: 2-byte payload\n"
        "  0000  63 64                                             |cd|\n"
    )
    assert server.finish() == 0
    assert server.out.getvalue() == b"abcd"


def test_until_close_request_and_response(monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(monkeypatch, "until-close", "--echo")
    result = send(monkeypatch, "until-close", "127.0.0.1", str(server.port), "GET / HTTP/1.0")
    assert (result.code, result.out) == (0, b"GET / HTTP/1.0\n")
    assert server.finish() == 0


def test_until_close_send_refuses_two_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (_, port):
        result = send(monkeypatch, "until-close", "127.0.0.1", str(port), "one", "two")
    assert result.code == 1
    assert result.err == (
        "framing send: error: until-close carries one message per connection\n"
    )


def test_serve_reports_a_client_that_sends_a_bad_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(monkeypatch, "netstring")
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(b"2:ok,3:bad!")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""  # the server closes the connection
    assert server.finish() == 1
    assert server.out.getvalue() == b"ok\n"
    assert "sent a bad frame: InvalidFrame: netstring of 3 bytes" in server.log.wait_for("bad")


def test_serve_reports_a_reset_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(monkeypatch, "lines")
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        server.log.wait_for(" connected")  # the server is reading when the reset comes
        # SO_LINGER with a zero timeout: close() sends a reset instead of a FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert server.finish() == 1
    assert server.log.wait_for("127.0.0.1:").endswith(
        " connection failed: [Errno 104] Connection reset by peer"
    )


@pytest.fixture
def ipv6() -> None:
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6):
            pass
    except OSError:
        pytest.skip("no IPv6 loopback")


def test_serve_and_send_over_ipv6(monkeypatch: pytest.MonkeyPatch, ipv6: None) -> None:
    server = start_server(monkeypatch, "cobs", "--host", "::1", "--echo")
    result = send(monkeypatch, "cobs", "::1", str(server.port), "zero\x00byte")
    assert (result.code, result.out) == (0, b"zero\x00byte\n")
    assert server.finish() == 0
    assert server.log.wait_for("connected").startswith("framing serve: [::1]:")


class listening:
    """A bare listening socket on a free loopback port, closed on exit."""

    def __enter__(self) -> tuple[socket.socket, int]:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        return self.listener, self.listener.getsockname()[1]

    def __exit__(self, *exc: Any) -> None:
        self.listener.close()


def test_send_to_a_closed_port_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (_, port):
        pass  # the port is free again, and nothing listens on it
    result = send(monkeypatch, "lines", "127.0.0.1", str(port), "hi")
    assert result.code == 1
    assert result.err == (
        f"framing send: error: cannot connect to 127.0.0.1:{port}: Connection refused\n"
    )


def test_send_reports_a_bad_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (listener, port):
        def bad_server() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(WAIT)
                assert conn.recv(100) == b"\x00\x00\x00\x02hi"  # read it: no reset on close
                conn.sendall(b"\x00\x00\x00\x02ok\xff\xff\xff\xff")

        thread = threading.Thread(target=bad_server, daemon=True)
        thread.start()
        result = send(monkeypatch, "length:!I,max=1K", "127.0.0.1", str(port), "hi")
        thread.join(WAIT)
    assert result.code == 1
    assert result.out == b"ok\n"
    assert result.err == (
        "framing send: error: frame of 4294967295 bytes exceeds max_length of 1024 bytes; "
        "raise the limit with max=SIZE in the spec, as in 'length:!I,max=4294967295'\n"
    )


def test_send_gives_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (listener, port):
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
        thread.start()
        result = send(monkeypatch, "--timeout", "0.2", "lines", "127.0.0.1", str(port), "hi")
        thread.join(WAIT)
        for conn in accepted:
            conn.close()
    assert result.code == 1
    assert result.err == "framing send: error: no reply from the server before the --timeout\n"


def test_send_stops_when_the_server_resets_mid_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (listener, port):
        def rude_server() -> None:
            conn, _ = listener.accept()
            conn.sendall(b"\xff\xff\xff\xff")  # a header far over max_length...
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # ...then a reset, with the client still sending

        thread = threading.Thread(target=rude_server, daemon=True)
        thread.start()
        lines = b"".join(b"line %d\n" % n for n in range(300_000))  # 3 MB: more than buffers hold
        result = send(monkeypatch, "length:!I,max=1K", "127.0.0.1", str(port), stdin=lines)
        thread.join(WAIT)
    assert result.code == 1
    assert result.err.startswith("framing send: error: ")
    assert result.err.count("\n") == 1
    assert "exceeds max_length of 1024 bytes" in result.err or "reset" in result.err.lower()


# ---------------------------------------------------------------------------
# send frames its messages before it connects
# ---------------------------------------------------------------------------


def free_port() -> int:
    with listening() as (_, port):
        pass  # the port is free again, and nothing listens on it
    return port


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["slip", "a", ""], b"", "MESSAGE 2: SLIP cannot frame an empty message"),
        (["fixed:4", "abcd", "abc"], b"", "MESSAGE 2: message of 3 bytes cannot be framed"),
        (["until-close", "one", "two"], b"", "until-close carries one message per connection"),
        (["fixed:4"], b"abcd\nabc\n", "input line 2: message of 3 bytes cannot be framed"),
        (["lines,max=3"], b"abcd\n", "input line 1: frame of 4 bytes exceeds max_length"),
    ],
)
def test_send_reports_a_message_it_cannot_frame_before_connecting(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: bytes, message: str
) -> None:
    spec, *messages = argv
    result = send(monkeypatch, spec, "127.0.0.1", str(free_port()), *messages, stdin=stdin)
    assert result.code == 1
    assert result.err.startswith(f"framing send: error: {message}")
    assert "cannot connect" not in result.err
    assert result.err.count("\n") == 1


class Pieces(io.RawIOBase):
    """A stdin that hands out one piece per read, like a pipe from a slow producer."""

    def __init__(self, *pieces: bytes | BaseException) -> None:
        self._pieces = list(pieces)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pieces:
            return 0
        piece = self._pieces.pop(0)
        if isinstance(piece, BaseException):
            raise piece
        buffer[: len(piece)] = piece
        return len(piece)


def test_send_stops_at_a_bad_line_after_sending_and_answering_those_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = start_server(monkeypatch, "fixed:4", "--echo")
    stdin = io.BufferedReader(Pieces(b"ab", b"cd\nefgh\n", b"ijkl\nxy\nmnop\n"))
    result = send(monkeypatch, "fixed:4", "127.0.0.1", str(server.port), stdin=stdin)
    assert result.code == 1
    assert result.out == b"abcd\nefgh\nijkl\n"
    assert result.err == (
        "framing send: error: input line 4: message of 2 bytes cannot be framed: "
        "FixedLength frames are exactly 4 bytes\n"
    )
    assert server.finish() == 0
    assert server.out.getvalue() == b"abcd\nefgh\nijkl\n"


def test_an_interrupted_send_leaves_no_thread_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (listener, port):
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
        thread.start()
        stdin = io.BufferedReader(Pieces(b"one\n", KeyboardInterrupt()))
        result = send(monkeypatch, "lines", "127.0.0.1", str(port), stdin=stdin)
        thread.join(WAIT)
        for conn in accepted:
            conn.close()
    assert result.code == 130  # and the reply thread has ended: see the autouse fixture


def connect_to(monkeypatch: pytest.MonkeyPatch, ours: socket.socket) -> None:
    """Make ``send`` connect to one end of a socket pair: a server without races."""

    def connect(address: Any, codec: Any, timeout: float | None = None) -> FramedSocket:
        ours.settimeout(timeout)
        return FramedSocket(ours, codec)

    monkeypatch.setattr(framing.cli.net, "connect", connect)


def test_send_reports_a_server_that_went_away(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = socket.socketpair()
    theirs.close()  # gone before a byte is sent: the send fails, the replies end cleanly
    connect_to(monkeypatch, ours)
    result = send(monkeypatch, "lines", "127.0.0.1", "1", "hello")
    assert result.code == 1
    assert result.err == "framing send: error: sending failed: Broken pipe\n"
    assert ours.fileno() == -1  # closed


def test_a_bad_reply_stops_the_sending_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The server sends a bad header and reads nothing: the client, sending 3 MB, would
    # block until the timeout, but the reply thread's error shuts the socket down.
    ours, theirs = socket.socketpair()
    connect_to(monkeypatch, ours)
    with theirs:
        theirs.sendall(b"\xff\xff\xff\xff")
        lines = b"".join(b"line %d\n" % n for n in range(300_000))
        started = time.monotonic()
        result = send(monkeypatch, "length:!I,max=1K", "127.0.0.1", "1", stdin=lines)
    assert time.monotonic() - started < WAIT / 2
    assert result.code == 1
    assert result.err.startswith(
        "framing send: error: frame of 4294967295 bytes exceeds max_length of 1024 bytes; "
    )


# ---------------------------------------------------------------------------
# a limit that a client hits, and a stdout that goes away
# ---------------------------------------------------------------------------


def test_serve_says_how_to_raise_the_limit_a_client_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(monkeypatch, "length:>H,max=1K")
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(b"\x10\x00")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""
    assert server.finish() == 1
    assert server.log.wait_for("bad frame").endswith(
        "sent a bad frame: FrameTooLarge: frame of 4096 bytes exceeds max_length of 1024 "
        "bytes; raise the limit with max=SIZE in the spec, as in 'length:>H,max=4K'"
    )


@pytest.fixture
def closed_pipe() -> Iterator[io.TextIOWrapper]:
    """A real pipe for stdout, its reader gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = open(write_end, "w")  # noqa: SIM115 - closed below
    yield stdout
    stdout.close()  # no error: the command pointed the descriptor at /dev/null


def test_serve_stops_quietly_when_its_stdout_goes_away(
    monkeypatch: pytest.MonkeyPatch, closed_pipe: io.TextIOWrapper
) -> None:
    server = start_server(monkeypatch, "lines", stdout=closed_pipe, once=False)
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.shutdown(socket.SHUT_WR)  # a client that sends nothing...
        assert sock.recv(100) == b""
    assert server.log.wait_for(" closed")  # ...and the server waits for the next one
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(b"hello\n")
        assert sock.recv(100) == b""  # the server closes the connection and stops
    assert server.finish() == 1
    log = []
    while not server.log.lines.empty():
        log.append(server.log.lines.get())
    assert not [line for line in log if "error" in line or "failed" in line], log


def test_send_stops_quietly_when_its_stdout_goes_away(
    monkeypatch: pytest.MonkeyPatch, closed_pipe: io.TextIOWrapper
) -> None:
    server = start_server(monkeypatch, "lines", "--echo")
    result = send(monkeypatch, "lines", "127.0.0.1", str(server.port), "hi", stdout=closed_pipe)
    assert (result.code, result.err) == (1, "")
    server.finish()
