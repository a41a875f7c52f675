"""framing.anyio: the same framed stream on anyio's asyncio and trio backends.

Every test runs its own ``anyio.run`` on each backend, talks to 127.0.0.1 or
memory streams only, and is bounded by ``fail_after``.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

anyio = pytest.importorskip("anyio")
pytest.importorskip("trio")

from anyio.abc import SocketAttribute  # noqa: E402
from anyio.streams.stapled import StapledObjectStream  # noqa: E402
from construct import Int8ub, Int16ub, Struct  # noqa: E402

import framing  # noqa: E402
import framing.anyio  # noqa: E402
from framing import (  # noqa: E402
    ConnectionClosed,
    FrameTooLarge,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)
from framing.anyio import EndOfMessages, FramedStream  # noqa: E402

BACKENDS = ["asyncio", "trio"]
TIMEOUT = 20


@pytest.fixture(params=BACKENDS)
def run(request: pytest.FixtureRequest) -> Callable[[Callable[[], Awaitable[None]]], None]:
    backend = request.param

    def runner(test: Callable[[], Awaitable[None]]) -> None:
        async def bounded() -> None:
            with anyio.fail_after(TIMEOUT):
                await test()

        try:
            anyio.run(bounded, backend=backend)
        finally:
            for stream in _OPEN:  # memory streams warn if collected open
                stream.close()
            _OPEN.clear()

    return runner


_OPEN: list[Any] = []  # the memory object streams the running test made


def memory_streams(size: float) -> tuple[Any, Any]:
    """``anyio.create_memory_object_stream``, closed by ``run`` after the test."""
    send, receive = anyio.create_memory_object_stream[bytes](size)
    _OPEN.extend((send, receive))
    return send, receive


def memory_pair(codec: framing.Codec) -> tuple[FramedStream, FramedStream]:
    """Two framed streams joined by anyio memory object streams (chunks of bytes)."""
    a_send, b_receive = memory_streams(100)
    b_send, a_receive = memory_streams(100)
    a = FramedStream(StapledObjectStream(a_send, a_receive), codec)
    b = FramedStream(StapledObjectStream(b_send, b_receive), codec)
    return a, b


async def echo(stream: FramedStream) -> None:
    async for message in stream:
        await stream.send(message)


async def serving(
    task_group: Any, function: Callable[[FramedStream], Awaitable[object]], codec: framing.Codec
) -> int:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port: int = listener.extra(SocketAttribute.local_port)

    async def serve() -> None:
        async with listener:  # closed when the task group is cancelled
            await listener.serve(framing.anyio.handler(function, codec))

    task_group.start_soon(serve)
    return port


CODECS = [LengthPrefixed("!I"), Lines(), Netstring(), LengthPrefixed("!H")]


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_an_echo_over_tcp_returns_every_message(run: Any, codec: framing.Codec) -> None:
    messages = [b"", b"hello", b"x" * 5000, b"y" * 60000, *(b"%d" % i for i in range(200))]

    async def test() -> None:
        async with anyio.create_task_group() as tg:
            port = await serving(tg, echo, codec)
            stream = await framing.anyio.connect_tcp("127.0.0.1", port, codec)
            async with stream:
                await stream.send_many(messages)
                for message in messages:
                    assert await stream.receive() == message
                await stream.send(b"last")
                assert await stream.recv() == b"last"
                assert stream.extra(SocketAttribute.remote_port) == port
            tg.cancel_scope.cancel()

    run(test)


def test_a_large_frame_crosses_tcp_whole(run: Any) -> None:
    codec = LengthPrefixed()
    payload = os.urandom(3 << 20)

    async def test() -> None:
        async with anyio.create_task_group() as tg:
            port = await serving(tg, echo, codec)
            async with await framing.anyio.connect_tcp("127.0.0.1", port, codec) as stream:
                await stream.send(bytearray(payload))
                assert await stream.receive() == payload
            tg.cancel_scope.cancel()

    run(test)


def test_any_chunking_of_memory_streams_gives_the_messages(run: Any) -> None:
    codec = Netstring()
    messages = [b"a", b"", b"hello world", b"z" * 300]
    wire = b"".join(map(codec.encode, messages))

    async def test() -> None:
        a_send, b_receive = memory_streams(len(wire) + 1)
        _, a_receive = memory_streams(1)
        stream = FramedStream(StapledObjectStream(a_send, b_receive), codec)
        async with a_send:
            for i in range(len(wire)):  # one byte per chunk
                await a_send.send(wire[i : i + 1])
        assert [message async for message in stream] == messages
        with pytest.raises(EndOfMessages):
            await stream.receive()
        await a_receive.aclose()

    run(test)


def test_the_end_of_messages_is_both_framings_and_anyios(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(LengthPrefixed())
        await a.send(b"one")
        await a.aclose()
        assert await b.receive() == b"one"
        with pytest.raises(ConnectionClosed) as caught:
            await b.receive()
        assert isinstance(caught.value, anyio.EndOfStream)
        assert isinstance(caught.value, EOFError)

    run(test)


def test_a_frame_cut_short_is_incomplete(run: Any) -> None:
    async def test() -> None:
        a_send, b_receive = memory_streams(10)
        _, sink = memory_streams(1)
        stream = FramedStream(StapledObjectStream(a_send, b_receive), LengthPrefixed())
        await a_send.send(b"\x00\x00\x00\x05hel")
        await a_send.aclose()
        with pytest.raises(IncompleteFrame) as caught:
            await stream.receive()
        assert caught.value.partial == b"\x00\x00\x00\x05hel"
        await sink.aclose()

    run(test)


def test_a_handshake_line_then_a_preface_then_frames(run: Any) -> None:
    codec = LengthPrefixed("!H")

    async def test() -> None:
        a, b = memory_pair(codec)
        await a.stream.send(b"HELLO v1\r\nMAGC" + codec.encode(b"one") + codec.encode(b"two"))
        assert await b.recv_until(b"\r\n") == b"HELLO v1"
        assert await b.recv_exactly(4) == b"MAGC"
        assert await b.receive() == b"one"
        assert await b.receive() == b"two"
        await a.aclose()
        with pytest.raises(EndOfMessages):
            await b.recv_exactly(1)
        with pytest.raises(EndOfMessages):
            await b.recv_until(b"\n")

    run(test)


def test_an_unframed_read_cut_short_keeps_its_bytes(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(Lines())
        await a.stream.send(b"abc")
        await a.aclose()
        with pytest.raises(IncompleteFrame) as caught:
            await b.recv_exactly(10)
        assert caught.value.partial == b"abc"
        with pytest.raises(ValueError, match="cannot receive"):
            await b.recv_exactly(-1)
        with pytest.raises(ValueError, match="delimiter"):
            await b.recv_until(b"")

    run(test)


def test_a_too_long_line_without_a_delimiter_is_too_large(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(Lines())
        await a.stream.send(b"x" * 100)
        with pytest.raises(FrameTooLarge):
            await b.recv_until(b"\n", max_length=10)

    run(test)


def test_until_close_half_closes_after_its_one_message(run: Any) -> None:
    codec = UntilClose()

    async def test() -> None:
        async with anyio.create_task_group() as tg:

            async def reply(stream: FramedStream) -> None:
                request = await stream.receive()
                await stream.send(request.upper())

            port = await serving(tg, reply, codec)
            stream = await framing.anyio.connect_tcp("127.0.0.1", port, codec)
            async with stream:
                await stream.send(b"request")
                with pytest.raises(BrokenPipeError):
                    await stream.send(b"again")
                assert await stream.receive() == b"REQUEST"
            tg.cancel_scope.cancel()

    run(test)


def test_shutdown_write_is_a_half_close(run: Any) -> None:
    async def test() -> None:
        async with anyio.create_task_group() as tg:
            port = await serving(tg, echo, Lines())
            async with await framing.anyio.connect_tcp("127.0.0.1", port, Lines()) as stream:
                await stream.send_many([b"a", b"b"])
                await stream.shutdown_write()
                await stream.send_eof()  # a second half-close does nothing
                assert [m async for m in stream] == [b"a", b"b"]
                with pytest.raises(BrokenPipeError):
                    await stream.send(b"c")
            tg.cancel_scope.cancel()

    run(test)


def test_switch_hands_the_buffered_bytes_to_the_next_codec(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(Lines())
        await a.stream.send(b"STARTTLS-ish\n" + Netstring().encode(b"framed"))
        assert await b.receive() == b"STARTTLS-ish"
        b.switch(Netstring())
        assert b.codec == Netstring()
        assert await b.receive() == b"framed"

    run(test)


def test_send_takes_a_struct_headers_fields(run: Any) -> None:
    codec = LengthPrefixed(Struct("type" / Int8ub, "length" / Int16ub))

    async def test() -> None:
        a, b = memory_pair(codec)
        await a.send(b"ping", type=7)
        frame = await b.receive()
        assert frame == b"ping"
        assert frame.fields["type"] == 7  # type: ignore[attr-defined]

    run(test)


def test_a_cancelled_receive_loses_nothing(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(LengthPrefixed())
        with anyio.move_on_after(0.05):
            await b.receive()
        wire = LengthPrefixed().encode(b"after")
        await a.stream.send(wire[:3])
        with anyio.move_on_after(0.05):
            await b.receive()  # cancelled with a partial frame buffered
        await a.stream.send(wire[3:])
        assert await b.receive() == b"after"

    run(test)


def test_concurrent_senders_never_interleave_frames(run: Any) -> None:
    codec = LengthPrefixed()
    big = [bytes([i]) * 100_000 for i in range(8)]

    async def test() -> None:
        async with anyio.create_task_group() as tg:
            port = await serving(tg, echo, codec)
            async with await framing.anyio.connect_tcp("127.0.0.1", port, codec) as stream:
                async with anyio.create_task_group() as senders:
                    for message in big:
                        senders.start_soon(stream.send, message)
                received = [await stream.receive() for _ in big]
                assert sorted(received) == big
            tg.cancel_scope.cancel()

    run(test)


def test_a_bad_client_is_one_log_line_and_the_server_goes_on(
    run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    codec = LengthPrefixed("!I", max_length=1024)

    async def test() -> None:
        async with anyio.create_task_group() as tg:
            port = await serving(tg, echo, codec)
            bad = await anyio.connect_tcp("127.0.0.1", port)
            await bad.send(struct.pack("!I", 1 << 30))  # far over max_length
            with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                await bad.receive()
            await bad.aclose()
            cut = await anyio.connect_tcp("127.0.0.1", port)
            await cut.send(b"\x00\x00\x00\x10abc")
            await cut.aclose()
            async with await framing.anyio.connect_tcp("127.0.0.1", port, codec) as good:
                await good.send(b"still served")
                assert await good.receive() == b"still served"
            with anyio.fail_after(5):
                while len([r for r in caplog.records if r.name == "framing.anyio"]) < 2:
                    await anyio.sleep(0.01)
            tg.cancel_scope.cancel()

    with caplog.at_level(logging.DEBUG, logger="framing.anyio"):
        run(test)
    warnings = [r for r in caplog.records if r.name == "framing.anyio" and r.levelname == "WARNING"]
    assert {r.getMessage().split(": ")[1] for r in warnings} == {"FrameTooLarge", "IncompleteFrame"}
    assert all(r.exc_info is None for r in caplog.records)


def test_the_handler_lets_a_bug_propagate(run: Any) -> None:
    async def broken(stream: FramedStream) -> None:
        raise RuntimeError("a bug")

    async def test() -> None:
        a, _ = memory_pair(Lines())
        serve = framing.anyio.handler(broken, Lines())
        assert serve.__name__ == "broken_framed"
        with pytest.raises(RuntimeError, match="a bug"):
            await serve(a.stream)

    run(test)


def test_the_handler_ends_quietly_when_the_peer_closes(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(Lines())

        async def read_one(stream: FramedStream) -> None:
            await stream.receive()

        await b.aclose()
        await framing.anyio.handler(read_one, Lines())(a.stream)

    run(test)


def test_a_unix_socket_carries_frames(run: Any, tmp_path: Any) -> None:
    path = str(tmp_path / "s")
    codec = Netstring()

    async def test() -> None:
        async with anyio.create_task_group() as tg:
            listener = await anyio.create_unix_listener(path)

            async def serve() -> None:
                async with listener:
                    await listener.serve(framing.anyio.handler(echo, codec))

            tg.start_soon(serve)
            async with await framing.anyio.connect_unix(path, codec) as stream:
                await stream.send(b"local")
                assert await stream.receive() == b"local"
                assert "FramedStream" in repr(stream)
            tg.cancel_scope.cancel()

    run(test)


def test_initial_bytes_come_first(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(Lines())
        framed = FramedStream(b.stream, Lines(), initial=b"first\nsec")
        await a.stream.send(b"ond\n")
        assert await framed.receive() == b"first"
        assert await framed.receive() == b"second"
        assert framed.connection.buffered == 0

    run(test)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_500_concurrent_clients_all_echoed_and_no_fd_left(run: Any) -> None:
    codec = LengthPrefixed()
    clients = 500

    async def test() -> None:
        before = open_fds()
        async with anyio.create_task_group() as tg:
            port = await serving(tg, echo, codec)
            streams = []
            for _ in range(clients):
                streams.append(await framing.anyio.connect_tcp("127.0.0.1", port, codec))
            results: list[bool] = []

            async def talk(i: int, stream: FramedStream) -> None:
                async with stream:
                    mine = [b"%d-%d" % (i, k) for k in range(3)]
                    await stream.send_many(mine)
                    results.append([await stream.receive() for _ in mine] == mine)

            async with anyio.create_task_group() as talkers:
                for i, stream in enumerate(streams):
                    talkers.start_soon(talk, i, stream)
            assert results == [True] * clients
            tg.cancel_scope.cancel()
        for _ in range(200):
            if open_fds() <= before:
                break
            await anyio.sleep(0.01)
        assert open_fds() <= before

    run(test)


def test_senders_take_turns_and_a_cancelled_one_gives_its_turn_away(run: Any) -> None:
    codec = LengthPrefixed()

    async def test() -> None:
        a_send, b_receive = memory_streams(0)  # every send waits for its receive
        _, a_receive = memory_streams(1)
        framed = FramedStream(StapledObjectStream(a_send, a_receive), codec)
        order: list[str] = []

        async def send(name: str, done: list[str]) -> None:
            await framed.send(name.encode())
            done.append(name)

        async with anyio.create_task_group() as tg:
            tg.start_soon(send, "first", order)
            await anyio.sleep(0.01)  # first holds the turn, blocked in the stream's send
            waiting = anyio.CancelScope()

            async def second() -> None:
                with waiting:
                    await send("second", order)

            tg.start_soon(second)
            await anyio.sleep(0.01)
            tg.start_soon(framed.send_many, [b"third", b"fourth"])
            await anyio.sleep(0.01)
            waiting.cancel()  # second gives up its place in the queue
            got = [await b_receive.receive() for _ in range(2)]
        assert got == [codec.encode(b"first"), codec.encode(b"third") + codec.encode(b"fourth")]
        assert order == ["first"]
        assert framed._sending is False  # nobody's turn now

    run(test)


def test_a_sender_cancelled_as_its_turn_comes_passes_it_on(run: Any) -> None:
    codec = LengthPrefixed()

    async def test() -> None:
        a_send, b_receive = memory_streams(0)
        _, a_receive = memory_streams(1)
        framed = FramedStream(StapledObjectStream(a_send, a_receive), codec)
        second_scope = anyio.CancelScope()

        async def first() -> None:
            await framed.send(b"first")
            second_scope.cancel()  # the turn was just handed to second: it must pass it on

        async def second() -> None:
            with second_scope:
                await framed.send(b"second")

        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await anyio.sleep(0.01)
            tg.start_soon(second)
            await anyio.sleep(0.01)
            tg.start_soon(framed.send, b"third")
            await anyio.sleep(0.01)
            got = [await b_receive.receive() for _ in range(2)]
        assert got == [codec.encode(b"first"), codec.encode(b"third")]

    run(test)


def test_send_many_with_until_close_half_closes(run: Any) -> None:
    async def test() -> None:
        a, b = memory_pair(UntilClose())
        await a.send_many([b"the one"])
        assert await b.receive() == b"the one"
        with pytest.raises(BrokenPipeError):
            await a.send_many([b"more"])

    run(test)
