"""FramedRequestHandler with socketserver's threading, forking and Unix-domain servers."""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import framing
from framing import (
    ConnectionClosed,
    FramedRequestHandler,
    FramedSocket,
    LengthPrefixed,
    Lines,
    Netstring,
    request_handler,
)
from test_socket import TIMEOUT, Worker

pytestmark = pytest.mark.timeout(60)


class Upper(FramedRequestHandler):
    codec = Lines()

    def handle_message(self, message: bytes) -> bytes | None:
        if message == b"quiet":
            return None  # no reply
        return message.upper()


class Recording:
    """A server mix-in that records handle_error's exceptions instead of printing them."""

    errors: list[BaseException]

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        self.errors.append(sys.exc_info()[1])  # type: ignore[arg-type]


class ThreadingServer(Recording, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serving(server: Any) -> Iterator[Any]:
    server.errors = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(TIMEOUT)
        server.server_close()


def test_threading_tcp_server_answers_each_message() -> None:
    with serving(ThreadingServer(("127.0.0.1", 0), Upper)) as server:

        def client(n: int) -> list[bytes]:
            with framing.connect(server.server_address, Lines(), timeout=TIMEOUT) as fs:
                fs.send_many([b"hello %d" % n, b"quiet", b"world"])
                return [fs.recv(), fs.recv()]

        workers = [Worker(client, n) for n in range(5)]
        for n, worker in enumerate(workers):
            assert worker.result() == [b"HELLO %d" % n, b"WORLD"]
    assert server.errors == []  # clients closing between messages is not an error


def test_request_handler_from_a_function_over_a_unix_socket(tmp_path: Any) -> None:
    seen: list[tuple[Any, Any]] = []

    def echo(framed: FramedSocket) -> None:
        seen.append((framed.codec, framed.socket.gettimeout()))
        for message in framed:
            framed.send(message)

    handler = request_handler(Netstring(), echo, timeout=5.0)
    assert handler.__name__ == "echo_handler"
    path = str(tmp_path / "echo.sock")

    class Server(Recording, socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    with (
        serving(Server(path, handler)) as server,
        framing.connect(path, Netstring(), timeout=TIMEOUT) as fs,
    ):
        fs.send(b"over AF_UNIX")
        assert fs.recv() == b"over AF_UNIX"
    assert server.errors == []
    assert seen == [(Netstring(), 5.0)]


FORKING_SERVER = """
import os, socketserver, sys
import framing

class Pid(framing.FramedRequestHandler):
    codec = framing.LengthPrefixed(">H")

    def handle_message(self, message):
        return b"%s from %d" % (message, os.getpid())

with socketserver.ForkingTCPServer(("127.0.0.1", 0), Pid) as server:
    print(server.server_address[1], os.getpid(), flush=True)
    server.handle_request()  # forks one child for the one client, and returns
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forking_tcp_server() -> None:
    # In a process of its own: forking this multi-threaded test process is
    # what Python 3.12+ warns against (a child may inherit a held lock).
    server = subprocess.Popen(
        [sys.executable, "-c", FORKING_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port, server_pid = map(int, server.stdout.readline().split())
        with framing.connect(("127.0.0.1", port), LengthPrefixed(">H"), timeout=TIMEOUT) as fs:
            fs.send(b"hi")
            reply = fs.recv()
            # The child inherited a copy of this very socket: closing ours
            # would not end the connection, a half-close does.
            fs.shutdown_write()
            assert list(fs) == []
        assert server.wait(TIMEOUT) == 0
    finally:
        server.kill()
        server.wait()
        server.stdout.close()  # type: ignore[union-attr]
    head, pid = reply.rsplit(b" ", 1)
    assert head == b"hi from"
    assert int(pid) not in (os.getpid(), server_pid)  # answered by a child process


def test_a_peer_error_is_one_log_line_and_a_handler_bug_reaches_handle_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Strict(FramedRequestHandler):
        codec = LengthPrefixed(max_length=4)

        def handle_message(self, message: bytes) -> bytes:
            return message

    class Forgetful(FramedRequestHandler):  # overrides neither hook
        pass

    with (
        caplog.at_level("WARNING", logger="framing.server"),
        serving(ThreadingServer(("127.0.0.1", 0), Strict)) as server,
        framing.connect(server.server_address, LengthPrefixed(), timeout=TIMEOUT) as fs,
    ):
        fs.send(b"too long for the server")
        with pytest.raises(ConnectionClosed):
            fs.recv()  # the server gives up on the connection
    assert server.errors == []  # the peer's doing: no traceback
    [record] = [r for r in caplog.records if r.name == "framing.server"]
    assert "FrameTooLarge: frame of 23 bytes exceeds max_length of 4 bytes" in record.getMessage()

    with (
        serving(ThreadingServer(("127.0.0.1", 0), Forgetful)) as server,
        framing.connect(server.server_address, LengthPrefixed(), timeout=TIMEOUT) as fs,
    ):
        fs.send(b"x")
        with pytest.raises(ConnectionClosed):
            fs.recv()
    assert [type(e) for e in server.errors] == [NotImplementedError]


def test_handler_settings_apply_to_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    seen: dict[str, Any] = {}

    class Settings(FramedRequestHandler):
        codec = Lines()
        timeout = 0.2

        def handle(self) -> None:
            sock = self.framed.socket
            seen["timeout"] = sock.gettimeout()
            seen["nodelay"] = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            seen["same socket"] = sock is self.request
            self.framed.recv()  # the client says nothing: the timeout fires

    with (
        caplog.at_level("WARNING", logger="framing.server"),
        serving(ThreadingServer(("127.0.0.1", 0), Settings)) as server,
        framing.connect(server.server_address, Lines(), timeout=TIMEOUT) as fs,
        pytest.raises(ConnectionClosed),
    ):
        fs.recv()  # closed by the server after its timeout
    assert seen == {"timeout": 0.2, "nodelay": 1, "same socket": True}
    assert server.errors == []
    assert any("TimeoutError" in r.getMessage() for r in caplog.records)
