"""FramedSocket on real sockets: round trips, partial reads and writes, EOF, exact reads.

Every test talks over ``socket.socketpair()`` or 127.0.0.1 only, with socket
timeouts so that a bug fails the test instead of hanging it.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from construct import Const, Int8ub, Int24ub, Int32ub, Struct, VarInt

import framing
from framing import (
    COBS,
    SLIP,
    ConnectionClosed,
    Delimited,
    EncodeError,
    FixedLength,
    Frame,
    FramedSocket,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
    recv_exactly,
)

TIMEOUT = 10.0
MiB = 1024 * 1024

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------
# plumbing
# --------------------------------------------------------------------------


class Worker(threading.Thread):
    """A thread whose exception (or result) the test gets back from ``result()``."""

    def __init__(self, target: Callable[..., Any], *args: Any) -> None:
        super().__init__(daemon=True)
        self._call = (target, args)
        self._result: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        target, args = self._call
        try:
            self._result = target(*args)
        except BaseException as error:  # handed to the test thread
            self._error = error

    def result(self, timeout: float = TIMEOUT) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "worker thread did not finish"
        if self._error is not None:
            raise self._error
        return self._result


def socketpair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.settimeout(TIMEOUT)
    b.settimeout(TIMEOUT)
    return a, b


def tcp_pair(**options: int) -> tuple[socket.socket, socket.socket]:
    """A connected 127.0.0.1 pair; ``options`` are SOL_SOCKET options set before connecting."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for name, value in options.items():
            client.setsockopt(socket.SOL_SOCKET, getattr(socket, name), value)
        client.settimeout(TIMEOUT)
        client.connect(listener.getsockname())
        server, _ = listener.accept()
    for name, value in options.items():
        server.setsockopt(socket.SOL_SOCKET, getattr(socket, name), value)
    server.settimeout(TIMEOUT)
    return client, server


@pytest.fixture(params=["socketpair", "tcp"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socketpair() if request.param == "socketpair" else tcp_pair()
    with a, b:
        yield a, b


@pytest.fixture
def sp() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socketpair()
    with a, b:
        yield a, b


class Spy:
    """A socket stand-in that records the send calls made on a real socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.calls: list[tuple[str, list[Any], int]] = []  # (method, buffers, bytes sent)

    def sendmsg(self, buffers: list[Any], *args: Any) -> int:
        sent = self.sock.sendmsg(buffers, *args)
        self.calls.append(("sendmsg", list(buffers), sent))
        return sent

    def send(self, data: Any, *args: Any) -> int:
        sent = self.sock.send(data, *args)
        self.calls.append(("send", [data], sent))
        return sent

    def partial_sends(self) -> int:
        return sum(sent < sum(len(memoryview(b)) for b in bufs) for _, bufs, sent in self.calls)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class Stingy(Spy):
    """A socket that takes at most ``limit`` bytes per call: every send is partial."""

    limit = 7

    def sendmsg(self, buffers: list[Any], *args: Any) -> int:
        head = b"".join(bytes(b) for b in buffers)[: self.limit]
        self.sock.sendall(head)
        self.calls.append(("sendmsg", list(buffers), len(head)))
        return len(head)

    def send(self, data: Any, *args: Any) -> int:
        head = bytes(memoryview(data)[: self.limit])
        self.sock.sendall(head)
        self.calls.append(("send", [data], len(head)))
        return len(head)


# --------------------------------------------------------------------------
# round trips for every codec
# --------------------------------------------------------------------------

TEXT = [b"", b"a", b"hello world", b"abc" * 3000, b"q" * 60000]
BINARY = [b"", b"\x00", b"\xc0\xdb\x00\n\r", bytes(range(256)) * 40]

STRUCT_HEADER = Struct("magic" / Const(b"FR"), "type" / Int8ub, "length" / Int32ub)

CODECS: list[tuple[Any, list[bytes]]] = [
    (FixedLength(11), [b"hello world", b"\x00" * 11, b"01234567890"]),
    (FixedLength(300_000), [b"f" * 300_000, bytes(300_000)]),
    (Delimited(b"\r\n"), TEXT),
    (Lines(), TEXT),
    (Lines(strict_crlf=True), TEXT),
    (LengthPrefixed(), [*TEXT, *BINARY, b"L" * (3 * MiB)]),
    (LengthPrefixed(">H"), [*TEXT, *BINARY]),
    (LengthPrefixed("varint"), [*TEXT, *BINARY, b"V" * MiB]),
    (LengthPrefixed("<Q", includes_header=True), [*TEXT, b"Q" * MiB]),
    (LengthPrefixed(Int24ub), [*TEXT, b"3" * MiB]),
    (LengthPrefixed(VarInt, includes_header=True), [*TEXT, b"v" * MiB]),
    (LengthPrefixed(STRUCT_HEADER), [Frame(m, {"type": 7}) for m in [*TEXT, b"s" * MiB]]),
    (Netstring(), [*TEXT, *BINARY, b"N" * MiB]),
    (COBS(), [*TEXT, *BINARY]),
    (SLIP(), [m for m in TEXT + BINARY if m]),
]


def _id(case: tuple[Any, list[bytes]]) -> str:
    return repr(case[0])


@pytest.mark.parametrize("case", CODECS, ids=_id)
def test_every_codec_round_trips_with_send_and_send_many(
    case: tuple[Any, list[bytes]], pair: tuple[socket.socket, socket.socket]
) -> None:
    codec, messages = case
    a, b = pair
    sender, receiver = FramedSocket(a, codec), FramedSocket(b, codec)

    def send() -> None:
        for message in messages:
            sender.send(message)
        sender.send_many(messages)
        sender.shutdown_write()

    worker = Worker(send)
    assert [receiver.recv() for _ in messages] == messages
    assert list(receiver) == messages  # iteration ends at the clean EOF
    worker.result()
    with pytest.raises(ConnectionClosed):
        receiver.recv()


@pytest.mark.parametrize("message", [b"", b"GET / HTTP/1.0\r\n\r\n", b"u" * (2 * MiB)])
def test_until_close_round_trips_one_message_per_direction(
    message: bytes, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    client, server = FramedSocket(a, UntilClose()), FramedSocket(b, UntilClose())
    worker = Worker(client.send, message)
    assert server.recv() == message
    worker.result()
    worker = Worker(server.send, message[::-1])  # the response, on the same connection
    assert client.recv() == message[::-1]
    worker.result()
    with pytest.raises(ConnectionClosed):
        client.recv()
    with pytest.raises(ConnectionClosed):
        server.recv()


def test_until_close_refuses_a_second_message_before_sending_a_byte(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    client = FramedSocket(a, UntilClose())
    client.send(b"request")
    with pytest.raises(BrokenPipeError) as caught:
        client.send(b"more")
    assert caught.value.errno == errno.EPIPE
    assert "one message" in str(caught.value)
    with pytest.raises(EncodeError):
        FramedSocket(b, UntilClose()).send_many([b"x", b"y"])
    assert FramedSocket(b, UntilClose()).recv() == b"request"


def test_send_after_shutdown_write_is_a_broken_pipe(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    fs = FramedSocket(a, LengthPrefixed())
    fs.send(b"last")
    fs.shutdown_write()
    fs.shutdown_write()  # twice is harmless
    with pytest.raises(BrokenPipeError):
        fs.send(b"late")
    fs.send_many([])  # nothing to send is not an error
    assert list(FramedSocket(b, LengthPrefixed())) == [b"last"]


# --------------------------------------------------------------------------
# partial reads and writes, forced
# --------------------------------------------------------------------------


TRICKLE_CODECS = [c for c in CODECS if not (isinstance(c[0], FixedLength) and c[0].size > 1000)]


@pytest.mark.parametrize("case", TRICKLE_CODECS, ids=_id)
def test_a_peer_writing_one_byte_at_a_time(
    case: tuple[Any, list[bytes]], sp: tuple[socket.socket, socket.socket]
) -> None:
    codec, messages = case
    messages = [m for m in messages if len(m) < 20_000]
    a, b = sp
    wire = b"".join(codec.encode(m) for m in messages)

    def trickle() -> None:
        for i in range(len(wire)):
            a.sendall(wire[i : i + 1])
        a.shutdown(socket.SHUT_WR)

    worker = Worker(trickle)
    assert list(FramedSocket(b, codec, recv_size=3)) == messages
    worker.result()


@pytest.mark.parametrize("recv_size", [1, 2, 5, 4096])
def test_tiny_reads_return_the_same_messages(
    recv_size: int, sp: tuple[socket.socket, socket.socket]
) -> None:
    a, b = sp
    codec = LengthPrefixed()
    messages = [b"", b"x" * 10, b"y" * 5000, b"z"]
    sender = FramedSocket(a, codec)
    worker = Worker(lambda: (sender.send_many(messages), sender.shutdown_write()))
    assert list(FramedSocket(b, codec, recv_size=recv_size)) == messages
    worker.result()


@pytest.mark.parametrize("transport", ["tcp", "socketpair"])
def test_tiny_socket_buffers_force_partial_sends_and_lose_nothing(transport: str) -> None:
    # Loopback TCP with windows below ~16 KiB crawls (delayed ACKs); 16 KiB
    # (the kernel doubles it) still cuts every frame below into pieces.
    size = 16384 if transport == "tcp" else 4096
    if transport == "tcp":
        a, b = tcp_pair(SO_SNDBUF=size, SO_RCVBUF=size)
    else:
        a, b = socketpair()
        for sock in (a, b):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    with a, b:
        spy = Spy(a)
        codec = LengthPrefixed()
        sender = FramedSocket(spy, codec)  # type: ignore[arg-type]
        messages = [bytes([i]) * (100_000 + i) for i in range(6)]
        worker = Worker(lambda: (sender.send(messages[0]), sender.send_many(messages[1:])))
        receiver = FramedSocket(b, codec, recv_size=1000)
        assert [receiver.recv() for _ in messages] == messages
        worker.result()
        assert spy.partial_sends() > 0, "the kernel took every send whole: nothing was forced"


@pytest.mark.parametrize("codec", [LengthPrefixed(), Netstring(), Lines()], ids=repr)
def test_a_socket_that_takes_seven_bytes_per_call(
    codec: Any, sp: tuple[socket.socket, socket.socket]
) -> None:
    a, b = sp
    stingy = Stingy(a)
    messages = [b"", b"small", b"m" * 3000, b"L" * 20_000]
    sender = FramedSocket(stingy, codec)  # type: ignore[arg-type]
    receiver = Worker(lambda: list(FramedSocket(b, codec)))
    for message in messages:
        sender.send(message)
    sender.send_many(messages)
    a.shutdown(socket.SHUT_WR)
    assert receiver.result() == messages * 2
    assert {method for method, _, _ in stingy.calls} == {"send", "sendmsg"}


def test_a_small_send_on_a_full_non_blocking_socket_waits(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    a.setblocking(False)
    filler = 0
    while True:  # bounded by the socket buffer
        try:
            filler += a.send(b"f" * 65536)
        except BlockingIOError:
            break
    receiver = Worker(lambda: (recv_exactly(b, filler), FramedSocket(b, Lines()).recv()))
    FramedSocket(a, Lines()).send(b"after the filler")
    assert receiver.result()[1] == b"after the filler"


def test_a_small_send_that_times_out_is_sent_by_flush(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    a.setblocking(False)
    filler = 0
    while True:
        try:
            filler += a.send(b"f" * 65536)
        except BlockingIOError:
            break
    a.settimeout(0.1)
    sender = FramedSocket(a, Lines())
    with pytest.raises(TimeoutError):
        sender.send(b"queued")
    with pytest.raises(TimeoutError):
        sender.send(b"behind it")  # goes behind the queued frame
    a.settimeout(TIMEOUT)
    receiver = Worker(lambda: (recv_exactly(b, filler), FramedSocket(b, Lines()).recv_until(b"t")))
    sender.flush()
    assert receiver.result()[1] == b"queued\nbehind i"


def test_a_64_mib_message_through_length_prefixed(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    payload = os.urandom(1024) * (64 * 1024)
    codec = LengthPrefixed(max_length=64 * MiB)
    worker = Worker(FramedSocket(a, codec).send_many, [payload, b"after"])
    receiver = FramedSocket(b, codec)
    assert receiver.recv() == payload
    assert receiver.recv() == b"after"
    worker.result()


def test_send_puts_header_and_uncopied_payload_in_one_sendmsg(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    spy = Spy(a)
    payload = bytearray(b"p" * 100_000)
    worker = Worker(FramedSocket(b, LengthPrefixed()).recv)
    FramedSocket(spy, LengthPrefixed()).send(payload)  # type: ignore[arg-type]
    assert worker.result() == payload
    method, buffers, _ = spy.calls[0]
    assert method == "sendmsg"
    assert bytes(buffers[0]) == struct.pack("!I", len(payload))
    assert isinstance(buffers[1], memoryview)
    assert buffers[1].obj is payload  # a view of the caller's buffer, not a copy


def test_send_many_small_frames_is_one_system_call(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    spy = Spy(a)
    messages = [b"m%d" % i for i in range(1000)]
    FramedSocket(spy, Netstring()).send_many(messages)  # type: ignore[arg-type]
    assert len(spy.calls) == 1
    a.shutdown(socket.SHUT_WR)
    assert list(FramedSocket(b, Netstring())) == messages


def test_send_many_splits_a_vector_longer_than_iov_max(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    from framing.adapters.sockio import IOV_MAX

    a, b = sp
    spy = Spy(a)
    messages = [bytes([i % 256]) * 1500 for i in range(IOV_MAX + 200)]  # 2 buffers per frame
    worker = Worker(FramedSocket(spy, LengthPrefixed()).send_many, messages)  # type: ignore[arg-type]
    receiver = FramedSocket(b, LengthPrefixed())
    assert [receiver.recv() for _ in messages] == messages
    worker.result()
    assert all(len(buffers) <= IOV_MAX for _, buffers, _ in spy.calls)
    assert len(spy.calls) >= 2


# --------------------------------------------------------------------------
# EOF and resets
# --------------------------------------------------------------------------


def test_clean_eof_between_frames_is_connection_closed(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    a.sendall(LengthPrefixed().encode(b"one"))
    a.close()
    fs = FramedSocket(b, LengthPrefixed())
    assert fs.recv() == b"one"
    with pytest.raises(ConnectionClosed):
        fs.recv()
    with pytest.raises(ConnectionClosed):  # and on every call after it
        fs.recv()
    assert list(fs) == []


@pytest.mark.parametrize(
    ("codec", "wire"),
    [
        (LengthPrefixed(), b"\x00\x00"),  # mid-header
        (LengthPrefixed(), b"\x00\x00\x00\x09abc"),  # mid-payload
        (LengthPrefixed(), b"\x00\x20\x00\x00" + b"x" * 200_000),  # mid-payload, large
        (Netstring(), b"300000:" + b"n" * 300_000),  # large, EOF before the comma
        (FixedLength(200_000), b"f" * 150_000),
        (Lines(), b"no newline"),
    ],
)
def test_eof_mid_frame_is_incomplete_frame_with_every_byte(
    codec: Any, wire: bytes, sp: tuple[socket.socket, socket.socket]
) -> None:
    a, b = sp
    worker = Worker(lambda: (a.sendall(wire), a.close()))
    fs = FramedSocket(b, codec)
    with pytest.raises(IncompleteFrame) as caught:
        fs.recv()
    worker.result()
    assert caught.value.partial == wire
    with pytest.raises(IncompleteFrame):  # it stays failed
        fs.recv()


def test_a_large_netstring_without_its_comma_is_invalid(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    worker = Worker(a.sendall, b"300000:" + b"n" * 300_000 + b";")
    with pytest.raises(InvalidFrame):
        FramedSocket(b, Netstring()).recv()
    worker.result()


def test_connection_reset_by_peer_stays_connection_reset_error() -> None:
    a, b = tcp_pair()
    with a, b:
        a.sendall(b"\x00\x00\x01\x00partial")
        a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        a.close()  # SO_LINGER 0: the kernel sends RST
        with pytest.raises(ConnectionResetError):
            FramedSocket(b, LengthPrefixed()).recv()


def test_codec_errors_pass_through_and_stick(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.sendall(LengthPrefixed(max_length=10).encode(b"ok") + b"\x00\x00\x01\x00")
    fs = FramedSocket(b, LengthPrefixed(max_length=10))
    assert fs.recv() == b"ok"
    with pytest.raises(FrameTooLarge) as caught:
        fs.recv()
    assert caught.value.length == 256
    with pytest.raises(FrameTooLarge):
        fs.recv()


# --------------------------------------------------------------------------
# exact reads over the same buffer, switch
# --------------------------------------------------------------------------


def test_a_preface_a_line_then_frames_lose_no_byte(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    codec = LengthPrefixed(">H")
    wire = b"MAGC" + b"HELLO v1\r\n" + codec.encode(b"one") + codec.encode(b"two") + b"tail"
    a.sendall(wire)
    fs = FramedSocket(b, codec)
    assert fs.recv_exactly(4) == b"MAGC"
    assert fs.recv_until(b"\r\n") == b"HELLO v1"
    assert fs.recv() == b"one"
    assert fs.recv_exactly(0) == b""
    assert fs.recv_exactly(2) == b"\x00\x03"  # raw bytes of the next frame, taken from the decoder
    assert fs.recv_exactly(3) == b"two"
    assert fs.recv_until(b"l", 10) == b"tai"
    a.close()
    with pytest.raises(ConnectionClosed):
        fs.recv()


def test_exact_reads_byte_at_a_time(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    wire = b"PREFACE!" + b"line one\r\n" + b"x" * 5 + b"\r" + b"\nrest"

    def trickle() -> None:
        for i in range(len(wire)):
            a.sendall(wire[i : i + 1])
        a.close()

    worker = Worker(trickle)
    fs = FramedSocket(b, Lines(), recv_size=1)
    assert fs.recv_exactly(8) == b"PREFACE!"
    assert fs.recv_until(b"\r\n") == b"line one"
    assert fs.recv_until(b"\r\n") == b"xxxxx"  # the delimiter split across two reads
    with pytest.raises(IncompleteFrame) as caught:
        fs.recv_until(b"\r\n")
    assert caught.value.partial == b"rest"
    with pytest.raises(IncompleteFrame):  # the bytes stayed buffered: the codec reports them too
        fs.recv()
    assert fs.recv_exactly(4) == b"rest"
    with pytest.raises(ConnectionClosed):
        fs.recv_exactly(1)
    with pytest.raises(ConnectionClosed):
        fs.recv_until(b"\n")
    worker.result()


def test_recv_exactly_at_eof(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.sendall(b"ab")
    a.close()
    fs = FramedSocket(b, LengthPrefixed())
    with pytest.raises(IncompleteFrame) as caught:
        fs.recv_exactly(5)
    assert caught.value.partial == b"ab"
    assert fs.recv_exactly(2) == b"ab"
    with pytest.raises(ConnectionClosed):
        fs.recv_exactly(5)
    with pytest.raises(ValueError, match="-1"):
        fs.recv_exactly(-1)


def test_recv_exactly_of_a_large_block_in_place(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    block = os.urandom(3 * MiB)
    worker = Worker(lambda: (a.sendall(b"hdr" + block + b"after"), a.close()))
    fs = FramedSocket(b, Lines())
    assert fs.recv_exactly(3) == b"hdr"
    assert fs.recv_exactly(len(block)) == block
    with pytest.raises(IncompleteFrame) as caught:
        fs.recv_exactly(MiB)  # EOF part-way through a large exact read
    assert caught.value.partial == b"after"
    worker.result()


def test_recv_exactly_large_at_eof_with_nothing(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.close()
    with pytest.raises(ConnectionClosed):
        FramedSocket(b, Lines()).recv_exactly(MiB)


def test_recv_until_too_long_consumes_nothing(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.sendall(b"0123456789ABCDEF\n")
    fs = FramedSocket(b, Lines())
    with pytest.raises(FrameTooLarge) as caught:
        fs.recv_until(b"\n", max_length=8)
    assert caught.value.max_length == 8
    # another delimiter, after a search for b"\n" that stopped half-way
    assert fs.recv_until(b"9", max_length=20) == b"012345678"
    assert fs.recv_until(b"\n", max_length=6) == b"ABCDEF"  # exactly max_length is fine
    with pytest.raises(ValueError, match="empty"):
        fs.recv_until(b"")


def test_recv_until_finds_a_multibyte_delimiter_split_across_reads(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    fs = FramedSocket(b, Lines(), recv_size=4)
    a.sendall(b"abc\r\n\r")
    b.settimeout(0.05)
    with pytest.raises(TimeoutError):
        fs.recv_until(b"\r\n\r\n")
    a.sendall(b"\nnext\n")
    assert fs.recv_until(b"\r\n\r\n") == b"abc"
    assert fs.recv() == b"next"


def test_switch_changes_codec_both_ways_without_losing_a_byte(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sp
    client, server = FramedSocket(a, Lines()), FramedSocket(b, Lines())
    binary = LengthPrefixed("!I")
    client.send(b"STARTTLS-ish: switch to binary")
    a.sendall(binary.encode(b"\x00frame one\n") + binary.encode(b"two"))  # in the same read
    assert server.recv() == b"STARTTLS-ish: switch to binary"
    server.switch(binary)
    assert server.codec == binary
    assert server.recv() == b"\x00frame one\n"
    assert server.recv() == b"two"
    server.send(b"binary reply")
    client.switch(binary)
    assert client.recv() == b"binary reply"
    a.close()
    server.switch(Lines())
    with pytest.raises(ConnectionClosed):
        server.recv()


def test_switch_after_eof_keeps_the_eof(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.sendall(b"x\n")
    a.close()
    fs = FramedSocket(b, Lines())
    assert list(fs) == [b"x"]
    fs.switch(Netstring())
    with pytest.raises(ConnectionClosed):
        fs.recv()


def test_switch_takes_bytes_left_by_an_exact_read(sp: tuple[socket.socket, socket.socket]) -> None:
    a, b = sp
    a.sendall(b"PING\n" + Netstring().encode(b"framed"))
    a.close()
    fs = FramedSocket(b, Lines())
    assert fs.recv_until(b"\n") == b"PING"
    fs.switch(Netstring())
    assert list(fs) == [b"framed"]


# --------------------------------------------------------------------------
# the object itself
# --------------------------------------------------------------------------


def test_context_manager_binds_itself_and_closes_the_socket(
    sp: tuple[socket.socket, socket.socket],
) -> None:
    a, _ = sp
    fs = FramedSocket(a, Lines())
    with fs as bound:
        assert bound is fs
        assert fs.socket is a
        assert fs.fileno() == a.fileno() >= 0
        assert "Lines" in repr(fs)
    assert a.fileno() == -1


def test_recv_size_must_be_positive(sp: tuple[socket.socket, socket.socket]) -> None:
    with pytest.raises(ValueError, match="recv_size"):
        FramedSocket(sp[0], Lines(), recv_size=0)


def test_everything_is_exported_from_framing() -> None:
    assert framing.FramedSocket is FramedSocket
    for name in ("connect", "send_all", "recv_exactly", "recv_until"):
        assert getattr(framing, name) is getattr(framing.socket, name)


# --------------------------------------------------------------------------
# connect()
# --------------------------------------------------------------------------


def test_connect_tcp_sets_nodelay_and_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        host, port = listener.getsockname()
        with framing.connect((host, port), Lines(), timeout=3.0) as fs:
            conn, _ = listener.accept()
            with conn:
                assert fs.socket.gettimeout() == 3.0
                assert fs.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                fs.send(b"hi")
                assert FramedSocket(conn, Lines()).recv() == b"hi"


def test_connect_unix_domain_path(tmp_path: Any) -> None:
    path = tmp_path / "framing.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen()
        with framing.connect(path, Netstring(), timeout=TIMEOUT, recv_size=16) as fs:
            conn, _ = listener.accept()
            with conn:
                assert fs.socket.family == socket.AF_UNIX
                FramedSocket(conn, Netstring()).send(b"local")
                assert fs.recv() == b"local"


def test_connect_to_nothing_raises_and_leaks_nothing(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError):
        framing.connect(str(tmp_path / "missing.sock"), Lines())
