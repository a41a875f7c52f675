"""``framing serve`` and ``framing send`` over loopback, run in-process.

The server runs ``main(["serve", ...])`` in a thread; its log goes to a
queue so the test learns the port it picked (``--port 0``). Every socket has
a timeout and every wait is bounded.
"""

from __future__ import annotations

import io
import queue
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from framing.cli import main

WAIT = 10.0  # seconds: the longest any step may take


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


def start_server(monkeypatch: pytest.MonkeyPatch, *args: str) -> Server:
    log = LogQueue()
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, write_through=True))
    status: list[int] = []
    argv = ["serve", *args, "--port", "0", "--once"]
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


def send(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: bytes = b"") -> Result:
    out = io.BytesIO()
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, write_through=True))
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
        "framing send: error: frame of 4294967295 bytes exceeds max_length of 1024 bytes\n"
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
