"""Decoding cost is linear in the bytes received, whatever the chunking.

A 1 MiB frame fed in 64-byte chunks must cost about 4x a 256 KiB one, not
16x (re-scanning or re-copying the buffer on every feed is quadratic). CPU
time, not wall time, is compared, as the minimum of several runs, and the
bound (8x) sits halfway (in log scale) between linear and quadratic, so
neither a loaded machine nor a fast one makes the test flaky.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from framing import COBS, SLIP, Delimited, LengthPrefixed, Lines, Netstring, UntilClose

KIB = 1024
MIB = 1024 * KIB
BOUND = 8.0  # linear: 4, quadratic: 16

STREAMING = [
    LengthPrefixed("!I"),
    LengthPrefixed("varint"),
    Lines(max_length=2 * MIB),
    Delimited(b"\r\n", max_length=2 * MIB),
    COBS(max_length=2 * MIB),
    SLIP(max_length=2 * MIB),
    Netstring(),
    UntilClose(),
]


@contextmanager
def quiet() -> Iterator[None]:
    """No garbage collection and no tracer (coverage's would slow every line)."""
    tracer = sys.gettrace()
    gc.collect()
    gc.disable()
    sys.settrace(None)
    try:
        yield
    finally:
        sys.settrace(tracer)
        gc.enable()


def cpu_seconds(run: Callable[[], object], repeats: int = 3) -> float:
    """The least CPU time ``run`` took over ``repeats`` runs."""
    best = float("inf")
    with quiet():
        for _ in range(repeats):
            start = time.process_time()
            run()
            best = min(best, time.process_time() - start)
    return best


def growth(run: Callable[[int], object], small: int, large: int) -> float:
    """How much more ``run(large)`` costs than ``run(small)``; best of three tries."""
    run(small)  # warm up
    ratios = []
    for _ in range(3):
        ratios.append(cpu_seconds(lambda: run(large)) / cpu_seconds(lambda: run(small)))
        if ratios[-1] < BOUND:
            break
    return min(ratios)


def one_frame_in_chunks(codec: Any, size: int, chunk: int = 64) -> None:
    """Feed one ``size``-byte message in ``chunk``-byte pieces, iterating after each."""
    wire = codec.encode(b"x" * size)
    decoder = codec.decoder()
    got = []
    for start in range(0, len(wire), chunk):
        decoder.feed(wire[start : start + chunk])
        got += decoder
    decoder.feed_eof()
    got += decoder
    assert [len(m) for m in got] == [size]


@pytest.mark.parametrize("codec", STREAMING, ids=repr)
def test_large_frame_in_small_chunks_costs_linear_time(codec: Any) -> None:
    ratio = growth(lambda size: one_frame_in_chunks(codec, size), 256 * KIB, MIB)
    assert ratio < BOUND


def many_frames_in_one_chunk(codec: Any, count: int, *, iterate: bool) -> None:
    """Feed ``count`` 16-byte messages at once; take them by iteration or next_frame()."""
    decoder = codec.decoder()
    decoder.feed(codec.encode(b"0123456789abcdef") * count)
    if iterate:
        got = len(list(decoder))
    else:
        got = 0
        while decoder.next_frame() is not None:
            got += 1
    assert got == count


@pytest.mark.parametrize("codec", [c for c in STREAMING if not isinstance(c, UntilClose)], ids=repr)
@pytest.mark.parametrize("iterate", [True, False], ids=["iterate", "next_frame"])
def test_many_frames_in_one_chunk_cost_linear_time(codec: Any, iterate: bool) -> None:
    ratio = growth(lambda n: many_frames_in_one_chunk(codec, n, iterate=iterate), 4096, 16384)
    assert ratio < BOUND


def frames_straddling_chunks(codec: Any, count: int) -> None:
    """``count`` 100-byte messages in 64-byte chunks: every frame split across feeds."""
    wire = codec.encode(b"y" * 100) * count
    decoder = codec.decoder()
    got = 0
    for start in range(0, len(wire), 64):
        decoder.feed(wire[start : start + 64])
        got += len(list(decoder))
    assert got == count


@pytest.mark.parametrize("codec", [c for c in STREAMING if not isinstance(c, UntilClose)], ids=repr)
def test_frames_straddling_chunks_cost_linear_time(codec: Any) -> None:
    ratio = growth(lambda n: frames_straddling_chunks(codec, n), 1024, 4096)
    assert ratio < BOUND
