"""Servers that bound a slow client and can end their connections: message_timeout and
close_connections, for socketserver and framing.aio. Loopback only, every wait bounded."""

from __future__ import annotations

import asyncio
import logging
import socket
import socketserver
import threading
import time

import pytest

import framing
import framing.aio
from framing import ConnectionClosed, FramedSocket, LengthPrefixed, Lines

pytestmark = pytest.mark.timeout(60)
TIMEOUT = 10.0


def trickle(sock: socket.socket, data: bytes, pause: float, stop: threading.Event) -> None:
    """Send ``data`` a byte at a time, ``pause`` seconds apart, until done or stopped."""
    for i in range(len(data)):
        if stop.wait(pause):
            return
        try:
            sock.sendall(data[i : i + 1])
        except OSError:
            return


def test_a_message_timeout_bounds_a_whole_message_not_each_wait() -> None:
    left, right = socket.socketpair()
    stop = threading.Event()
    wire = Lines().encode(b"slowly")
    sender = threading.Thread(target=trickle, args=(right, wire, 0.05, stop))
    with left, right:
        left.settimeout(TIMEOUT)  # each wait is short enough: only the whole is too slow
        fs = FramedSocket(left, Lines(), message_timeout=0.2)
        sender.start()
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"no whole message within 0\.2 s"):
            fs.recv()
        assert time.monotonic() - started < 2
        assert left.gettimeout() == TIMEOUT  # the socket's own timeout is restored
        fs.message_timeout = None
        assert fs.recv() == b"slowly"  # nothing read before the timeout is lost
        stop.set()
        sender.join(TIMEOUT)


def test_a_message_timeout_still_returns_a_message_in_time() -> None:
    left, right = socket.socketpair()
    with left, right:
        fs = FramedSocket(left, Lines(), message_timeout=5)
        right.sendall(b"quick\nsecond\n")
        assert fs.recv() == b"quick"
        assert fs.recv() == b"second"  # already buffered: no wait at all
        right.shutdown(socket.SHUT_WR)
        with pytest.raises(ConnectionClosed):
            fs.recv()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = False  # server_close() joins the handler threads
    allow_reuse_address = True


def echo(framed: FramedSocket) -> None:
    for message in framed:
        framed.send(message)


def test_a_trickling_client_is_cut_off_by_the_handlers_message_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = framing.request_handler(LengthPrefixed(), echo, message_timeout=0.3)
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    stop = threading.Event()
    try:
        with caplog.at_level(logging.WARNING, logger="framing.server"):
            slow = socket.create_connection(server.server_address[:2], timeout=TIMEOUT)
            sender = threading.Thread(
                target=trickle, args=(slow, LengthPrefixed().encode(b"x" * 100), 0.05, stop)
            )
            sender.start()
            with framing.connect(server.server_address[:2], LengthPrefixed(), TIMEOUT) as good:
                good.send(b"served")
                assert good.recv() == b"served"
            # The server closes the slow connection after 0.3 s, whatever it still sends.
            slow.settimeout(TIMEOUT)
            assert slow.recv(1) == b""
            stop.set()
            sender.join(TIMEOUT)
            slow.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
    warnings = [r for r in caplog.records if r.name == "framing.server"]
    assert len(warnings) == 1
    assert "TimeoutError" in warnings[0].getMessage()
    assert warnings[0].exc_info is None


def test_close_connections_ends_the_handlers_that_shutdown_leaves_running() -> None:
    server = Server(("127.0.0.1", 0), framing.request_handler(Lines(), echo))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    clients = [framing.connect(server.server_address[:2], Lines(), TIMEOUT) for _ in range(3)]
    for client in clients:
        client.send(b"hi")
        assert client.recv() == b"hi"  # each has a handler waiting in recv()
    server.shutdown()  # no more clients; the three handlers still wait
    thread.join(TIMEOUT)
    assert framing.close_connections(server) == 3
    closer = threading.Thread(target=server.server_close)  # joins the handler threads
    closer.start()
    closer.join(TIMEOUT)
    assert not closer.is_alive()
    for client in clients:
        with pytest.raises(ConnectionClosed), client:
            client.recv()
    assert framing.close_connections(server) == 0


def test_aio_close_connections_ends_the_handlers_and_waits_for_them() -> None:
    ended: list[str] = []

    async def handler(stream: framing.aio.FramedStream) -> None:
        try:
            async for message in stream:
                await stream.send(message)
            ended.append("clean")
        except ConnectionResetError:
            ended.append("reset")

    async def main() -> None:
        server = await framing.aio.start_server(handler, "127.0.0.1", 0, Lines())
        port = server.sockets[0].getsockname()[1]
        clients = [await framing.aio.open_connection("127.0.0.1", port, Lines()) for _ in range(4)]
        for client in clients:
            await client.send(b"hello")
            assert await client.recv() == b"hello"
        server.close()
        assert await framing.aio.close_connections(server) == 4
        assert ended == ["clean"] * 4  # every handler has returned
        for client in clients:
            with pytest.raises(ConnectionClosed):
                await client.recv()
            client.close()
            await client.wait_closed()
        await server.wait_closed()
        assert await framing.aio.close_connections(server) == 0

        plain = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        with pytest.raises(ValueError, match="not started by framing"):
            await framing.aio.close_connections(plain)
        plain.close()
        await plain.wait_closed()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_the_sockets_own_shorter_timeout_still_applies_to_each_wait() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.settimeout(0.05)
        fs = FramedSocket(left, Lines(), message_timeout=5)
        with pytest.raises(TimeoutError) as caught:
            fs.recv()
        assert "no whole message" not in str(caught.value)  # the socket's, not the deadline's
        right.sendall(b"late\n")
        assert fs.recv() == b"late"


def test_a_message_timeout_leaves_the_sockets_timeout_to_the_threads_that_send() -> None:
    # The receiver's deadline must not become the timeout of a thread sending
    # on the same socket: a sender blocked on a full buffer stays blocked.
    left, right = socket.socketpair()  # right never reads: left's send buffer fills up
    with left, right:
        fs = FramedSocket(left, LengthPrefixed(), message_timeout=0.1)
        errors: list[BaseException] = []

        def receive() -> None:
            for _ in range(8):
                with pytest.raises(TimeoutError):
                    fs.recv()

        def send() -> None:
            try:
                for _ in range(64):
                    fs.send(b"x" * (1 << 20))
            except OSError as error:  # the test's end shuts the socket down
                if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
                    errors.append(error)

        receiver = threading.Thread(target=receive)
        sender = threading.Thread(target=send, daemon=True)
        receiver.start()
        sender.start()
        receiver.join(TIMEOUT)
        assert sender.is_alive()  # still blocked in its send, as a blocking socket does
        assert left.gettimeout() is None
        left.shutdown(socket.SHUT_RDWR)
        sender.join(TIMEOUT)
        assert errors == []
