#!/usr/bin/env python
"""The compiled core against the pure one, for every codec a compiled loop decodes.

    python bench/compiled.py [--count N] [--size B] [--rounds R]

N messages of B bytes (300,000 of 32 by default), framed by each codec and
cut into 64 KiB chunks, are decoded by the codec (the compiled core) and by
``framing.testing.pure_python(codec)`` (the pure one), taking turns for R
rounds so that a noisy machine slows both alike; each figure is the best of
its rounds. The ratio is the pure core's time over the compiled one's.
Without a compiled core (not built, or ``FRAMING_NO_EXTENSIONS=1``) it says
so and stops.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's framing

import framing
from framing import Codec, Delimited, FixedLength, LengthPrefixed, Lines
from framing.testing import pure_python

CHUNK = 64 * 1024


def codecs(size: int) -> list[tuple[Codec, Callable[[bytes], bytes]]]:
    """Each codec a compiled loop decodes, and how it frames one message."""
    lines = (Lines(), Lines(strict_crlf=True), Delimited(b"\r\n"), Delimited(b"\0"))
    out: list[tuple[Codec, Callable[[bytes], bytes]]] = [
        (c, c.encode)
        for c in (
            LengthPrefixed("!I"),
            LengthPrefixed("varint"),
            LengthPrefixed("uvarint"),
            LengthPrefixed("mqtt"),
            *lines,
        )
    ]
    out.append((FixedLength(size), bytes))
    return out


def decode_all(codec: Codec, chunks: list[bytes]) -> int:
    """Feed every chunk, collect every message; how many there were."""
    decoder = codec.decoder()
    feed, out = decoder.feed, []
    extend = out.extend
    for chunk in chunks:
        feed(chunk)
        extend(decoder)
    return len(out)


def best_times(runs: list[Callable[..., int]], rounds: int, expected: int) -> list[float]:
    """The best time of each run over ``rounds`` rounds taken in turns."""
    best = [float("inf")] * len(runs)
    gc.disable()
    try:
        for _ in range(rounds):
            for index, run in enumerate(runs):
                start = time.perf_counter()
                got = run()
                best[index] = min(best[index], time.perf_counter() - start)
                if got != expected:
                    raise SystemExit(f"decoded {got} messages, not {expected}")
    finally:
        gc.enable()
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300_000, help="messages per stream")
    parser.add_argument("--size", type=int, default=32, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=7, help="turns each core takes")
    args = parser.parse_args(argv)
    if not framing.__compiled__:
        print("the compiled core is not in use (not built, or FRAMING_NO_EXTENSIONS=1)")
        return 1
    message = bytes(range(97, 97 + 26)) * (args.size // 26 + 1)
    message = message[: args.size]
    print(f"# {args.count:,} x {args.size} B in 64 KiB chunks, best of {args.rounds} in turns")
    print(f"{'codec':<44} {'compiled':>12} {'pure':>12} {'ratio':>7}")
    for codec, frame in codecs(args.size):
        wire = frame(message) * args.count
        chunks = [wire[i : i + CHUNK] for i in range(0, len(wire), CHUNK)]
        pure = pure_python(codec)
        runs = [
            lambda codec=codec, chunks=chunks: decode_all(codec, chunks),
            lambda pure=pure, chunks=chunks: decode_all(pure, chunks),
        ]
        compiled_time, pure_time = best_times(runs, args.rounds, args.count)
        rate = f"{args.count / compiled_time / 1e6:.2f} M/s"
        print(
            f"{codec!r:<44.44} {rate:>12} {args.count / pure_time / 1e6:>8.2f} M/s"
            f" {pure_time / compiled_time:>6.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
