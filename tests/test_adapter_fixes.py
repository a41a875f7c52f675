"""Cases from the connection issue, each failing before its fix: the adapters under attack.

A selectors server that serves a client who half-closes, survives clients that
misbehave and stays bounded under a flood of bad frames; a socket whose
``switch()`` cannot slip between a frame's encoding and its send; queued or
unsent bytes that do not change when the caller reuses its ``bytearray``; a
``str`` where bytes belong; an asyncio stream that delivers a stream's tail.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from construct import Const, Int8ub, Int16ub, Struct

import framing
import framing.aio
from framing import FramedConnection, FramedSocket, LengthPrefixed, Lines
from test_socket import TIMEOUT, Worker

pytestmark = pytest.mark.timeout(60)


def serve_readme_loop(
    listener: socket.socket, stop: threading.Event, codec: Any, closed: list[str]
) -> None:
    """The README's selectors echo loop, until ``stop``; why it closed each connection."""
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    while not stop.is_set():
        for key, mask in sel.select(timeout=0.05):
            if key.fileobj is listener:
                conn = framing.FramedConnection(listener.accept()[0], codec)
                sel.register(conn, conn.events)
                continue
            conn = key.fileobj
            try:
                if mask & selectors.EVENT_READ:
                    for message in conn.receive():
                        conn.send(message)
                conn.flush()
            except (framing.FramingError, OSError) as error:
                closed.append(type(error).__name__)
                sel.unregister(conn)
                conn.close()
                continue
            sel.modify(conn, conn.events)
    for key in list(sel.get_map().values()):
        if key.fileobj is not listener:
            key.fileobj.close()
    sel.close()


@pytest.fixture
def readme_server() -> Iterator[tuple[tuple[str, int], list[str]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    closed: list[str] = []
    thread = threading.Thread(
        target=serve_readme_loop, args=(listener, stop, LengthPrefixed(), closed)
    )
    thread.start()
    try:
        yield listener.getsockname()[:2], closed
    finally:
        stop.set()
        thread.join(TIMEOUT)
        listener.close()


def test_a_client_that_half_closes_gets_every_reply(
    readme_server: tuple[tuple[str, int], list[str]],
) -> None:
    address, _ = readme_server
    big = bytes(range(256)) * 4096 * 16  # 16 MiB: far more than the socket buffers hold
    with framing.connect(address, LengthPrefixed(), timeout=TIMEOUT) as fs:

        def send() -> None:
            fs.send_many([big, b"after"])
            fs.shutdown_write()  # as `framing send` does

        sender = Worker(send)
        time.sleep(0.5)  # a slow reader: replies pile up in the server's queue meanwhile
        assert fs.recv() == big
        sender.result()
        assert fs.recv() == b"after"
        with pytest.raises(framing.ConnectionClosed):
            fs.recv()


def test_bad_clients_close_only_their_own_connection(
    readme_server: tuple[tuple[str, int], list[str]],
) -> None:
    address, closed = readme_server
    good = framing.connect(address, LengthPrefixed(), timeout=TIMEOUT)
    with good:
        good.send(b"before")
        assert good.recv() == b"before"
        bad_inputs = [
            b"\x00\x00\x00\x10abc",  # a frame cut short by the close
            b"\xff\xff\xff\xff",  # a header far over max_length
        ]
        for wire in bad_inputs:
            with socket.create_connection(address, timeout=TIMEOUT) as bad:
                bad.sendall(wire)
        with socket.create_connection(address, timeout=TIMEOUT) as reset:
            linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # on, 0 s: close() resets
            reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            reset.sendall(b"\x00\x00")  # then an RST, not a FIN
        deadline = time.monotonic() + TIMEOUT
        while len(closed) < 3 and time.monotonic() < deadline:
            good.send(b"ping")
            assert good.recv() == b"ping"  # the good client is served throughout
        assert len(closed) == 3
        assert {"FrameTooLarge", "IncompleteFrame"} <= set(closed)
        assert set(closed) <= {"FrameTooLarge", "IncompleteFrame", "ConnectionResetError"}
        good.send(b"after")
        assert good.recv() == b"after"


def test_repeated_bad_frames_do_not_grow_a_connection() -> None:
    a, b = socket.socketpair()
    with a, b:
        conn = FramedConnection(a, Lines(max_length=16), recv_size=4096)
        line = b"x" * 100 + b"\n"
        b.sendall(line * 2000)  # 200 KB of too-long lines, far more than one read
        errors = 0
        for _ in range(5000):
            try:
                list(conn.receive())
            except framing.FrameTooLarge:
                errors += 1
            except BlockingIOError:  # pragma: no cover - receive() never lets it out
                raise
            assert conn.connection.buffered <= 16 + 4096 + len(line)
            if errors == 2000:
                break
        assert errors == 2000


def test_a_queued_bytearray_goes_out_as_it_was_sent() -> None:
    a, b = socket.socketpair()
    b.settimeout(TIMEOUT)
    with a, b:
        conn = FramedConnection(a, LengthPrefixed())
        message = bytearray(b"A" * 4096)
        conn.send(message)
        message[:] = b"B" * 4096  # reused by the application before the flush
        message.append(0)  # and resized: no BufferError
        assert conn.flush()
        assert FramedSocket(b, LengthPrefixed()).recv() == b"A" * 4096


def test_the_unsent_rest_after_a_timeout_is_what_was_sent() -> None:
    a, b = socket.socketpair()
    b.settimeout(TIMEOUT)
    with a, b:
        a.settimeout(0.05)
        sender = FramedSocket(a, LengthPrefixed())
        message = bytearray(b"A" * (4 << 20))
        with pytest.raises(TimeoutError):
            sender.send(message)  # the peer does not read yet
        message[:] = b"B" * len(message)  # reused after the timeout
        worker = Worker(lambda: FramedSocket(b, LengthPrefixed()).recv())
        a.settimeout(TIMEOUT)
        sender.flush()
        assert worker.result() == b"A" * (4 << 20)


def test_switch_waits_for_a_send_that_is_encoding() -> None:
    entered, release = threading.Event(), threading.Event()

    class Slow(framing.Codec):
        max_length = 16

        def encode(self, message: Any) -> bytes:
            entered.set()
            assert release.wait(TIMEOUT)
            return b"old:" + bytes(message)

        def decoder(self) -> framing.Decoder:
            return Lines().decoder()

    a, b = socket.socketpair()
    with a, b:
        fs = FramedSocket(a, Slow())
        sender = Worker(lambda: fs.send(b"m"))
        assert entered.wait(TIMEOUT)
        switched = threading.Event()
        switcher = Worker(lambda: (fs.switch(Lines()), switched.set()))
        assert not switched.wait(0.2), "switch() returned while a frame was being encoded"
        release.set()
        sender.result()
        switcher.result()
        fs.send(b"new")
        b.settimeout(TIMEOUT)
        received = b""
        while not received.endswith(b"new\n"):
            received += b.recv(100)
        assert received == b"old:mnew\n"


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda: Lines().encode("text"), "a message"),
        (lambda: LengthPrefixed().encode_parts("text"), "a message"),
        (lambda: Lines().decoder().feed("text"), "received data"),
        (lambda: framing.Delimited("\r\n"), "the delimiter"),
    ],
)
def test_text_where_bytes_belong_says_how_to_encode_it(call: Any, what: str) -> None:
    with pytest.raises(TypeError, match=rf"{what} must be bytes, not str: encode it first"):
        call()


def test_aio_delivers_the_tail_of_a_stream_that_ends_mid_batch() -> None:
    # `async for` with an await in the body: EOF arrives while a batch is handed out.
    async def main() -> list[bytes]:
        got: list[bytes] = []
        done = asyncio.Event()

        async def handler(stream: framing.aio.FramedStream) -> None:
            async for line in stream:
                got.append(line)
                await asyncio.sleep(0.01)
            done.set()

        codec = Lines(allow_unterminated=True)
        server = await framing.aio.start_server(handler, "127.0.0.1", 0, codec)
        async with server:
            port = server.sockets[0].getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"one\ntwo\nlast")
            writer.write_eof()
            await asyncio.wait_for(done.wait(), TIMEOUT)
            writer.close()
            await writer.wait_closed()
        return got

    assert asyncio.run(main()) == [b"one", b"two", b"last"]


def test_aio_runs_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> list[bytes]:
        async def echo(stream: framing.aio.FramedStream) -> None:
            async for message in stream:
                await stream.send(message)

        server = await framing.aio.start_server(echo, "127.0.0.1", 0, LengthPrefixed())
        async with server:
            port = server.sockets[0].getsockname()[1]
            stream = await asyncio.wait_for(
                framing.aio.open_connection("127.0.0.1", port, LengthPrefixed()), TIMEOUT
            )
            async with stream:
                await stream.send_many([b"one", b"two"])
                return [await asyncio.wait_for(stream.recv(), TIMEOUT) for _ in range(2)]

    loop = uvloop.new_event_loop()
    try:
        assert loop.run_until_complete(main()) == [b"one", b"two"]
    finally:
        loop.close()


def test_the_selectors_example_serves_on_past_bad_clients(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from framing.examples import selectors_server

    listener = socket.create_server(("127.0.0.1", 0))
    address = listener.getsockname()[:2]
    server = Worker(lambda: selectors_server.serve(listener, clients=4))
    try:
        good = framing.connect(address, Lines(max_length=1024), timeout=TIMEOUT)
        with good:
            good.send(b"first")
            assert good.recv() == b"FIRST"
            with socket.create_connection(address, timeout=TIMEOUT) as bad:
                bad.sendall(b"x" * 2000 + b"\n")  # a line over max_length
                assert bad.recv(100) == b""  # closed by the server
            with socket.create_connection(address, timeout=TIMEOUT) as reset:
                linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"
                reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                reset.sendall(b"half a li")  # then an RST, not a FIN
            with socket.create_connection(address, timeout=TIMEOUT) as quiet:
                quiet.sendall(b"")
            good.send(b"second")
            assert good.recv() == b"SECOND"  # still served
        server.result()
    finally:
        listener.close()
    out = capsys.readouterr().out
    assert "FrameTooLarge" in out


def test_a_stalled_large_frame_costs_what_arrived_not_what_was_announced() -> None:
    import tracemalloc

    a, b = socket.socketpair()
    with a, b:
        b.settimeout(0.2)
        receiver = FramedSocket(b, LengthPrefixed())
        a.sendall(b"\x01\x00\x00\x00" + b"x" * 100)  # announces 16 MiB, sends 100 bytes
        tracemalloc.start()
        try:
            with pytest.raises(TimeoutError):
                receiver.recv()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 1 << 20, f"{peak} bytes held for 104 that arrived"
        sender = Worker(lambda: a.sendall(b"y" * ((1 << 24) - 100)))  # the rest
        b.settimeout(TIMEOUT)
        assert receiver.recv() == b"x" * 100 + b"y" * ((1 << 24) - 100)  # nothing was lost
        sender.result()


def test_aio_logs_a_bad_peer_in_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        finished = asyncio.Event()

        async def handler(stream: framing.aio.FramedStream) -> None:
            try:
                await stream.recv()
            finally:
                finished.set()

        server = await framing.aio.start_server(handler, "127.0.0.1", 0, LengthPrefixed())
        async with server:
            port = server.sockets[0].getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"\xff\xff\xff\xff")  # a header far over max_length
            await asyncio.wait_for(finished.wait(), TIMEOUT)
            writer.close()
            await writer.wait_closed()
            await asyncio.sleep(0.05)  # the handler task's logging

    with caplog.at_level("DEBUG", logger="framing.aio"):
        asyncio.run(main())
    [record] = [r for r in caplog.records if r.name == "framing.aio"]
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert "FrameTooLarge: frame of 4294967295 bytes exceeds max_length" in record.getMessage()


def test_socketserver_handler_logs_a_bad_peer_in_one_line(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    import socketserver

    class Echo(framing.FramedRequestHandler):
        codec = LengthPrefixed(max_length=100)

        def handle_message(self, message: bytes) -> bytes:
            return message

    with caplog.at_level("WARNING", logger="framing.server"):
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
        with server:
            thread = threading.Thread(target=server.serve_forever)
            thread.start()
            try:
                with socket.create_connection(server.server_address, timeout=TIMEOUT) as bad:
                    bad.sendall(b"\x00\x00\x10\x00")  # 4096 bytes, over max_length
                    assert bad.recv(10) == b""  # closed
                with framing.connect(server.server_address, Echo.codec, timeout=TIMEOUT) as good:
                    good.send(b"still here")
                    assert good.recv() == b"still here"
            finally:
                server.shutdown()
                thread.join(TIMEOUT)
    [record] = [r for r in caplog.records if r.name == "framing.server"]
    expected = "FrameTooLarge: frame of 4096 bytes exceeds max_length of 100 bytes"
    assert expected in record.getMessage()
    assert "Traceback" not in capsys.readouterr().err


def test_receive_called_twice_before_iterating_hands_each_message_out_once() -> None:
    a, b = socket.socketpair()
    with a, b:
        conn = FramedConnection(a, Lines())
        b.sendall(b"one\ntwo\n")
        first = conn.receive()  # reads both lines
        assert next(first) == b"one"
        second, third = conn.receive(), conn.receive()  # "two" is held once
        assert list(third) == [b"two"]
        assert list(second) == []
        assert list(first) == []


def test_a_read_only_view_of_a_bytearray_is_copied_when_queued() -> None:
    a, b = socket.socketpair()
    b.settimeout(TIMEOUT)
    with a, b:
        conn = FramedConnection(a, LengthPrefixed())
        data = bytearray(b"A" * 4096)
        conn.send(memoryview(data).toreadonly())
        data[:] = b"B" * 4096
        assert conn.flush()
        assert FramedSocket(b, LengthPrefixed()).recv() == b"A" * 4096


def test_a_handler_bug_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    import socketserver

    errors: list[BaseException] = []

    class Buggy(framing.FramedRequestHandler):
        codec = LengthPrefixed()

        def handle_message(self, message: bytes) -> bytes:
            raise FileNotFoundError("a bug of the handler, not the peer's doing")

    class Server(socketserver.ThreadingTCPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            import sys

            errors.append(sys.exc_info()[1])  # type: ignore[arg-type]

    with caplog.at_level("WARNING", logger="framing.server"):
        server = Server(("127.0.0.1", 0), Buggy)
        with server:
            thread = threading.Thread(target=server.serve_forever)
            thread.start()
            try:
                with framing.connect(server.server_address, Buggy.codec, timeout=TIMEOUT) as fs:
                    fs.send(b"x")
                    with pytest.raises(framing.ConnectionClosed):
                        fs.recv()
            finally:
                server.shutdown()
                thread.join(TIMEOUT)
    assert [type(error) for error in errors] == [FileNotFoundError]
    assert not [r for r in caplog.records if r.name == "framing.server"]


HEADER_CODEC = LengthPrefixed(
    Struct("magic" / Const(b"FR"), "type" / Int8ub, "length" / Int16ub)
)


def test_every_adapter_sends_a_structs_fields_as_keywords() -> None:
    a, b = socket.socketpair()
    with a, b:
        b.settimeout(TIMEOUT)
        receiver = FramedSocket(b, HEADER_CODEC)
        FramedSocket(a, HEADER_CODEC).send(b"ping", type=1)
        conn = FramedConnection(a, HEADER_CODEC)
        conn.send(b"pong", type=2)
        assert conn.flush()
        first, second = receiver.recv(), receiver.recv()
        assert (first, first.fields) == (b"ping", {"type": 1})  # type: ignore[attr-defined]
        assert (second, second.fields) == (b"pong", {"type": 2})  # type: ignore[attr-defined]

        async def main() -> None:
            stream = await framing.aio.wrap_streams(
                *await asyncio.open_connection(sock=a.dup()), HEADER_CODEC
            )
            async with stream:
                await stream.send(b"aio", type=3)

        asyncio.run(main())
        third = receiver.recv()
        assert (third, third.fields) == (b"aio", {"type": 3})  # type: ignore[attr-defined]


def test_fields_for_a_codec_whose_frames_carry_none_are_refused() -> None:
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(framing.EncodeError, match="has no fields"):
            FramedSocket(a, LengthPrefixed()).send(b"x", type=1)
        with pytest.raises(TypeError, match="unexpected keyword argument 'type'"):
            FramedConnection(a, Lines()).send(b"x", type=1)


def test_a_framed_socket_over_tls_sends_small_and_large_frames(tmp_path: Any) -> None:
    """An ``ssl.SSLSocket`` takes no send flags and no ``sendmsg``: frames still go out whole."""
    import ssl

    from test_aio_server import _self_signed

    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    messages = [b"small", b"L" * (3 << 20), b"", b"last"]
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT)

        def serve() -> list[bytes]:
            conn, _ = listener.accept()
            with server_context.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(TIMEOUT)
                # message_timeout: the waits go through poll, which cannot see the
                # bytes TLS has decrypted already (pending()).
                return list(FramedSocket(tls, LengthPrefixed(), message_timeout=TIMEOUT))

        server = Worker(serve)
        plain = socket.create_connection(listener.getsockname()[:2], TIMEOUT)
        tls = client_context.wrap_socket(plain, server_hostname="127.0.0.1")
        tls.settimeout(None)  # blocking, as framing.connect() makes it
        with FramedSocket(tls, LengthPrefixed()) as fs:
            for message in messages[:2]:
                fs.send(message)
            fs.send_many(messages[2:])
            fs.shutdown_write()  # a ragged EOF: the server's iteration ends there
            assert server.result() == messages
