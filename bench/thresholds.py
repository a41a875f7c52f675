#!/usr/bin/env python
"""Sweep each size threshold of the receive buffer: where does it cross over on this machine?

    python bench/thresholds.py [--only NAME] [--repeats N]

Each threshold of ``framing.core.buffer`` decides between two ways of doing
one thing (collect a frame's chunks or grow a bytearray; gather small chunks
or list them; split or search; copy twice or through a view). For each, the
workloads it affects are decoded with the threshold set to each candidate
value in turn, in this one process; a row shows each candidate's speed
relative to the value the code ships with (above 1: faster), and ``*`` marks
the fastest. A threshold earns its place when the shipped value is at or near
the best of every row and some candidate is clearly worse.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's framing

import framing
from framing.codecs import delimited
from framing.core import buffer

KiB = 1024
NEVER = 1 << 40  # a threshold no frame reaches: the other branch always


@dataclass
class Case:
    """One workload: a codec and the chunks of a stream, and how many messages it holds."""

    label: str
    codec: framing.Codec
    chunks: list[bytes]
    messages: int


def stream(label: str, codec: framing.Codec, payload: bytes, total: int, chunk: int) -> Case:
    """About ``total`` bytes of ``payload`` frames, cut into ``chunk``-byte pieces."""
    frame = codec.encode(payload)
    count = max(1, total // len(frame))
    wire = frame * count
    return Case(label, codec, [wire[i : i + chunk] for i in range(0, len(wire), chunk)], count)


def lp(size: int, chunk: int, total: int = 8 << 20) -> Case:
    label = f"LP {size // KiB or size} {'KiB' if size >= KiB else 'B'} in {chunk} B chunks"
    return stream(label, framing.LengthPrefixed("!I"), b"x" * size, total, chunk)


def lines(size: int, chunk: int = 64 * KiB, total: int = 8 << 20) -> Case:
    unit = f"{size // KiB} KiB" if size >= KiB else f"{size} B"
    codec = framing.Lines(max_length=1 << 20)
    return stream(f"lines of {unit} in {chunk // KiB} KiB chunks", codec, b"x" * size, total, chunk)


def decode(case: Case) -> float:
    """Seconds to decode ``case`` once (its messages checked)."""
    decoder = case.codec.decoder()
    out: list[bytes] = []
    feed, extend = decoder.feed, out.extend
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for chunk in case.chunks:
            feed(chunk)
            extend(decoder)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    assert len(out) == case.messages, (case.label, len(out), case.messages)
    return elapsed


@dataclass
class Threshold:
    """A threshold, the values to try, and the workloads it decides for."""

    name: str
    decides: str
    candidates: list[int]
    cases: Callable[[], list[Case]]
    modules: tuple[object, ...] = (buffer,)

    @property
    def shipped(self) -> int:
        value: int = getattr(buffer, self.name)
        return value

    def set(self, value: int) -> None:
        for module in self.modules:
            setattr(module, self.name, value)
        if self.name == "GATHER":
            buffer._SMALL_CHUNK = value // 16  # chunks gathered: a sixteenth of it at most


THRESHOLDS = [
    Threshold(
        "LARGE_FRAME",
        "a frame of known length this long is collected as chunks, joined once",
        [16 * KiB, 64 * KiB, 256 * KiB, NEVER],
        lambda: [lp(size, 64 * KiB) for size in (8 * KiB, 32 * KiB, 128 * KiB, 1024 * KiB)],
    ),
    Threshold(
        "LONG_DELIMITED_FRAME",
        "a line this long with no delimiter yet is collected as chunks",
        [1 * KiB, 4 * KiB, 16 * KiB, NEVER],
        lambda: [lines(size) for size in (2 * KiB, 6 * KiB, 24 * KiB, 96 * KiB, 1024 * KiB)],
        (buffer, delimited),
    ),
    Threshold(
        "GATHER",
        "small chunks of a collected frame are gathered into bytearrays this long",
        [4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB],
        lambda: [
            lp(1024 * KiB, 64, 1024 * KiB + 4),
            lp(1024 * KiB, 1024, 1024 * KiB + 4),
            lp(16384 * KiB, 1024, 16384 * KiB + 4),
        ],
    ),
    Threshold(
        "LONG_PIECE",
        "lines this long are found one by one with find(), not bytes.split",
        [128, 512, 2 * KiB, NEVER],
        lambda: [lines(size) for size in (64, 256, 1 * KiB, 4 * KiB)],
    ),
    Threshold(
        "SMALL_COPY",
        "a frame this short is copied out of a bytearray twice, not through a view",
        [1 * KiB, 4 * KiB, 16 * KiB, NEVER],
        lambda: [lp(size, 512) for size in (2 * KiB, 8 * KiB, 32 * KiB)],
    ),
]


def sweep(threshold: Threshold, repeats: int) -> None:
    """Print one row per workload: each candidate's speed relative to the shipped value."""
    shipped = threshold.shipped
    cases = threshold.cases()
    best: dict[tuple[str, int], float] = {}
    try:
        for _ in range(repeats):  # candidates take turns, so that load hits them alike
            for value in threshold.candidates:
                threshold.set(value)
                for case in cases:
                    key = (case.label, value)
                    best[key] = min(best.get(key, float("inf")), decode(case))
    finally:
        threshold.set(shipped)
    names = ["never" if v == NEVER else f"{v // KiB} KiB" if v >= KiB else f"{v} B"
             for v in threshold.candidates]
    print(f"\n{threshold.name} = {shipped}: {threshold.decides}")
    print(f"  {'workload':<36}" + "".join(f"{n:>11}" for n in names))
    for case in cases:
        times = [best[(case.label, value)] for value in threshold.candidates]
        fastest = min(times)
        cells = [
            f"{best[(case.label, shipped)] / t:>10.2f}{'*' if t == fastest else ' '}"
            for t in times
        ]
        print(f"  {case.label:<36}" + "".join(cells))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/thresholds.py", description=__doc__.splitlines()[0])
    p.add_argument("--only", metavar="NAME", help="one threshold, e.g. LARGE_FRAME")
    p.add_argument("--repeats", type=int, default=5, help="runs of each workload (best kept)")
    args = p.parse_args(argv)
    chosen = [t for t in THRESHOLDS if args.only in (None, t.name)]
    if not chosen:
        p.error(f"no threshold named {args.only!r}: {', '.join(t.name for t in THRESHOLDS)}")
    for threshold in chosen:
        sweep(threshold, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
