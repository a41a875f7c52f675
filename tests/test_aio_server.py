"""framing.aio servers: many clients at once, handler failures, TLS, and blocking peers.

The interoperation tests pair an asyncio side with a blocking
``FramedSocket`` in a thread: one codec definition serves both.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

import framing
import framing.aio
from framing import ConnectionClosed, FramedSocket, LengthPrefixed, Lines, UntilClose
from framing.aio import FramedStream
from test_aio import BIG, ECHO_CASES, LOCALHOST, echo, run, serving, wait_until

# --------------------------------------------------------------------------
# many clients through one server
# --------------------------------------------------------------------------


def test_200_concurrent_clients_of_200_messages_each_get_every_echo() -> None:
    codec = LengthPrefixed("varint")
    clients = messages = 200

    async def client(port: int, number: int) -> list[bytes]:
        sent = [b"client %d message %d " % (number, i) + b"." * (i % 50) for i in range(messages)]
        stream = await framing.aio.open_connection(LOCALHOST, port, codec)
        async with stream:
            got: list[bytes] = []
            for start in range(0, messages, 50):  # in batches, some one by one
                batch = sent[start : start + 50]
                if start % 100:
                    for message in batch:
                        await stream.send(message)
                else:
                    await stream.send_many(batch)
                got.extend([await stream.recv() for _ in batch])
            stream.shutdown_write()
            with pytest.raises(ConnectionClosed):  # the echo handler returned: clean EOF
                await stream.recv()
        assert got == sent
        return got

    async def main() -> float:
        async with serving(echo, codec, backlog=clients) as port:  # backlog: to create_server
            started = time.perf_counter()
            results = await asyncio.gather(*(client(port, n) for n in range(clients)))
            elapsed = time.perf_counter() - started
        assert sum(map(len, results)) == clients * messages
        return elapsed

    elapsed = run(main(), timeout=60)
    assert elapsed < 30, f"40,000 echoes took {elapsed:.1f} s"


# --------------------------------------------------------------------------
# handlers
# --------------------------------------------------------------------------


def test_a_failing_handler_is_logged_closes_its_connection_and_the_server_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    codec = Lines()

    async def handler(stream: FramedStream) -> None:
        message = await stream.recv()
        if message == b"fail":
            raise ValueError("the handler failed on purpose")
        await stream.send(b"served " + message)

    async def main() -> None:
        async with serving(handler, codec) as port:
            bad = await framing.aio.open_connection(LOCALHOST, port, codec)
            await bad.send(b"fail")
            with pytest.raises(ConnectionClosed):
                await bad.recv()
            good = await framing.aio.open_connection(LOCALHOST, port, codec)
            await good.send(b"ok")
            assert await good.recv() == b"served ok"
            bad.close()
            good.close()

    with caplog.at_level(logging.DEBUG, logger="framing.aio"):
        run(main())
    failures = [r for r in caplog.records if r.name == "framing.aio" and r.exc_info]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR
    assert "failed on purpose" in str(failures[0].exc_info[1])  # type: ignore[index]


def test_a_handler_ended_by_the_peers_eof_is_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    codec = Lines()

    async def handler(stream: FramedStream) -> None:
        while True:  # recv() past the end raises ConnectionClosed out of the handler
            await stream.send(await stream.recv())

    async def main() -> None:
        async with serving(handler, codec) as port:
            stream = await framing.aio.open_connection(LOCALHOST, port, codec)
            await stream.send(b"one")
            assert await stream.recv() == b"one"
            stream.shutdown_write()
            with pytest.raises(ConnectionClosed):
                await stream.recv()
            stream.close()

    with caplog.at_level(logging.DEBUG, logger="framing.aio"):
        run(main())
    records = [r for r in caplog.records if r.name == "framing.aio"]
    assert [r.levelno for r in records] == [logging.DEBUG]


def test_the_stream_is_closed_when_the_handler_returns() -> None:
    codec = Lines()
    handled: list[FramedStream] = []

    async def handler(stream: FramedStream) -> None:
        handled.append(stream)
        await stream.send(b"bye")

    async def main() -> None:
        async with serving(handler, codec) as port:
            stream = await framing.aio.open_connection(LOCALHOST, port, codec)
            assert [m async for m in stream] == [b"bye"]
            await handled[0].wait_closed()
            assert handled[0].is_closing()
            stream.close()

    run(main())


# --------------------------------------------------------------------------
# TLS through the kwargs
# --------------------------------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_tls_server_and_client_through_the_ssl_kwarg(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    codec = LengthPrefixed("!I")

    async def main() -> None:
        async with serving(echo, codec, ssl=server_context) as port:
            stream = await framing.aio.open_connection(
                LOCALHOST, port, codec, ssl=client_context
            )
            async with stream:
                assert stream.get_extra_info("ssl_object") is not None
                await stream.send_many([b"secret", BIG])
                assert await stream.recv() == b"secret"
                assert await stream.recv() == BIG

    run(main(), timeout=30)


def test_until_close_over_tls_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    received: list[bytes] = []

    async def collect(stream: FramedStream) -> None:
        received.extend([m async for m in stream])

    async def main() -> None:
        async with serving(collect, UntilClose(), ssl=server_context) as port:
            stream = await framing.aio.open_connection(
                LOCALHOST, port, UntilClose(), ssl=client_context
            )
            async with stream:
                with pytest.raises(NotImplementedError, match="half-close"):
                    await stream.send(b"needs a half-close")
                with pytest.raises(NotImplementedError, match="half-close"):
                    await stream.send_many([b"needs a half-close"])
                with pytest.raises(NotImplementedError, match="half-close"):
                    stream.shutdown_write()
            await wait_until(lambda: received)
        assert received == [b""]  # the stream ended without the message: nothing was sent

    run(main(), timeout=30)


def test_tls_stream_paused_for_reading_still_closes(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    codec = LengthPrefixed("!I")

    async def flood(stream: FramedStream) -> None:
        await stream.send_many([b"f" * 1000] * 4000)
        await stream.wait_closed()

    async def main() -> None:
        async with serving(flood, codec, ssl=server_context) as port:
            stream = await framing.aio.open_connection(
                LOCALHOST, port, codec, ssl=client_context, limit=4096
            )
            for _ in range(1000):
                if stream.reading_paused:
                    break
                await asyncio.sleep(0.005)
            assert stream.reading_paused
            stream.close()  # TLS must still read the peer's close_notify
            await stream.wait_closed()

    run(main(), timeout=30)


# --------------------------------------------------------------------------
# interoperation with blocking FramedSocket peers
# --------------------------------------------------------------------------


def _blocking_echo_client(port: int, codec: framing.Codec, messages: list[bytes]) -> list[bytes]:
    """A FramedSocket client: one by one, then pipelined, then half-close; returns the echoes."""
    with framing.connect((LOCALHOST, port), codec, timeout=10) as fs:
        got = []
        for message in messages:
            fs.send(message)
            got.append(fs.recv())
        fs.send_many(messages)
        got.extend(fs.recv() for _ in messages)
        fs.shutdown_write()
        with pytest.raises(ConnectionClosed):
            fs.recv()
    return got


@pytest.mark.parametrize(("codec", "messages"), ECHO_CASES, ids=lambda x: repr(x)[:40])
def test_asyncio_server_and_blocking_client_exchange_frames(
    codec: framing.Codec, messages: list[bytes]
) -> None:
    async def main() -> list[bytes]:
        async with serving(echo, codec) as port:
            return await asyncio.to_thread(_blocking_echo_client, port, codec, messages)

    assert run(main(), timeout=30) == messages + messages


def test_asyncio_server_and_blocking_client_until_close() -> None:
    codec = UntilClose()

    def client(port: int) -> bytes:
        with framing.connect((LOCALHOST, port), codec, timeout=10) as fs:
            fs.send(b"request body")  # then half-closes
            return fs.recv()

    async def main() -> bytes:
        async with serving(echo, codec) as port:
            return await asyncio.to_thread(client, port)

    assert run(main()) == b"request body"


@pytest.mark.parametrize(("codec", "messages"), ECHO_CASES[::3], ids=lambda x: repr(x)[:40])
def test_blocking_server_and_asyncio_client_exchange_frames(
    codec: framing.Codec, messages: list[bytes]
) -> None:
    listener = socket.create_server((LOCALHOST, 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(10)
        with FramedSocket(conn, codec) as fs:
            for message in fs:
                fs.send(message)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    async def main() -> list[bytes]:
        stream = await framing.aio.open_connection(LOCALHOST, port, codec)
        async with stream:
            await stream.send_many(messages)
            got = [await stream.recv() for _ in messages]
            stream.shutdown_write()
            assert [m async for m in stream] == []
        return got

    try:
        assert run(main()) == messages
        thread.join(10)
        assert not thread.is_alive()
    finally:
        listener.close()
