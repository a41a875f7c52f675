"""Benchmarks of framing's hot paths: the workloads, the timer and the table.

``python bench/workloads.py`` runs the ``framing`` rows alone, so you can see
the numbers on your own machine::

    $ python bench/workloads.py --quick
    decode 100,000 x 32 B in 64 KiB chunks: LengthPrefixed('!I')        [msg/s]
      framing                                  912 k
    ...

``bench/run.py`` runs the same workloads through the peers
a Python user would otherwise pick (Twisted, asyncio, anyio, a textbook
``buf += chunk`` decoder) and through the cheapest stdlib operation on the
same bytes (the *ceiling*), in the same process, and prints every figure with
its ratio to the fastest peer and to the ceiling.

Every figure is the median of repeated runs timed with ``time.perf_counter``,
with the garbage collector paused during a run and the implementations of one
workload taking turns, so that a noisy machine slows them all alike. Every run
is checked: it must return the expected number of messages, the last one
intact. Ratios are speed ratios: above 1 means faster than the reference.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import fnmatch
import gc
import importlib
import json
import os
import platform
import random
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

import framing
import framing.aio as aio
from framing import COBS, SLIP, Codec, Delimited, LengthPrefixed, Lines, Netstring
from framing.socket import FramedSocket

__all__ = [
    "FULL",
    "QUICK",
    "SMOKE",
    "Echo",
    "Impl",
    "Messages",
    "Row",
    "Sizes",
    "Stream",
    "Tally",
    "Target",
    "Tcp",
    "Workload",
    "format_table",
    "in_thread",
    "loopback",
    "measure",
    "optional_module",
    "recv_raw",
    "report",
    "run_cli",
    "to_encode",
    "workloads",
]

KiB = 1024
MiB = 1024 * KiB
clock = time.perf_counter  # what every run is timed with (tests put a fake clock here)
FAST = 0.01  # seconds: a run shorter than this is repeated more (Sizes.fast_repeats)
TIMEOUT = 30.0  # seconds any one socket operation may block before the benchmark gives up


# --------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How much data each workload moves, and how often it is timed."""

    small_count: int = 300_000  # small messages decoded / encoded
    small_size: int = 32
    big_count: int = 32  # big messages decoded / encoded
    big_size: int = 4 * MiB
    chunk_size: int = 64 * KiB  # bytes per recv()
    trickle_sizes: tuple[int, int] = (MiB, 256 * KiB)  # one frame each, fed...
    trickle_chunk: int = 64  # ...in chunks this small
    tcp_big_count: int = 64
    tcp_big_size: int = MiB
    tcp_small_count: int = 200_000
    tcp_small_size: int = 64
    send_batch: int = 1000  # messages per send_many() call
    echo_count: int = 5_000
    echo_size: int = 64
    repeats: int = 7  # runs per figure (the median is reported), fewer if they do not fit...
    budget: float = 3.0  # ...in this many seconds, but no fewer than...
    min_repeats: int = 3  # ...this, unless one run alone takes longer than the budget;
    fast_repeats: int = 51  # runs under FAST seconds, which one preemption would skew, get more


FULL = Sizes()
QUICK = Sizes(
    small_count=100_000,
    big_count=8,
    tcp_big_count=16,
    tcp_small_count=50_000,
    echo_count=1_000,
    repeats=3,
    fast_repeats=15,
    budget=1.0,
)
#: Tiny workloads timed once: checks that everything runs; the figures mean nothing.
SMOKE = Sizes(
    chunk_size=4 * KiB,
    small_count=300,
    big_count=3,
    big_size=100 * KiB,
    trickle_sizes=(4 * KiB, KiB),
    tcp_big_count=3,
    tcp_big_size=100 * KiB,
    tcp_small_count=300,
    send_batch=100,
    echo_count=10,
    repeats=1,
    min_repeats=1,
    fast_repeats=1,
    budget=0.0,
)


# --------------------------------------------------------------------------
# inputs: what one timed run is given
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Messages:
    """Messages to encode (or send); a run must handle all of them."""

    messages: list[bytes]
    last: bytes | None = None  # what a run that returns a list must end with (None: unchecked)
    keep: bool = True  # whether runs keep every message, or drop each after counting it

    @property
    def expected(self) -> int:
        """Messages (or encoded frames) a run must return."""
        return len(self.messages)

    def sink(self) -> list[Any] | Tally:
        """Where a run collects its messages: a list, or a ``Tally`` for big messages."""
        return [] if self.keep else Tally()


class Tally:
    """Counts messages and keeps only the last, as a consumer that drops each one after use.

    Keeping 128 MiB of 4 MiB messages would time page faults on fresh memory
    rather than the decoding; a real receiver lets each message go.
    """

    __slots__ = ("count", "last")

    def __init__(self) -> None:
        self.count = 0
        self.last: Any = None

    def append(self, message: Any) -> None:
        """Count ``message``; keep it until the next one."""
        self.count += 1
        self.last = message

    def extend(self, messages: Iterable[Any]) -> None:
        """Count every message of ``messages``."""
        for message in messages:
            self.count += 1
            self.last = message

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> Any:
        if index != -1 or not self.count:
            raise IndexError(index)
        return self.last


@dataclass(frozen=True)
class Stream(Messages):
    """The wire form of ``messages``, cut into chunks as ``recv()`` would return them."""

    wire: bytes = b""
    chunks: list[bytes] = field(default_factory=list)
    payload_chunks: list[list[bytes]] = field(default_factory=list)  # each payload, chunked

    @classmethod
    def of(
        cls, codec: Codec, messages: list[bytes], chunk_size: int, *, keep: bool = True
    ) -> Stream:
        """``messages`` encoded with ``codec`` and cut every ``chunk_size`` bytes."""
        wire = b"".join(map(codec.encode, messages))
        return cls(
            messages,
            messages[-1],
            keep,
            wire=wire,
            chunks=_cut(wire, chunk_size),
            payload_chunks=[_cut(m, chunk_size) for m in messages] if len(messages) <= 64 else [],
        )


@dataclass(frozen=True)
class Tcp(Messages):
    """Messages to move over a loopback TCP connection, and their wire form."""

    wire: bytes = b""
    batch: int = 1000  # messages per send_many() call


@dataclass(frozen=True)
class Echo(Messages):
    """Messages to echo one at a time through an asyncio server."""


def to_encode(codec: Codec, messages: list[bytes]) -> Messages:
    """``messages`` to encode with ``codec``: a run must end with the last one's wire form."""
    return Messages(messages, codec.encode(messages[-1]))


def _cut(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


_PRINTABLE = bytes(0x21 + i % 94 for i in range(256))  # no b"\n", b"\r" or b"\x00"


def blob(size: int, seed: int, *, text: bool = False) -> bytes:
    """``size`` reproducible pseudo-random bytes; printable ones when ``text``."""
    data = random.Random(seed).randbytes(size)
    return data.translate(_PRINTABLE) if text else data


def _small(count: int, size: int, *, text: bool) -> list[bytes]:
    data = blob(count * size, 1, text=text)
    return [data[i : i + size] for i in range(0, count * size, size)]


# --------------------------------------------------------------------------
# workloads
# --------------------------------------------------------------------------

#: An implementation: takes a run's input, returns its messages (or their number).
ImplFn = Callable[[Any], "list[Any] | Tally | int"]


@dataclass(frozen=True)
class Impl:
    """One implementation of a workload; ``fn`` None means unavailable (``note`` says why)."""

    name: str
    role: str  # "framing", "peer" or "ceiling"
    fn: ImplFn | None
    note: str = ""


@dataclass(frozen=True)
class Target:
    """A goal for one implementation's row, from issue 7."""

    impl: str  # the row it applies to
    # "peer" (speed vs the fastest peer), "ceiling" (vs the ceiling),
    # "linearity", or "reference" (time vs the row named ``reference``)
    kind: str
    threshold: float
    reference: str = ""

    def __str__(self) -> str:
        if self.kind == "linearity":
            return f"linearity <= {self.threshold:g}"
        if self.kind == "reference":
            name = self.reference.removeprefix("reference: ")
            if self.threshold < 1:  # a speed-up: say it as one
                return f">= {1 / self.threshold:.3g}x {name}'s speed"
            return f"time <= {self.threshold:g}x {name}'s"
        reference = "fastest peer" if self.kind == "peer" else "ceiling"
        return f">= {self.threshold:g}x {reference}"


#: The compiled core's yardsticks (issue 16): msgpack's C unpacker on the same payloads.
MSGPACK_REFERENCE = "reference: msgpack Unpacker (C), bin8 frames"
PURE_ROW = "framing, pure Python"
JOIN_SPLIT_REFERENCE = 'reference: b"".join(chunks).split(b"\\n")'

#: send_many's yardstick (issue 15): the batch a user would write by hand.
JOINED_SEND = 'reference: sendall(b"".join(pack(len(m)) + m)), 1,000 a call'

#: The trickles' yardstick (issue 15): the least a decoder object does per chunk.
DECODER_REFERENCE = "reference: the same as a decoder (feed, iterate)"


@dataclass
class Workload:
    """Something to time: one input per variant, implementations added by name."""

    key: str  # stable identifier, e.g. "decode-small-lp"
    title: str
    unit: str  # "msg/s", "MB/s" or "ms" (time of the first variant)
    amount: float  # messages or MB moved by one run of the first variant
    prepare: Callable[[], tuple[Messages, ...]]  # built only when the workload is run
    codec: Codec
    impls: list[Impl] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def add(self, name: str, role: str, fn: ImplFn | None, note: str = "") -> None:
        """Add an implementation (``fn`` None: listed as unavailable, with ``note``)."""
        self.impls.append(Impl(name, role, fn, note))

    def selected(self, pattern: str | None) -> bool:
        """Whether ``--only pattern`` selects this workload (glob or substring of key/title)."""
        if not pattern:
            return True
        pattern = pattern.lower()
        key, title = self.key.lower(), self.title.lower()
        return fnmatch.fnmatch(key, pattern) or pattern in key or pattern in title


def _count(n: int) -> str:
    return f"{n:,}"


def _size(n: int) -> str:
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= KiB and n % KiB == 0:
        return f"{n // KiB} KiB"
    return f"{n} B"


def workloads(sizes: Sizes = FULL) -> list[Workload]:
    """Every workload, each with its ``framing`` row(s) and issue 7's targets."""
    s = sizes
    lp: Codec = LengthPrefixed("!I")
    trickle_max = max(s.trickle_sizes)
    limit = f"max_length={_size(trickle_max)}"
    crlf: Codec = Delimited(b"\r\n", max_length=trickle_max)
    trickle_codecs: list[tuple[str, str, Codec, bool]] = [
        ("lp", "LengthPrefixed('!I')", lp, False),
        ("lines", f"Lines({limit})", Lines(max_length=trickle_max), True),
        ("crlf", f"Delimited(b'\\r\\n', {limit})", crlf, True),
        ("netstring", "Netstring()", Netstring(), False),
        ("cobs", f"COBS({limit})", COBS(max_length=trickle_max), False),
        ("slip", f"SLIP({limit})", SLIP(max_length=trickle_max), False),
    ]
    chunks = f"in {_size(s.chunk_size)} chunks"
    small = f"{_count(s.small_count)} x {_size(s.small_size)}"
    big = f"{_count(s.big_count)} x {_size(s.big_size)}"
    big_mb = s.big_count * s.big_size / 1e6
    result: list[Workload] = []

    def small_messages(text: bool) -> list[bytes]:
        return _small(s.small_count, s.small_size, text=text)

    def big_messages(text: bool) -> list[bytes]:
        return [blob(s.big_size, 2, text=text)] * s.big_count

    long_lines: Codec = Lines(max_length=s.big_size)
    pairs: list[tuple[str, str, Codec, str, Codec, bool]] = [
        ("lp", "LengthPrefixed('!I')", lp, "LengthPrefixed('!I')", lp, False),
        ("lines", "Lines()", Lines(), f"Lines(max_length={_size(s.big_size)})", long_lines, True),
    ]
    for style, name, codec, big_name, big_codec, text in pairs:

        def small_stream(codec: Codec = codec, text: bool = text) -> tuple[Messages, ...]:
            return (Stream.of(codec, small_messages(text), s.chunk_size),)

        def big_stream(codec: Codec = big_codec, text: bool = text) -> tuple[Messages, ...]:
            return (Stream.of(codec, big_messages(text), s.chunk_size, keep=False),)

        def small_list(codec: Codec = codec, text: bool = text) -> tuple[Messages, ...]:
            return (to_encode(codec, small_messages(text)),)

        def big_list(codec: Codec = big_codec, text: bool = text) -> tuple[Messages, ...]:
            return (to_encode(codec, big_messages(text)),)

        w = Workload(
            f"decode-small-{style}", f"decode {small} {chunks}: {name}", "msg/s",
            s.small_count, small_stream, codec,
        )
        w.add("framing", "framing", decode_with(codec))
        # The compiled core beside its pure twin (issue 16); bench/compare.py
        # runs these workloads on older commits too, which have neither.
        compiled = getattr(framing, "__compiled__", False)
        if compiled:
            from framing.testing import pure_python

            w.add(PURE_ROW, "framing", decode_with(pure_python(codec)))  # type: ignore[arg-type]
        if style == "lp":
            w.targets += [Target("framing", "peer", 1.5), Target("framing", "ceiling", 0.5)]
            if compiled:
                w.targets += [
                    Target("framing", "reference", 1 / 1.2, MSGPACK_REFERENCE),
                    Target("framing", "reference", 1 / 4, PURE_ROW),
                ]
        else:
            w.targets.append(Target("framing", "peer", 2.0))
            if compiled:
                w.targets.append(Target("framing", "reference", 1 / 1.5, JOIN_SPLIT_REFERENCE))
        result.append(w)

        w = Workload(
            f"decode-big-{style}", f"decode {big} {chunks}: {big_name}", "MB/s",
            big_mb, big_stream, big_codec,
        )
        w.add("framing", "framing", decode_with(big_codec))
        w.targets.append(Target("framing", "ceiling", 0.8))
        result.append(w)

        w = Workload(
            f"encode-small-{style}", f"encode {small}: {name}", "msg/s",
            s.small_count, small_list, codec,
        )
        w.add("framing", "framing", encode_with(codec))
        w.add("framing encode_parts", "framing", encode_parts_with(codec))
        if style == "lp":
            w.targets.append(Target("framing", "peer", 0.9))  # issue 15: the textbook pack + m
        result.append(w)

        w = Workload(
            f"encode-big-{style}", f"encode {big}: {big_name}", "MB/s", big_mb, big_list, big_codec
        )
        w.add("framing", "framing", encode_with(big_codec))
        w.add("framing encode_parts", "framing", encode_parts_with(big_codec))
        result.append(w)

    large, little = s.trickle_sizes
    for style, name, codec, text in trickle_codecs:

        def trickle(codec: Codec = codec, text: bool = text) -> tuple[Messages, ...]:
            return tuple(
                Stream.of(codec, [blob(size, 3, text=text)], s.trickle_chunk)
                for size in s.trickle_sizes
            )

        w = Workload(
            f"trickle-{style}",
            f"decode one {_size(large)} frame in {_size(s.trickle_chunk)} chunks "
            f"(linearity: / {_size(little)}): {name}",
            "ms", 1.0, trickle, codec,
        )
        w.add("framing", "framing", decode_with(codec))
        w.targets.append(Target("framing", "linearity", 5.0))
        w.targets.append(Target("framing", "reference", 3.0, DECODER_REFERENCE))  # issue 15
        result.append(w)
        if style in ("crlf", "netstring", "cobs", "slip"):

            def one_big(codec: Codec = codec, text: bool = text) -> tuple[Messages, ...]:
                return (to_encode(codec, [blob(large, 3, text=text)]),)

            w = Workload(
                f"encode-frame-{style}", f"encode one {_size(large)} frame: {name}", "MB/s",
                large / 1e6, one_big, codec,
            )
            w.add("framing", "framing", encode_with(codec))
            w.add("framing encode_parts", "framing", encode_parts_with(codec))
            result.append(w)

    result += _tcp_workloads(s, lp)
    return result


def _tcp_workloads(s: Sizes, lp: Codec) -> list[Workload]:
    def tcp(count: int, size: int) -> Callable[[], tuple[Messages, ...]]:
        def prepare() -> tuple[Messages, ...]:
            messages = [blob(size, 4)] * count if size >= KiB else _small(count, size, text=False)
            wire = b"".join(map(lp.encode, messages))
            keep = size < KiB
            return (Tcp(messages, messages[-1], keep, wire=wire, batch=s.send_batch),)

        return prepare

    def echo() -> tuple[Messages, ...]:
        messages = _small(s.echo_count, s.echo_size, text=False)
        return (Echo(messages, messages[-1]),)

    big = f"{_count(s.tcp_big_count)} x {_size(s.tcp_big_size)}"
    small = f"{_count(s.tcp_small_count)} x {_size(s.tcp_small_size)}"
    batch = f"send_many ({_count(s.send_batch)} a call)"
    result = []

    w = Workload(
        "tcp-big", f"TCP loopback, {big}, LengthPrefixed('!I'): send + recv", "MB/s",
        s.tcp_big_count * s.tcp_big_size / 1e6, tcp(s.tcp_big_count, s.tcp_big_size), lp,
    )
    w.add("framing", "framing", _tcp_send_recv(lp))
    w.targets.append(Target("framing", "ceiling", 0.9))
    result.append(w)

    w = Workload(
        "tcp-small-send", f"TCP loopback, {small}, LengthPrefixed('!I'): send (raw receiver)",
        "msg/s", s.tcp_small_count, tcp(s.tcp_small_count, s.tcp_small_size), lp,
    )
    w.add("framing send", "framing", _tcp_send(lp, many=False))
    w.add(f"framing {batch}", "framing", _tcp_send(lp, many=True))
    w.targets.append(Target(f"framing {batch}", "peer", 5.0))
    w.targets.append(Target(f"framing {batch}", "reference", 2.0, JOINED_SEND))  # issue 15
    result.append(w)

    w = Workload(
        "tcp-small-recv", f"TCP loopback, {small}, LengthPrefixed('!I'): recv (raw sender)",
        "msg/s", s.tcp_small_count, tcp(s.tcp_small_count, s.tcp_small_size), lp,
    )
    w.add("framing recv", "framing", _tcp_recv(lp))
    result.append(w)

    for suffix, loop_name in (("", ""), ("-uvloop", ", uvloop")):
        uvloop_ok, why = optional_module("uvloop") if suffix else (True, "")
        on_loop = on_uvloop if suffix else (lambda fn: fn)
        w = Workload(
            f"aio-echo{suffix}",
            f"asyncio loopback echo{loop_name}, {_count(s.echo_count)} x {_size(s.echo_size)} "
            "one at a time: LengthPrefixed('!I')",
            "msg/s", s.echo_count, echo, lp,
        )
        w.add("framing.aio", "framing", on_loop(_aio_echo(lp)) if uvloop_ok else None, why)
        w.targets.append(Target("framing.aio", "peer", 1.2))  # issues 12 and 15
        result.append(w)

        w = Workload(
            f"aio-echo-pipelined{suffix}",
            f"asyncio loopback echo{loop_name}, {_count(s.echo_count)} x {_size(s.echo_size)} "
            f"in windows of {ECHO_WINDOW}: LengthPrefixed('!I')",
            "msg/s", s.echo_count, echo, lp,
        )
        w.add(
            "framing.aio", "framing",
            on_loop(_aio_echo(lp, window=ECHO_WINDOW)) if uvloop_ok else None, why,
        )
        w.targets.append(Target("framing.aio", "peer", 1.5))  # issues 12 and 15
        result.append(w)

    w = Workload(
        "anyio-echo",
        f"anyio (asyncio backend) loopback echo, {_count(s.echo_count)} x {_size(s.echo_size)} "
        "one at a time: LengthPrefixed('!I')",
        "msg/s", s.echo_count, echo, lp,
    )
    module, why = optional_module("framing.anyio")  # needs anyio, and a framing that has it
    w.add("framing.anyio", "framing", _anyio_echo(lp) if module else None, why)
    w.targets.append(Target("framing.anyio", "peer", 1.0))  # issue 12
    result.append(w)
    return result


def on_uvloop(fn: ImplFn) -> ImplFn:
    """``fn`` run with uvloop's event loop policy, so its ``asyncio.run`` runs on uvloop."""

    def run(work: Any) -> list[Any] | Tally | int:
        import uvloop

        policy = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        try:
            return fn(work)
        finally:
            asyncio.set_event_loop_policy(policy)

    return run


def optional_module(name: str) -> tuple[ModuleType | None, str]:
    """The module ``name`` and "", or None and why it cannot be imported (an optional peer's)."""
    try:
        return importlib.import_module(name), ""
    except ImportError as error:
        return None, f"{name} cannot be imported yet ({error})"


# --------------------------------------------------------------------------
# the framing implementations
# --------------------------------------------------------------------------


def decode_with(codec: Codec) -> ImplFn:
    """Feed a stream's chunks to one decoder, collecting every message."""

    def run(stream: Stream) -> list[Any] | Tally:
        decoder = codec.decoder()
        out = stream.sink()
        feed = decoder.feed
        if isinstance(out, list):
            extend = out.extend
            for chunk in stream.chunks:
                feed(chunk)
                extend(decoder)
        else:  # big messages: handled one by one in the loop, as a receiver would
            for chunk in stream.chunks:
                feed(chunk)
                for message in decoder:
                    out.count += 1
                    out.last = message
        decoder.feed_eof()
        out.extend(decoder)
        return out

    return run


def encode_with(codec: Codec) -> ImplFn:
    """Encode every message, one ``bytes`` each."""

    def run(messages: Messages) -> list[bytes]:
        encode = codec.encode
        return [encode(m) for m in messages.messages]

    return run


def encode_parts_with(codec: Codec) -> ImplFn:
    """Encode every message as parts to send (header, payload not copied, ...)."""

    def run(messages: Messages) -> list[tuple[Any, ...]]:
        encode_parts = codec.encode_parts
        return [encode_parts(m) for m in messages.messages]

    return run


def _tcp_send_recv(codec: Codec) -> ImplFn:
    def run(tcp: Tcp) -> list[Any] | Tally:
        with loopback() as (a, b):
            sender, receiver = FramedSocket(a, codec), FramedSocket(b, codec)

            def send() -> None:
                for message in tcp.messages:
                    sender.send(message)

            with in_thread(send):
                recv, out = receiver.recv, tcp.sink()
                for _ in range(tcp.expected):
                    out.append(recv())
                return out

    return run


def _tcp_send(codec: Codec, *, many: bool) -> ImplFn:
    def run(tcp: Tcp) -> int:
        with loopback() as (a, b), in_thread(lambda: recv_raw(b, len(tcp.wire))):
            sender = FramedSocket(a, codec)
            messages = tcp.messages
            if many:
                for i in range(0, len(messages), tcp.batch):
                    sender.send_many(messages[i : i + tcp.batch])
            else:
                for message in messages:
                    sender.send(message)
        return len(messages)

    return run


def _tcp_recv(codec: Codec) -> ImplFn:
    def run(tcp: Tcp) -> list[bytes]:
        with loopback() as (a, b), in_thread(lambda: a.sendall(tcp.wire)):
            recv = FramedSocket(b, codec).recv
            return [recv() for _ in range(tcp.expected)]

    return run


ECHO_WINDOW = 100  # messages a pipelining echo client sends before it reads their echoes


def _aio_echo(codec: Codec, window: int = 1) -> ImplFn:
    async def echo(stream: Any) -> None:
        async for message in stream:
            await stream.send(message)

    async def main(messages: list[bytes]) -> list[bytes]:
        server = await aio.start_server(echo, "127.0.0.1", 0, codec)
        port = server.sockets[0].getsockname()[1]
        stream = await aio.open_connection("127.0.0.1", port, codec)
        out = []
        if window == 1:
            for message in messages:
                await stream.send(message)
                out.append(await stream.recv())
        else:
            for start in range(0, len(messages), window):
                batch = messages[start : start + window]
                await stream.send_many(batch)
                out += [await stream.recv() for _ in batch]
        stream.close()
        await stream.wait_closed()
        server.close()
        await server.wait_closed()
        return out

    def run(echoes: Echo) -> list[bytes]:
        return asyncio.run(asyncio.wait_for(main(echoes.messages), TIMEOUT))

    return run


def _anyio_echo(codec: Codec) -> ImplFn:
    import anyio
    from anyio.abc import SocketAttribute

    from framing import anyio as framed_anyio

    async def echo(stream: Any) -> None:
        async for message in stream:
            await stream.send(message)

    async def main(messages: list[bytes]) -> list[bytes]:
        out = []
        async with anyio.create_task_group() as tg:
            listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
            port = listener.extra(SocketAttribute.local_port)

            async def serve() -> None:
                async with listener:  # closed when the task group is cancelled
                    await listener.serve(framed_anyio.handler(echo, codec))

            tg.start_soon(serve)
            async with await framed_anyio.connect_tcp("127.0.0.1", port, codec) as stream:
                for message in messages:
                    await stream.send(message)
                    out.append(await stream.receive())
            tg.cancel_scope.cancel()
        return out

    def run(echoes: Echo) -> list[bytes]:
        async def bounded() -> list[bytes]:
            with anyio.fail_after(TIMEOUT):
                return await main(echoes.messages)

        return anyio.run(bounded)

    return run


# --------------------------------------------------------------------------
# socket helpers (shared with bench/run.py's peers and ceilings)
# --------------------------------------------------------------------------


@contextmanager
def loopback() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair of TCP sockets on 127.0.0.1 (TCP_NODELAY, timeouts set), closed after."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(TIMEOUT)
        a = socket.create_connection(server.getsockname()[:2], timeout=TIMEOUT)
        b, _ = server.accept()
    with a, b:
        b.settimeout(TIMEOUT)
        for s in (a, b):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        yield a, b


@contextmanager
def in_thread(fn: Callable[[], object]) -> Iterator[None]:
    """Run ``fn`` in a thread while the body runs; join it after, re-raising its error."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(TIMEOUT)
    if thread.is_alive():
        raise TimeoutError(f"benchmark thread still running after {TIMEOUT} s")
    if errors:
        raise errors[0]


def recv_raw(sock: socket.socket, total: int, buffer_size: int = 256 * KiB) -> int:
    """Receive and discard exactly ``total`` bytes with ``recv_into`` (the raw ceiling)."""
    buffer = memoryview(bytearray(buffer_size))
    received = 0
    recv_into = sock.recv_into
    while received < total:
        n = recv_into(buffer, min(buffer_size, total - received))
        if not n:
            raise EOFError(f"peer closed after {received} of {total} bytes")
        received += n
    return received


# --------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------


@dataclass
class Row:
    """One implementation's figures for one workload."""

    workload: str
    title: str
    unit: str
    implementation: str
    role: str
    seconds: list[float] = field(default_factory=list)  # median per variant
    best: list[float] = field(default_factory=list)  # fastest run per variant
    runs: int = 0
    figure: float | None = None  # in ``unit``
    vs_peer: float | None = None  # speed ratio to the fastest peer
    vs_ceiling: float | None = None  # speed ratio to the ceiling
    linearity: float | None = None  # fastest run of variant 0 / of variant 1
    targets: list[str] = field(default_factory=list)
    met: bool | None = None  # every target met (None: no target, or not measured)
    note: str = ""


def _time(fn: ImplFn, data: Messages) -> tuple[float, list[Any] | Tally | int]:
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        result = fn(data)
        elapsed = clock() - start
    finally:
        if enabled:
            gc.enable()
    return elapsed, result


def _check(result: list[Any] | Tally | int, data: Messages) -> str:
    """Why ``result`` is wrong for ``data``, or "" when it is right."""
    count = result if isinstance(result, int) else len(result)
    if count != data.expected:
        return f"wrong result: {count} messages, expected {data.expected}"
    if isinstance(result, int) or not result:
        return ""
    last = result[-1]
    if (b"".join(last) if isinstance(last, tuple) else last) != data.last:
        return "wrong result: the last message (or wire form) differs"
    return ""


def _runs_wanted(first: float, sizes: Sizes) -> int:
    """How many runs an implementation whose first run took ``first`` seconds gets."""
    if first >= sizes.budget:
        return 1  # a quadratic peer: one run tells enough
    most = sizes.repeats if first >= FAST else max(sizes.repeats, sizes.fast_repeats)
    fit = int(sizes.budget / first) if first > 0 else most
    return max(sizes.min_repeats, min(most, fit))


def measure(workload: Workload, sizes: Sizes) -> list[Row]:
    """Time every implementation of ``workload``; rows with ratios and targets.

    Each round runs every implementation on every variant once, so that load
    on the machine hits all of them, and both sides of a linearity ratio, alike.
    """
    rows = [
        Row(workload.key, workload.title, workload.unit, impl.name, impl.role, note=impl.note)
        for impl in workload.impls
    ]
    pairs = zip(workload.impls, rows, strict=True)
    runnable = [(impl, row) for impl, row in pairs if impl.fn is not None]
    inputs = workload.prepare()
    times: dict[str, list[list[float]]] = {impl.name: [] for impl, _ in runnable}
    wanted = {impl.name: sizes.repeats for impl, _ in runnable}
    active = [(impl, row) for impl, row in runnable if not row.note]
    while active:
        for impl, row in active:
            assert impl.fn is not None
            round_times: list[float] = []
            for data in inputs:
                row.note = _run_once(impl.fn, data, round_times)
                if row.note:
                    break
            else:
                times[impl.name].append(round_times)
                if len(times[impl.name]) == 1:
                    wanted[impl.name] = _runs_wanted(sum(round_times), sizes)
        active = [
            (impl, row)
            for impl, row in active
            if not row.note and len(times[impl.name]) < wanted[impl.name]
        ]
    for impl, row in runnable:
        if not row.note:
            rounds = times[impl.name]
            row.seconds = [statistics.median(run) for run in zip(*rounds, strict=True)]
            row.best = [min(run) for run in zip(*rounds, strict=True)]
            row.runs = len(rounds)
    _derive(workload, rows)
    return rows


def _run_once(fn: ImplFn, data: Messages, times: list[float]) -> str:
    """Time one run into ``times``; what went wrong, or "" if its result is right."""
    try:
        elapsed, result = _time(fn, data)
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:200]
    times.append(elapsed)
    return _check(result, data)


def _derive(workload: Workload, rows: list[Row]) -> None:
    measured = [row for row in rows if row.seconds and not row.note]
    peers = [row.seconds[0] for row in measured if row.role == "peer"]
    ceilings = [row.seconds[0] for row in measured if row.role == "ceiling"]
    for row in measured:
        first = max(row.seconds[0], 1e-9)  # a clock too coarse to see the run
        row.figure = first * 1e3 if workload.unit == "ms" else workload.amount / first
        if peers:
            row.vs_peer = min(peers) / first
        if ceilings:
            row.vs_ceiling = min(ceilings) / first
        if len(row.best) > 1:
            # Fastest runs: preemption on a busy machine only ever adds time,
            # and a millisecond of it would swamp the smaller frame's run.
            row.linearity = row.best[0] / max(row.best[1], 1e-9)
    seconds = {row.implementation: row.seconds[0] for row in measured}
    for target in workload.targets:
        for row in rows:
            if row.implementation != target.impl:
                continue
            value = {"peer": row.vs_peer, "ceiling": row.vs_ceiling}.get(
                target.kind, row.linearity
            )
            if target.kind == "reference":
                reference = seconds.get(target.reference)
                value = row.seconds[0] / reference if reference and row.seconds else None
            met = None
            if value is not None:
                met = value <= target.threshold if target.kind in ("linearity", "reference") else (
                    value >= target.threshold
                )
            verdict = {True: "met", False: "MISSED", None: "not measured"}[met]
            row.targets.append(f"{target} {verdict}")
            if met is not None:
                row.met = met if row.met is None else row.met and met


# --------------------------------------------------------------------------
# the table and the JSON report
# --------------------------------------------------------------------------


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.3g} ms"
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_table(rows: Sequence[Row]) -> str:
    """One table: workload x implementation, figures, ratios, linearity and targets."""
    width = max([len(row.implementation) for row in rows] + [14]) + 2
    header = (
        f"  {'implementation':{width}}{'figure':>10}  {'vs peer':>8}  {'vs ceil':>8}"
        f"  {'linear':>7}  targets"
    )
    lines = [header, "  " + "-" * (len(header) + 20)]
    title = None
    for row in rows:
        if row.title != title:
            title = row.title
            lines.append(f"{title}  [{row.unit}]")
        linear = "-" if row.linearity is None else f"{row.linearity:.2f}"
        tail = "; ".join(row.targets)
        if row.note:
            tail = f"{tail}; {row.note}" if tail else row.note
        lines.append(
            f"  {row.implementation:{width}}{_figure(row.figure, row.unit):>10}"
            f"  {_ratio(row.vs_peer):>8}  {_ratio(row.vs_ceiling):>8}  {linear:>7}  {tail}"
        )
    return "\n".join(line.rstrip() for line in lines)


def report(rows: Sequence[Row], sizes: Sizes, **extra: Any) -> dict[str, Any]:
    """The JSON-ready record of a run: where, when, with what sizes, ``extra``, and every row."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        **extra,
        "sizes": asdict(sizes),
        "rows": [asdict(row) for row in rows],
    }


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options ``bench/workloads.py`` and ``bench/run.py`` share."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="smaller workloads, fewer runs (well under a minute)"
    )
    size.add_argument(
        "--smoke", action="store_true",
        help="tiny workloads run once: checks that everything runs, figures mean nothing",
    )
    p.add_argument("--json", metavar="FILE", help="also write every row as JSON to FILE")
    p.add_argument(
        "--only", metavar="PATTERN",
        help="run only the workloads whose key or title matches (glob or substring)",
    )
    return p


def sizes_for(args: argparse.Namespace) -> Sizes:
    """The sizes the parsed options ask for."""
    return SMOKE if args.smoke else QUICK if args.quick else FULL


def run(
    selected: Sequence[Workload],
    sizes: Sizes,
    json_path: str | None,
    progress: Callable[[str], object] = print,
    **extra: Any,
) -> list[Row]:
    """Measure ``selected``, print the table, write the JSON (with ``extra``); the rows."""
    rows: list[Row] = []
    for workload in selected:
        progress(f"# {workload.key} ...")
        rows += measure(workload, sizes)
    print(format_table(rows))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as file:
            json.dump(report(rows, sizes, **extra), file, indent=1)
            file.write("\n")
    return rows


def run_cli(argv: list[str]) -> int:
    """``bench/workloads.py [--quick | --smoke] [--json FILE] [--only PATTERN]``: the framing rows.

    Returns 1 if a framing row failed (wrong result or an error), else 0.
    """
    p = parser("bench/workloads.py", "Time framing's codecs and sockets on this machine.")
    args = p.parse_args(argv)
    sizes = sizes_for(args)
    selected = [w for w in workloads(sizes) if w.selected(args.only)]
    if not selected:
        p.error(f"no workload matches {args.only!r}")
    for workload in selected:  # ratios to peers and ceilings need bench/run.py
        workload.targets = [t for t in workload.targets if t.kind == "linearity"]
    print(
        f"bench/workloads.py: Python {platform.python_version()}, "
        f"median of up to {max(sizes.repeats, sizes.fast_repeats)} runs; "
        "see bench/run.py for the peers and ceilings",
        flush=True,
    )
    rows = run(selected, sizes, args.json, progress=lambda line: None)
    failed = [row for row in rows if row.note.startswith(("failed", "wrong"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
