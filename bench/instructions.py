#!/usr/bin/env python
"""Instructions per unit of work, counted by callgrind: stable where timings are noise.

    python bench/instructions.py [SCENARIO ...] [--small N] [--large N]

Each scenario runs twice under ``valgrind --tool=callgrind``, once with N
small and once with N large units of work (chunks fed, round trips), and
the difference of the two instruction counts over the difference of the
units is the cost of one unit: interpreter start-up and imports cancel
out. Every scenario has a framing row and a reference row in the same
run, and the ratio between them is what to compare across commits (a
busy machine changes timings, not instruction counts).

Scenarios:

- ``trickle-lp``, ``trickle-lines``, ``trickle-crlf``, ``trickle-netstring``,
  ``trickle-cobs``, ``trickle-slip``: one chunk of 64 bytes of a 1 MiB
  message fed to the decoder, then the decoder iterated. Two references:
  the same least work as a decoder object (``feed(chunk)`` appends it and
  counts down the bytes still missing, iterating it hands out nothing: two
  Python calls per chunk), and that work inline (no call at all), the
  least any incremental decoder must do.
- ``aio-echo``: one 64-byte round trip through a ``framing.aio`` echo
  server and client on loopback; the reference is asyncio's own streams
  (``readexactly``) on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's framing

import framing
import framing.aio

CHUNK = 64
MESSAGE = 1 << 20
_HEADER = struct.Struct("!I")


# --------------------------------------------------------------------------
# the work, run inside valgrind (``--inner``)
# --------------------------------------------------------------------------


def _trickle_framing(codec: framing.Codec) -> Callable[[int], None]:
    def run(chunks: int) -> None:
        wire = codec.encode(b"x" * MESSAGE)
        decoder = codec.decoder()
        out: list[bytes] = []
        for index in range(chunks):
            start = (index * CHUNK) % len(wire)
            decoder.feed(wire[start : start + CHUNK])
            out.extend(decoder)

    return run


_NOTHING: Iterator[bytes] = iter(())


class _CountingDecoder:
    """The least a decoder object does per chunk: append it, count down, hand out when done."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.needed = MESSAGE
        self.done: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.pieces.append(chunk)
        self.needed -= len(chunk)
        if self.needed <= 0:
            self.done.append(b"".join(self.pieces))
            self.pieces = []
            self.needed = MESSAGE

    def __iter__(self) -> Iterator[bytes]:
        if not self.done:
            return _NOTHING
        done, self.done = self.done, []
        return iter(done)


def _trickle_counting_decoder(chunks: int) -> None:
    decoder = _CountingDecoder()
    out: list[bytes] = []
    data = b"x" * (MESSAGE + 4)
    for index in range(chunks):
        start = (index * CHUNK) % len(data)
        decoder.feed(data[start : start + CHUNK])
        out.extend(decoder)


def _trickle_reference(chunks: int) -> None:
    """Append each chunk, count down what the frame still needs: the least a decoder does."""
    pieces: list[bytes] = []
    needed = MESSAGE
    data = b"x" * (MESSAGE + 4)
    for index in range(chunks):
        start = (index * CHUNK) % len(data)
        chunk = data[start : start + CHUNK]
        pieces.append(chunk)
        needed -= len(chunk)
        if needed <= 0:
            b"".join(pieces)
            pieces = []
            needed = MESSAGE


def _aio_framing(round_trips: int) -> None:
    codec = framing.LengthPrefixed("!I")

    async def echo(stream: framing.aio.FramedStream) -> None:
        async for message in stream:
            await stream.send(message)

    async def main() -> None:
        server = await framing.aio.start_server(echo, "127.0.0.1", 0, codec)
        port = server.sockets[0].getsockname()[1]
        async with await framing.aio.open_connection("127.0.0.1", port, codec) as stream:
            for _ in range(round_trips):
                await stream.send(b"m" * 64)
                await stream.recv()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def _aio_reference(round_trips: int) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(4)
                writer.write(header + await reader.readexactly(_HEADER.unpack(header)[0]))
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(round_trips):
            writer.write(_HEADER.pack(64) + b"m" * 64)
            await writer.drain()
            await reader.readexactly(_HEADER.unpack(await reader.readexactly(4))[0])
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


#: scenario -> (unit, {row: work(units)}), the framing row first.
SCENARIOS: dict[str, tuple[str, dict[str, Callable[[int], None]]]] = {
    **{
        f"trickle-{style}": (
            "64-byte chunk",
            {
                f"framing {type(codec).__name__}": _trickle_framing(codec),
                "reference as a decoder: feed, iterate": _trickle_counting_decoder,
                "reference inline: append, count down": _trickle_reference,
            },
        )
        for style, codec in [
            ("lp", framing.LengthPrefixed("!I")),
            ("lines", framing.Lines(max_length=2 * MESSAGE)),
            ("crlf", framing.Delimited(b"\r\n", max_length=2 * MESSAGE)),
            ("netstring", framing.Netstring(max_length=2 * MESSAGE)),
            ("cobs", framing.COBS(max_length=2 * MESSAGE)),
            ("slip", framing.SLIP(max_length=2 * MESSAGE)),
        ]
    },
    "aio-echo": (
        "round trip",
        {"framing.aio": _aio_framing, "asyncio streams readexactly": _aio_reference},
    ),
}


# --------------------------------------------------------------------------
# the counting, outside valgrind
# --------------------------------------------------------------------------


def instructions(scenario: str, row: str, units: int) -> int:
    """The instructions callgrind counts for a whole process doing ``units`` of ``row``."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        result = subprocess.run(
            [
                "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                sys.executable, __file__, "--inner", scenario, row, str(units),
            ],
            capture_output=True, text=True, check=True, timeout=1800,
            # Hash randomisation changes start-up's count by up to a million
            # instructions between two runs: fix the seed, so only the units differ.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:  # pragma: no cover - valgrind's output changed
        raise RuntimeError(f"no instruction count in valgrind's output:\n{result.stderr}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    """Print instructions per unit for each scenario's rows, and the ratio to the reference."""
    p = argparse.ArgumentParser(prog="bench/instructions.py", description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)} (default: all)")
    p.add_argument("--small", type=int, default=2000, help="units of the short run")
    p.add_argument("--large", type=int, default=6000, help="units of the long run")
    p.add_argument("--inner", nargs=3, metavar=("SCENARIO", "ROW", "UNITS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.inner:
        scenario, row, units = args.inner
        SCENARIOS[scenario][1][row](int(units))
        return 0
    if args.large <= args.small:
        p.error("--large must be more than --small")
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        p.error(f"no scenario {unknown[0]!r}; one of {', '.join(SCENARIOS)}")
    for scenario in args.scenarios or SCENARIOS:
        unit, rows = SCENARIOS[scenario]
        print(f"{scenario}: instructions per {unit} ({args.small} and {args.large} units)")
        costs = {}
        for row in rows:
            extra = instructions(scenario, row, args.large) - instructions(
                scenario, row, args.small
            )
            costs[row] = extra / (args.large - args.small)
        # Ratios against each reference row (rows after the first).
        references = list(costs.items())[1:]
        for row, cost in costs.items():
            ratios = ", ".join(
                f"{cost / ref:5.2f}x {name.split(':')[0]}" for name, ref in references
            )
            print(f"  {row:45} {cost:12,.0f}   {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
