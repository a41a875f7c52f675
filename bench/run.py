#!/usr/bin/env python
"""framing against its peers and the stdlib ceilings, in one table.

    python bench/run.py [--quick | --smoke] [--json FILE] [--only PATTERN]

Runs every workload of ``bench/workloads.py`` (the same ones ``bench/workloads.py``
times) through framing, the peers a Python user would otherwise pick, and the
cheapest stdlib operation on the same bytes (the ceiling), in this one process,
the implementations of a workload taking turns. Each figure is a median;
"vs peer" and "vs ceil" are speed ratios (above 1: faster) to the fastest peer
and to the ceiling of the same workload, measured in the same run.

Peers (``pip install -e ".[bench]"`` pins them):

- Twisted's ``Int32StringReceiver``, ``LineOnlyReceiver`` and
  ``NetstringReceiver``: ``dataReceived`` driven directly with the chunks,
  messages collected by overriding ``stringReceived`` / ``lineReceived``;
- asyncio's ``StreamReader.readexactly`` / ``readuntil``: all chunks
  ``feed_data``-ed, then ``feed_eof``, then drained in a coroutine;
- anyio's ``BufferedByteReceiveStream`` over a memory object stream of the
  chunks;
- a textbook decoder: ``buf += chunk`` then slicing, as most code does.

Ceilings: ``b"".join`` of the payload chunks (big messages, trickles), a bare
``struct.unpack_from`` loop over one bytes object (small length-prefixed),
``bytes.split(b"\\n")`` (small lines), one copy of each message (encoding), and
a raw ``sendall`` / ``recv_into`` loop (sockets). A "reference" row is neither
a peer nor a ceiling: a yardstick shown with its ratios, the least any
implementation must do where the ceiling does less: the raw loop receiving
each 1 MiB message into a buffer of its own (as any receiver that returns
messages must), a bare split per chunk (as any decoder fed chunks must), a
search of every byte before the join (as any line decoder must).
"""

from __future__ import annotations

import asyncio
import atexit
import math
import os
import platform
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's framing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the workloads beside this script

import cobs.cobs
import workloads as bench
from workloads import Echo, Messages, Stream, Tally, Tcp, Workload

import framing

PeerFn = Callable[[Any], "list[Any] | Tally | int"]
_HEADER = struct.Struct("!I")
_BIG = 1 << 30  # a limit no workload reaches
_INSTALL = "pip install -e '.[bench]'"
_LOOPS: list[asyncio.AbstractEventLoop] = []


def _run_in_loop(coroutine: Coroutine[Any, Any, list[Any] | Tally]) -> list[Any] | Tally:
    """Run ``coroutine`` on one reused event loop, so no decoding run pays for a new one."""
    if not _LOOPS:
        _LOOPS.append(asyncio.new_event_loop())
        atexit.register(_LOOPS[0].close)
    return _LOOPS[0].run_until_complete(coroutine)


# --------------------------------------------------------------------------
# Twisted
# --------------------------------------------------------------------------


class _Transport:
    """Just enough transport for a Twisted protocol driven by hand."""

    disconnecting = False

    def __init__(self, out: Any) -> None:
        self.write = out.append  # what sendString writes
        self.writeSequence = out.extend  # what sendLine writes (line, delimiter)

    def loseConnection(self) -> None:
        raise AssertionError("the peer gave up on a valid stream")


def _twisted(kind: str, delimiter: bytes = b"\n") -> Callable[[Any], Any]:
    from twisted.protocols import basic

    def protocol(out: Any) -> Any:
        if kind == "int32":
            proto: Any = basic.Int32StringReceiver()
        elif kind == "netstring":
            proto = basic.NetstringReceiver()
        else:
            proto = basic.LineOnlyReceiver()
            proto.delimiter = delimiter
            proto.lineReceived = out.append
        proto.MAX_LENGTH = _BIG
        proto.makeConnection(_Transport(out))
        proto.stringReceived = out.append
        return proto

    return protocol


def twisted_decode(kind: str, delimiter: bytes = b"\n") -> PeerFn:
    make = _twisted(kind, delimiter)

    def run(stream: Stream) -> list[Any] | Tally:
        out = stream.sink()
        data_received = make(out).dataReceived
        for chunk in stream.chunks:
            data_received(chunk)
        return out

    return run


def twisted_encode(kind: str, delimiter: bytes = b"\n") -> PeerFn:
    make = _twisted(kind, delimiter)

    def run(messages: Messages) -> list[bytes] | int:
        out: list[bytes] = []
        proto = make(out)
        if kind == "lines":
            send_line = proto.sendLine
            for m in messages.messages:
                send_line(m)
            return len(out) // 2  # writeSequence((line, delimiter)) per line
        send = proto.sendString
        for m in messages.messages:
            send(m)
        return out

    return run


# --------------------------------------------------------------------------
# asyncio and anyio
# --------------------------------------------------------------------------


def _asyncio_reader(stream: Stream) -> asyncio.StreamReader:
    """A ``StreamReader`` fed the stream's chunks and EOF (make it inside a running loop)."""
    reader = asyncio.StreamReader(limit=_BIG)
    for chunk in stream.chunks:
        reader.feed_data(chunk)
    reader.feed_eof()
    return reader


def asyncio_readexactly(stream: Stream) -> list[Any] | Tally:
    async def main() -> list[Any] | Tally:
        reader = _asyncio_reader(stream)
        out = stream.sink()
        readexactly, unpack = reader.readexactly, _HEADER.unpack
        while not reader.at_eof():
            (length,) = unpack(await readexactly(4))
            out.append(await readexactly(length))
        return out

    return _run_in_loop(main())


def asyncio_readuntil(delimiter: bytes) -> PeerFn:
    cut = -len(delimiter)

    def run(stream: Stream) -> list[Any] | Tally:
        async def main() -> list[Any] | Tally:
            reader = _asyncio_reader(stream)
            out = stream.sink()
            readuntil = reader.readuntil
            while not reader.at_eof():
                out.append((await readuntil(delimiter))[:cut])
            return out

        return _run_in_loop(main())

    return run


def _anyio_stream(stream: Stream) -> Any:
    import anyio
    from anyio.streams.buffered import BufferedByteReceiveStream

    send, receive = anyio.create_memory_object_stream[bytes](math.inf)
    for chunk in stream.chunks:
        send.send_nowait(chunk)
    send.close()
    return BufferedByteReceiveStream(receive)


def anyio_receive_exactly(stream: Stream) -> list[Any] | Tally:
    import anyio

    async def main() -> list[Any] | Tally:
        buffered = _anyio_stream(stream)
        out = stream.sink()
        receive_exactly, unpack = buffered.receive_exactly, _HEADER.unpack
        with buffered.receive_stream:
            while True:
                try:
                    header = await receive_exactly(4)
                except anyio.IncompleteRead:
                    return out
                (length,) = unpack(header)
                out.append(await receive_exactly(length))

    return _run_in_loop(main())


def anyio_receive_until(delimiter: bytes) -> PeerFn:
    import anyio

    def run(stream: Stream) -> list[Any] | Tally:
        async def main() -> list[Any] | Tally:
            buffered = _anyio_stream(stream)
            out = stream.sink()
            receive_until = buffered.receive_until
            with buffered.receive_stream:
                while True:
                    try:
                        out.append(await receive_until(delimiter, _BIG))
                    except anyio.IncompleteRead:
                        return out

        return _run_in_loop(main())

    return run


# --------------------------------------------------------------------------
# the textbook decoders and encoders: buf += chunk, then slices
# --------------------------------------------------------------------------


def textbook_lp(stream: Stream) -> list[Any] | Tally:
    buf = b""
    out = stream.sink()
    for chunk in stream.chunks:
        buf += chunk
        while len(buf) >= 4:
            (length,) = struct.unpack("!I", buf[:4])
            if len(buf) < 4 + length:
                break
            out.append(buf[4 : 4 + length])
            buf = buf[4 + length :]
    return out


def textbook_delimited(
    delimiter: bytes, finish: Callable[[bytes], bytes] | None = None
) -> PeerFn:
    def run(stream: Stream) -> list[Any] | Tally:
        buf = b""
        out = stream.sink()
        for chunk in stream.chunks:
            buf += chunk
            while delimiter in buf:
                frame, buf = buf.split(delimiter, 1)
                out.append(finish(frame) if finish else frame)
        return out

    return run


def _unslip(frame: bytes) -> bytes:
    return frame.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")


def textbook_slip(stream: Stream) -> list[bytes]:
    frames = textbook_delimited(b"\xc0", _unslip)(stream)
    assert isinstance(frames, list)
    return [frame for frame in frames if frame]  # RFC 1055 drops empty packets


def textbook_netstring(stream: Stream) -> list[Any] | Tally:
    buf = b""
    out = stream.sink()
    for chunk in stream.chunks:
        buf += chunk
        while True:
            colon = buf.find(b":")
            if colon < 0:
                break
            length = int(buf[:colon])
            end = colon + 1 + length
            if len(buf) <= end:
                break
            if buf[end : end + 1] != b",":
                raise ValueError("netstring without its comma")
            out.append(buf[colon + 1 : end])
            buf = buf[end + 1 :]
    return out


def textbook_encode(encode: Callable[[bytes], bytes]) -> PeerFn:
    def run(messages: Messages) -> list[bytes]:
        return [encode(m) for m in messages.messages]

    return run


def _cobs(m: bytes) -> bytes:
    return bytes(cobs.cobs.encode(m)) + b"\0"


def _slip(m: bytes) -> bytes:
    return b"\xc0" + m.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


# --------------------------------------------------------------------------
# ceilings
# --------------------------------------------------------------------------


def ceiling_unpack_from(stream: Stream) -> list[bytes]:
    data = stream.wire
    out: list[bytes] = []
    append, unpack_from = out.append, _HEADER.unpack_from
    offset, end = 0, len(data)
    while offset < end:
        (length,) = unpack_from(data, offset)
        offset += 4
        append(data[offset : offset + length])
        offset += length
    return out


def ceiling_split(stream: Stream) -> list[bytes]:
    out = stream.wire.split(b"\n")
    out.pop()  # the empty piece after the last b"\n"
    return out


def ceiling_join(stream: Stream) -> list[Any] | Tally:
    join, out = b"".join, stream.sink()
    for chunks in stream.payload_chunks:
        out.append(join(chunks))
    return out


def reference_split_chunks(stream: Stream) -> list[bytes]:
    """The least a line decoder fed chunks must do: join the rest, split, no checks."""
    rest, out = b"", []
    extend = out.extend
    for chunk in stream.chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        extend(lines)
    return out


def reference_join_split(stream: Stream) -> list[bytes]:
    """The whole stream split at once: join every chunk, then one split (issue 16's yardstick)."""
    out = b"".join(stream.chunks).split(b"\n")
    out.pop()  # the empty piece after the last b"\n"
    return out


def reference_find_join(stream: Stream) -> list[Any] | Tally:
    """The least a line decoder must do: search every byte for b"\n", then join."""
    join, out = b"".join, stream.sink()
    for chunks in stream.payload_chunks:
        for chunk in chunks:
            chunk.find(b"\n")
        out.append(join(chunks))
    return out


def reference_append_count(stream: Stream) -> list[Any] | Tally:
    """The least a decoder fed chunks must do: keep each, count its bytes, join once."""
    join, out = b"".join, stream.sink()
    for chunks in stream.payload_chunks:
        kept: list[bytes] = []
        keep = kept.append
        have, need = 0, sum(map(len, chunks))
        for chunk in chunks:
            keep(chunk)
            have += len(chunk)
            if have >= need:
                out.append(join(kept))
    return out


def reference_append_join(stream: Stream) -> list[Any] | Tally:
    """The floor of any decoder called once a chunk: one C call each (``list.append``), one join."""
    join, out = b"".join, stream.sink()
    for chunks in stream.payload_chunks:
        kept: list[bytes] = []
        keep = kept.append
        for chunk in chunks:
            keep(chunk)
        out.append(join(kept))
    return out


class _CountingDecoder:
    """``reference_append_count`` behind a decoder's interface: ``feed`` and iteration."""

    def __init__(self, need: int) -> None:
        self.kept: list[bytes] = []
        self.have = 0
        self.need = need
        self.done: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.kept.append(chunk)
        self.have += len(chunk)
        if self.have >= self.need:
            self.done.append(b"".join(self.kept))

    def __iter__(self) -> Any:
        done, self.done = self.done, []
        return iter(done)


def reference_counting_decoder(stream: Stream) -> list[Any] | Tally:
    """The same least work as a decoder object: a method call to feed, one to iterate."""
    out = stream.sink()
    for chunks in stream.payload_chunks:
        decoder = _CountingDecoder(sum(map(len, chunks)))
        feed, extend = decoder.feed, out.extend
        for chunk in chunks:
            feed(chunk)
            extend(decoder)
    return out


_MSGPACK_WIRE: dict[int, list[bytes]] = {}


def msgpack_unpack(stream: Stream) -> list[Any] | Tally:
    """msgpack's C ``Unpacker`` on the same payloads as msgpack bins (bin8 for small ones),
    cut into chunks of the same size; the wire is built once per stream, on the first run."""
    import msgpack

    chunks = _MSGPACK_WIRE.get(id(stream))
    if chunks is None:
        wire = b"".join(msgpack.packb(m, use_bin_type=True) for m in stream.messages)
        size = len(stream.chunks[0])
        chunks = _MSGPACK_WIRE[id(stream)] = [
            wire[i : i + size] for i in range(0, len(wire), size)
        ]
    unpacker = msgpack.Unpacker(max_buffer_size=1 << 30)
    out = stream.sink()
    feed, extend = unpacker.feed, out.extend
    for chunk in chunks:
        feed(chunk)
        extend(unpacker)
    return out


def ceiling_copy(suffix: bytes) -> PeerFn:
    def run(messages: Messages) -> int:
        out = [m + suffix for m in messages.messages]
        return len(out)

    return run


def ceiling_pack(messages: Messages) -> list[bytes]:
    pack = _HEADER.pack
    return [pack(len(m)) + m for m in messages.messages]


# --------------------------------------------------------------------------
# sockets
# --------------------------------------------------------------------------


def _recv_exactly(sock: Any, n: int) -> bytes:
    """The textbook exact read: recv what is missing and concatenate."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def _textbook_receive(sock: Any, tcp: Tcp) -> list[Any] | Tally:
    out = tcp.sink()
    for _ in range(tcp.expected):
        (length,) = _HEADER.unpack(_recv_exactly(sock, 4))
        out.append(_recv_exactly(sock, length))
    return out


def _send_each(sock: Any, messages: list[bytes]) -> None:
    pack, sendall = _HEADER.pack, sock.sendall
    for m in messages:
        sendall(pack(len(m)) + m)


def _send_payloads(sock: Any, messages: list[bytes]) -> None:
    """The raw payloads, unframed: what the raw ceiling and reference receive."""
    for m in messages:
        sock.sendall(m)


def tcp_textbook(tcp: Tcp) -> list[Any] | Tally:
    with bench.loopback() as (a, b), bench.in_thread(lambda: _send_each(a, tcp.messages)):
        return _textbook_receive(b, tcp)


def tcp_raw(tcp: Tcp) -> int:
    payload = sum(map(len, tcp.messages))
    with bench.loopback() as (a, b), bench.in_thread(lambda: _send_payloads(a, tcp.messages)):
        return bench.recv_raw(b, payload) // len(tcp.messages[0])


def tcp_raw_fresh(tcp: Tcp) -> list[Any] | Tally:
    """Raw, but each message received into a new buffer of its own, as a receiver must."""
    size = len(tcp.messages[0])
    with bench.loopback() as (a, b), bench.in_thread(lambda: _send_payloads(a, tcp.messages)):
        out = tcp.sink()
        recv_into = b.recv_into
        for _ in tcp.messages:
            message = bytearray(size)
            with memoryview(message) as view:
                received = 0
                while received < size:
                    n = recv_into(view[received:])
                    if not n:
                        raise EOFError(f"closed after {received} of {size} bytes")
                    received += n
            out.append(message)
        return out


def tcp_send_each(tcp: Tcp) -> int:
    with bench.loopback() as (a, b), bench.in_thread(lambda: bench.recv_raw(b, len(tcp.wire))):
        _send_each(a, tcp.messages)
    return tcp.expected


def tcp_send_once(tcp: Tcp) -> int:
    with bench.loopback() as (a, b), bench.in_thread(lambda: bench.recv_raw(b, len(tcp.wire))):
        a.sendall(tcp.wire)
    return tcp.expected


def tcp_send_joined(tcp: Tcp) -> int:
    """The hand-written batch: ``sendall(b"".join(pack(len(m)) + m for m in batch))``."""
    pack, messages, batch = _HEADER.pack, tcp.messages, tcp.batch
    with bench.loopback() as (a, b), bench.in_thread(lambda: bench.recv_raw(b, len(tcp.wire))):
        for start in range(0, len(messages), batch):
            a.sendall(b"".join(pack(len(m)) + m for m in messages[start : start + batch]))
    return tcp.expected


def tcp_recv_textbook(tcp: Tcp) -> list[Any] | Tally:
    with bench.loopback() as (a, b), bench.in_thread(lambda: a.sendall(tcp.wire)):
        return _textbook_receive(b, tcp)


def tcp_recv_raw(tcp: Tcp) -> int:
    with bench.loopback() as (a, b), bench.in_thread(lambda: a.sendall(tcp.wire)):
        bench.recv_raw(b, len(tcp.wire))
    return tcp.expected


def _echo_run(serve: Any, client: Callable[[Any, Any, list[bytes]], Any], echo: Echo) -> Any:
    async def main() -> list[bytes]:
        server = await serve()
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        out: list[bytes] = await client(reader, writer, echo.messages)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return out

    return asyncio.run(asyncio.wait_for(main(), bench.TIMEOUT))


async def _streams_echo_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The asyncio streams echo server's handler: readexactly the header, then the payload."""
    try:
        while True:
            header = await reader.readexactly(4)
            (length,) = _HEADER.unpack(header)
            writer.write(header + await reader.readexactly(length))
            await writer.drain()
    except asyncio.IncompleteReadError:
        writer.close()


def _streams_echo_server() -> Any:
    return asyncio.start_server(_streams_echo_handler, "127.0.0.1", 0)


def aio_streams_echo(echo: Echo) -> list[bytes]:
    async def client(reader: Any, writer: Any, messages: list[bytes]) -> list[bytes]:
        out = []
        for m in messages:
            writer.write(_HEADER.pack(len(m)) + m)
            await writer.drain()
            (length,) = _HEADER.unpack(await reader.readexactly(4))
            out.append(await reader.readexactly(length))
        return out

    return _echo_run(_streams_echo_server, client, echo)  # type: ignore[no-any-return]


def aio_streams_echo_pipelined(echo: Echo) -> list[bytes]:
    async def client(reader: Any, writer: Any, messages: list[bytes]) -> list[bytes]:
        out = []
        for start in range(0, len(messages), bench.ECHO_WINDOW):
            window = messages[start : start + bench.ECHO_WINDOW]
            writer.write(b"".join(_HEADER.pack(len(m)) + m for m in window))
            await writer.drain()
            for _ in window:
                (length,) = _HEADER.unpack(await reader.readexactly(4))
                out.append(await reader.readexactly(length))
        return out

    return _echo_run(_streams_echo_server, client, echo)  # type: ignore[no-any-return]


def aio_protocol_echo_pipelined(echo: Echo) -> int:
    async def client(reader: Any, writer: Any, messages: list[bytes]) -> int:
        size = len(messages[0])
        for start in range(0, len(messages), bench.ECHO_WINDOW):
            window = messages[start : start + bench.ECHO_WINDOW]
            writer.write(b"".join(window))
            await reader.readexactly(size * len(window))
        return len(messages)

    async def serve() -> Any:
        return await asyncio.get_running_loop().create_server(_EchoProtocol, "127.0.0.1", 0)

    return _echo_run(serve, client, echo)  # type: ignore[no-any-return]


def anyio_buffered_echo(echo: Echo) -> list[bytes]:
    """anyio's own way: a ``BufferedByteReceiveStream`` and ``receive_exactly`` on each side."""
    import anyio
    from anyio.abc import SocketAttribute
    from anyio.streams.buffered import BufferedByteReceiveStream

    async def handler(stream: Any) -> None:
        buffered = BufferedByteReceiveStream(stream)
        async with stream:
            try:
                while True:
                    header = await buffered.receive_exactly(4)
                    (length,) = _HEADER.unpack(header)
                    await stream.send(header + await buffered.receive_exactly(length))
            except (anyio.IncompleteRead, anyio.EndOfStream):
                pass

    async def main() -> list[bytes]:
        out = []
        async with anyio.create_task_group() as tg:
            listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
            port = listener.extra(SocketAttribute.local_port)

            async def serve() -> None:
                async with listener:  # closed when the task group is cancelled
                    await listener.serve(handler)

            tg.start_soon(serve)
            async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                buffered = BufferedByteReceiveStream(stream)
                for m in echo.messages:
                    await stream.send(_HEADER.pack(len(m)) + m)
                    (length,) = _HEADER.unpack(await buffered.receive_exactly(4))
                    out.append(await buffered.receive_exactly(length))
            tg.cancel_scope.cancel()
        return out

    async def bounded() -> list[bytes]:
        with anyio.fail_after(bench.TIMEOUT):
            return await main()

    return anyio.run(bounded)  # type: ignore[no-any-return]


class _EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def aio_protocol_echo(echo: Echo) -> int:
    async def client(reader: Any, writer: Any, messages: list[bytes]) -> int:
        size = len(messages[0])
        for m in messages:
            writer.write(m)
            await reader.readexactly(size)
        return len(messages)

    async def serve() -> Any:
        return await asyncio.get_running_loop().create_server(_EchoProtocol, "127.0.0.1", 0)

    return _echo_run(serve, client, echo)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------
# which implementations each workload gets
# --------------------------------------------------------------------------

Entry = tuple[str, str, "PeerFn | None", str]


def _optional(package: str) -> str:
    """Why the peer ``package`` cannot be used, or "" when it can."""
    module, _ = bench.optional_module(package)
    return "" if module else f"{package} is not installed ({_INSTALL})"


def implementations(key: str) -> list[Entry]:
    """The peers and ceilings of workload ``key``: (name, role, fn, note)."""
    no_twisted, no_anyio = _optional("twisted.protocols.basic"), _optional("anyio")

    def twisted(name: str, make: Callable[[], PeerFn]) -> Entry:
        return (f"Twisted {name}", "peer", None if no_twisted else make(), no_twisted)

    def anyio(name: str, make: Callable[[], PeerFn]) -> Entry:
        return (f"anyio {name}", "peer", None if no_anyio else make(), no_anyio)

    def peer(name: str, fn: PeerFn) -> Entry:
        return (name, "peer", fn, "")

    def ceiling(name: str, fn: PeerFn) -> Entry:
        return (f"ceiling: {name}", "ceiling", fn, "")

    no_uvloop = _optional("uvloop")
    no_msgpack = _optional("msgpack")
    msgpack_unpacker = None if no_msgpack else msgpack_unpack

    def uvloop_row(entry: Entry) -> Entry:
        name, role, fn, note = entry
        if no_uvloop or fn is None:
            return (name, role, None, no_uvloop or note)
        return (name, role, bench.on_uvloop(fn), note)

    crlf = b"\r\n"
    lp_decoders = [
        twisted("Int32StringReceiver", lambda: twisted_decode("int32")),
        peer("asyncio readexactly", asyncio_readexactly),
        anyio("receive_exactly", lambda: anyio_receive_exactly),
        peer("textbook buf += chunk", textbook_lp),
    ]

    def line_decoders(delimiter: bytes) -> list[Entry]:
        return [
            twisted("LineOnlyReceiver", lambda: twisted_decode("lines", delimiter)),
            peer("asyncio readuntil", asyncio_readuntil(delimiter)),
            anyio("receive_until", lambda: anyio_receive_until(delimiter)),
            peer("textbook buf += chunk", textbook_delimited(delimiter)),
        ]

    join = ceiling('b"".join(payload chunks)', ceiling_join)
    append_count: list[Entry] = [
        ("reference: list.append per chunk, join once", "reference", reference_append_join, ""),
        ("reference: append each chunk, count, join once", "reference", reference_append_count, ""),
        (
            bench.DECODER_REFERENCE,
            "reference",
            reference_counting_decoder,
            "",
        ),
    ]
    table: dict[str, list[Entry]] = {
        "decode-small-lp": [
            *lp_decoders,
            ceiling("struct.unpack_from loop", ceiling_unpack_from),
            (bench.MSGPACK_REFERENCE, "reference", msgpack_unpacker, no_msgpack),
        ],
        "decode-small-lines": [
            *line_decoders(b"\n"),
            ceiling('bytes.split(b"\\n")', ceiling_split),
            (
                'reference: (rest + chunk).split(b"\\n") per chunk, no checks',
                "reference",
                reference_split_chunks,
                "",
            ),
            (bench.JOIN_SPLIT_REFERENCE, "reference", reference_join_split, ""),
        ],
        "decode-big-lp": [*lp_decoders, join, *append_count],
        "decode-big-lines": [
            *line_decoders(b"\n"),
            join,
            (
                'reference: bytes.find(b"\\n") in each chunk, then b"".join',
                "reference",
                reference_find_join,
                "",
            ),
        ],
        "trickle-lp": [*lp_decoders, join, *append_count],
        "trickle-lines": [*line_decoders(b"\n"), join, *append_count],
        "trickle-crlf": [*line_decoders(crlf), join, *append_count],
        "trickle-netstring": [
            twisted("NetstringReceiver", lambda: twisted_decode("netstring")),
            peer("textbook buf += chunk", textbook_netstring),
            join,
            *append_count,
        ],
        "trickle-cobs": [
            peer("textbook buf += chunk, cobs.decode", textbook_delimited(b"\0", cobs.cobs.decode)),
            join,
            *append_count,
        ],
        "trickle-slip": [
            peer("textbook buf += chunk, replace", textbook_slip),
            join,
            *append_count,
        ],
        "tcp-big": [
            peer("textbook sendall / recv + concatenate", tcp_textbook),
            ceiling("raw sendall / recv_into one reused buffer", tcp_raw),
            ("reference: raw, recv_into a new buffer per message", "reference", tcp_raw_fresh, ""),
        ],
        "tcp-small-send": [
            peer("one sendall per message", tcp_send_each),
            ceiling("one sendall of all the bytes", tcp_send_once),
            (bench.JOINED_SEND, "reference", tcp_send_joined, ""),
        ],
        "tcp-small-recv": [
            peer("textbook recv + concatenate", tcp_recv_textbook),
            ceiling("raw recv_into", tcp_recv_raw),
        ],
        "aio-echo": [
            peer("asyncio streams readexactly", aio_streams_echo),
            ceiling("asyncio Protocol echo, no framing", aio_protocol_echo),
        ],
        "aio-echo-pipelined": [
            peer("asyncio streams readexactly", aio_streams_echo_pipelined),
            ceiling("asyncio Protocol echo, no framing", aio_protocol_echo_pipelined),
        ],
        "aio-echo-uvloop": [
            uvloop_row(peer("asyncio streams readexactly", aio_streams_echo)),
            uvloop_row(ceiling("asyncio Protocol echo, no framing", aio_protocol_echo)),
        ],
        "aio-echo-pipelined-uvloop": [
            uvloop_row(peer("asyncio streams readexactly", aio_streams_echo_pipelined)),
            uvloop_row(ceiling("asyncio Protocol echo, no framing", aio_protocol_echo_pipelined)),
        ],
        "anyio-echo": [
            peer("anyio BufferedByteReceiveStream.receive_exactly", anyio_buffered_echo),
        ],
    }
    lp_encoders = [
        twisted("Int32StringReceiver.sendString", lambda: twisted_encode("int32")),
        peer("textbook pack + m", textbook_encode(lambda m: struct.pack("!I", len(m)) + m)),
        ceiling("Struct.pack + m, inline", ceiling_pack),
    ]
    line_encoders = [
        twisted("LineOnlyReceiver.sendLine", lambda: twisted_encode("lines")),
        peer('textbook m + b"\\n"', textbook_encode(lambda m: m + b"\n")),
        ceiling('m + b"\\n", inline', ceiling_copy(b"\n")),
    ]
    table |= {
        "encode-small-lp": lp_encoders,
        "encode-big-lp": lp_encoders,
        "encode-small-lines": line_encoders,
        "encode-big-lines": line_encoders,
        "encode-frame-crlf": [
            peer('textbook m + b"\\r\\n"', textbook_encode(lambda m: m + crlf)),
            ceiling('m + b"\\r\\n", inline', ceiling_copy(crlf)),
        ],
        "encode-frame-netstring": [
            twisted("NetstringReceiver.sendString", lambda: twisted_encode("netstring")),
            peer('textbook b"%d:%s,"', textbook_encode(lambda m: b"%d:%s," % (len(m), m))),
            ceiling("one copy of the message", ceiling_copy(b",")),
        ],
        "encode-frame-cobs": [
            peer("textbook cobs.encode + b'\\0'", textbook_encode(_cobs)),
            ceiling("one copy of the message", ceiling_copy(b"\0")),
        ],
        "encode-frame-slip": [
            peer("textbook replace, replace", textbook_encode(_slip)),
            ceiling("one copy of the message", ceiling_copy(b"\xc0")),
        ],
    }
    return table.get(key, [])


#: Peers too slow for --quick: quadratic on a 1 MiB line in 64-byte chunks, ~10 s a run.
QUADRATIC = {
    ("trickle-lines", "Twisted LineOnlyReceiver"),
    ("trickle-lines", "textbook buf += chunk"),
    ("trickle-crlf", "Twisted LineOnlyReceiver"),
    ("trickle-crlf", "textbook buf += chunk"),
}


def add_peers(workload: Workload, *, quick: bool = False) -> None:
    """Add the peers and ceilings of ``workload`` after its framing rows."""
    for name, role, fn, note in implementations(workload.key):
        if quick and (workload.key, name) in QUADRATIC:
            fn, note = None, "skipped with --quick: quadratic here, about 10 s a run"
        workload.add(name, role, fn, note)


def _commit() -> str:
    """The checkout's commit, "-dirty" when its files differ from it ("unknown" without git)."""
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 if a framing row failed, else 0 (missed targets are reported)."""
    p = bench.parser("bench/run.py", "framing against its peers and the stdlib ceilings.")
    args = p.parse_args(argv)
    sizes = bench.sizes_for(args)
    selected = [w for w in bench.workloads(sizes) if w.selected(args.only)]
    if not selected:
        p.error(f"no workload matches {args.only!r}")
    for workload in selected:
        add_peers(workload, quick=args.quick)
    commit = _commit()
    print(
        f"# framing {commit}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.platform()}, {os.cpu_count()} CPUs; "
        f"compiled core: {'yes' if getattr(framing, '__compiled__', False) else 'no'}; "
        f"median of up to {max(sizes.repeats, sizes.fast_repeats)} runs; "
        "ratios are speed ratios in this run "
        "(above 1: faster)",
        flush=True,
    )
    started = time.perf_counter()
    rows = bench.run(
        selected,
        sizes,
        args.json,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        commit=commit,
    )
    print(f"\n{time.perf_counter() - started:.0f} s", end="; ")
    judged = [row for row in rows if row.met is not None]
    missed = [row for row in judged if not row.met]
    print(f"targets: {len(judged) - len(missed)} of {len(judged)} rows meet theirs")
    for row in missed:
        print(f"  missed: {row.workload} / {row.implementation}: {'; '.join(row.targets)}")
    broken = [row for row in rows if row.note.startswith(("failed", "wrong"))]
    for row in broken:
        print(f"  BROKEN: {row.workload} / {row.implementation}: {row.note}")
    return 1 if any(row.role == "framing" for row in broken) else 0


if __name__ == "__main__":
    sys.exit(main())
