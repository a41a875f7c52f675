"""FramedConnection: the codecs on non-blocking sockets under ``selectors``.

Unit behaviour over ``socket.socketpair()`` (nothing is sent until
``flush()``, ``BlockingIOError`` loses nothing, EOF and errors in stream
order, back-pressure), then the socket HOWTO's selectors echo server serving
100 concurrent loopback clients x 200 messages.
"""

from __future__ import annotations

import random
import selectors
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

import framing
from framing import (
    ConnectionClosed,
    EncodeError,
    FramedConnection,
    FramedSocket,
    FrameTooLarge,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    UntilClose,
)
from test_socket import TIMEOUT, Worker

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def sp() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    b.settimeout(TIMEOUT)
    with a, b:
        yield a, b


def wait(conn: FramedConnection, events: int) -> None:
    """Block until ``conn`` is ready for ``events`` (a test's stand-in for a loop)."""
    with selectors.DefaultSelector() as sel:
        sel.register(conn, events)
        assert sel.select(TIMEOUT), "the socket never became ready"


def test_send_only_queues_and_flush_sends(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    conn = FramedConnection(a, LengthPrefixed())
    assert a.gettimeout() == 0.0  # switched to non-blocking
    assert conn.events == READ
    conn.send(b"one")
    conn.send_many([b"two", b"three"])
    assert conn.wants_write
    assert conn.events == READ | WRITE
    assert conn.queued == 3 * 4 + 11
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(1)  # nothing went out yet
    b.settimeout(TIMEOUT)
    assert conn.flush() is True
    assert conn.queued == 0
    assert conn.events == READ
    peer = FramedSocket(b, LengthPrefixed())
    assert [peer.recv() for _ in range(3)] == [b"one", b"two", b"three"]


def test_receive_returns_what_is_complete_and_keeps_the_rest(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    conn = FramedConnection(a, Lines())
    assert list(conn.receive()) == []  # nothing readable: no error, no message
    b.sendall(b"first\nsecond\nthi")
    wait(conn, READ)
    assert list(conn.receive()) == [b"first", b"second"]
    b.sendall(b"rd\n")
    wait(conn, READ)
    assert list(conn.receive()) == [b"third"]


def test_eof_delivers_the_last_messages_then_connection_closed(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    conn = FramedConnection(a, UntilClose())
    b.sendall(b"the whole stream")
    b.shutdown(socket.SHUT_WR)
    messages: list[bytes] = []
    for _ in range(10):  # bounded: a few reads at most
        wait(conn, READ)
        try:
            messages += conn.receive()
        except ConnectionClosed:
            break
    else:
        pytest.fail("ConnectionClosed never came")
    assert messages == [b"the whole stream"]
    with pytest.raises(ConnectionClosed):  # and again
        conn.receive()


def test_a_message_left_at_eof_comes_before_connection_closed(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    conn = FramedConnection(a, Lines())
    b.sendall(b"a\nb\n")
    wait(conn, READ)
    first = conn.receive()
    assert next(first) == b"a"  # the caller stops half-way...
    b.close()
    wait(conn, READ)
    conn.receive()  # ...and again does not iterate: the message is held, not lost
    assert list(conn.receive()) == [b"b"]  # the message left comes first
    assert list(conn.receive()) == []  # then EOF is read
    with pytest.raises(ConnectionClosed):
        conn.receive()


def test_errors_come_after_the_messages_before_them(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    conn = FramedConnection(a, Lines(max_length=5))
    b.sendall(b"ok\ntoo long line\nfine\npart")
    b.close()
    wait(conn, READ)
    events: list[object] = []
    for _ in range(10):
        try:
            events += conn.receive()
        except FrameTooLarge:
            events.append(FrameTooLarge)
        except IncompleteFrame as error:
            events.append(error.partial)
            break
    assert events == [b"ok", FrameTooLarge, b"fine", b"part"]


def test_flush_on_a_full_socket_keeps_the_rest_queued(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    conn = FramedConnection(a, LengthPrefixed(), high_water=100_000)
    messages = [bytes([i]) * 50_000 for i in range(20)]  # 1 MB: far more than the buffers
    conn.send_many(messages)
    assert conn.flush() is False  # BlockingIOError inside: nothing lost
    assert 0 < conn.queued < 20 * 50_004
    assert conn.events == WRITE  # above high_water: stop reading, only write
    peer = FramedSocket(b, LengthPrefixed())
    receiver = Worker(lambda: [peer.recv() for _ in messages])
    for _ in range(10_000):  # bounded
        if conn.flush():
            break
        wait(conn, WRITE)
    assert receiver.result() == messages
    assert conn.events == READ


def test_until_close_half_closes_once_the_queue_is_sent(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    conn = FramedConnection(a, UntilClose())
    conn.send(b"request")
    with pytest.raises(BrokenPipeError):
        conn.send(b"second")
    with pytest.raises(EncodeError):
        FramedConnection(b, UntilClose()).send_many([b"x", b"y"])
    assert conn.flush()
    assert not conn.wants_write
    b.settimeout(TIMEOUT)
    assert FramedSocket(b, UntilClose()).recv() == b"request"  # EOF came after it


def test_shutdown_write_waits_for_the_queue(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    conn = FramedConnection(a, LengthPrefixed())
    conn.send(b"z" * 500_000)
    conn.shutdown_write()
    assert conn.wants_write  # not half-closed yet: frames are queued
    receiver = Worker(lambda: list(FramedSocket(b, LengthPrefixed())))
    for _ in range(10_000):
        if conn.flush():
            break
        wait(conn, WRITE)
    assert receiver.result() == [b"z" * 500_000]


def test_a_reset_while_flushing_is_an_os_error_and_the_queue_stays(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    conn = FramedConnection(a, LengthPrefixed())
    b.close()
    conn.send(b"nobody listens")
    with pytest.raises(BrokenPipeError):
        conn.flush()
    assert conn.queued == 18


def test_the_object(sp: tuple[socket.socket, socket.socket]) -> None:
    a, _ = sp
    conn = FramedConnection(a, Lines())
    assert conn.socket is a
    assert conn.codec == Lines()
    assert conn.fileno() == a.fileno()
    assert "queued=0" in repr(conn)
    assert framing.FramedConnection is FramedConnection
    with pytest.raises(ValueError, match="recv_size"):
        FramedConnection(a, Lines(), recv_size=0)
    conn.close()
    assert a.fileno() == -1


# --------------------------------------------------------------------------
# the socket HOWTO's selectors echo server, 100 clients x 200 messages
# --------------------------------------------------------------------------

CLIENTS, MESSAGES, BATCH = 100, 200, 50


class EchoServer(threading.Thread):
    """A selectors loop echoing every message; stops when told, records its peak queue."""

    def __init__(self, codec: Any) -> None:
        super().__init__(daemon=True)
        self.codec = codec
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=CLIENTS)
        self.listener.setblocking(False)
        self.address = self.listener.getsockname()
        self.stop_reader, self.stop_writer = socket.socketpair()
        self.peak_queued = 0
        self.served = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._serve()
        except BaseException as error:
            self.error = error

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.listener, READ)
        sel.register(self.stop_reader, READ)
        while True:
            for key, mask in sel.select(timeout=TIMEOUT):
                if key.fileobj is self.stop_reader:
                    for other in list(sel.get_map().values()):
                        if isinstance(other.fileobj, FramedConnection):
                            other.fileobj.close()
                    sel.close()
                    return
                if key.fileobj is self.listener:
                    sock, _ = self.listener.accept()
                    conn = FramedConnection(sock, self.codec)
                    sel.register(conn, conn.events)
                    continue
                conn = key.fileobj
                assert isinstance(conn, FramedConnection)
                if mask & READ:
                    try:
                        for message in conn.receive():
                            conn.send(message)
                    except ConnectionClosed:
                        sel.unregister(conn)
                        conn.close()
                        self.served += 1
                        continue
                conn.flush()
                self.peak_queued = max(self.peak_queued, conn.queued)
                sel.modify(conn, conn.events)

    def stop(self) -> None:
        self.stop_writer.send(b"x")
        self.join(TIMEOUT)
        self.listener.close()
        self.stop_reader.close()
        self.stop_writer.close()
        if self.error is not None:
            raise self.error


def _payload(client: int, seq: int, rng: random.Random) -> bytes:
    body = rng.randbytes(rng.randrange(0, 2000))
    return struct.pack("!III", client, seq, zlib.crc32(body)) + body


def test_selectors_echo_server_100_clients_x_200_messages() -> None:
    codec = LengthPrefixed()
    server = EchoServer(codec)
    server.start()
    try:
        clients = [framing.connect(server.address, codec, timeout=TIMEOUT) for _ in range(CLIENTS)]
        barrier = threading.Barrier(4)

        def run(group: list[tuple[int, FramedSocket]]) -> int:
            rng = random.Random(group[0][0])
            barrier.wait()  # all 100 connected and all 4 threads going at once
            verified = 0
            for start in range(0, MESSAGES, BATCH):
                sent = {}
                for number, fs in group:  # every client of the group has a batch in flight
                    batch = [_payload(number, start + i, rng) for i in range(BATCH)]
                    fs.send_many(batch)
                    sent[number] = batch
                for number, fs in group:
                    assert [fs.recv() for _ in range(BATCH)] == sent[number]
                    verified += BATCH
            for _, fs in group:
                fs.shutdown_write()
                assert list(fs) == []  # the server closes after our EOF
                fs.close()
            return verified

        numbered = list(enumerate(clients))
        workers = [Worker(run, numbered[i::4]) for i in range(4)]
        assert sum(w.result(50) for w in workers) == CLIENTS * MESSAGES
    finally:
        server.stop()
    assert server.served == CLIENTS
    # memory bounded: the server never held more than one batch of one client unsent
    assert server.peak_queued <= BATCH * 2012
