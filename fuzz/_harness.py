"""What every fuzz target shares: the codec configurations, the invariant, the engines.

Invariant of every target (checked by ``framing.testing.check_stream``): any
input either decodes or raises ``FramingError``, never anything else, and
gives the same result fed whole or one byte at a time (and split in two at an
input-chosen point), with ``buffered`` bounded and the decoder contract kept
at every step (a failed decoder stays failed, nothing after a clean end).

The first byte of an input picks the codec configuration, the rest is the
stream. Engines: atheris (coverage-guided, libFuzzer's command line) when it
is installed; otherwise, or with ``--random``, a plain mutational loop over
the seed corpus with ``random`` (no coverage feedback), so CI can run every
target even where atheris has no wheel.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FUZZ_DIR = Path(__file__).resolve().parent
TARGETS = (
    "fixed_length",
    "delimited",
    "lines",
    "length_prefixed",
    "until_close",
    "netstring",
    "cobs",
    "slip",
    "any",
)


def configs(target: str) -> list[Any]:
    """The codec configurations a target fuzzes; the input's first byte picks one."""
    from construct import Const, Int8ub, Int16ub, Int24ub, Struct, VarInt

    import framing as f

    header = Struct("magic" / Const(b"FR"), "type" / Int8ub, "length" / Int16ub)
    table: dict[str, list[Any]] = {
        "fixed_length": [f.FixedLength(1), f.FixedLength(3), f.FixedLength(16)],
        "delimited": [
            f.Delimited(b"\n", max_length=16),
            f.Delimited(b"\r\n", max_length=8),
            f.Delimited(b"aba", max_length=5),
            f.Delimited(b"\x00", max_length=0),
            f.Delimited(b"\r\n\r\n", max_length=64),
        ],
        "lines": [
            f.Lines(max_length=8),
            f.Lines(max_length=8, strict_crlf=True),
            f.Lines(max_length=8, allow_unterminated=True),
            f.Lines(max_length=0, strict_crlf=True, allow_unterminated=True),
        ],
        "length_prefixed": [
            f.LengthPrefixed("!I", max_length=64),
            f.LengthPrefixed("B", max_length=32),
            f.LengthPrefixed("<h", max_length=40),
            f.LengthPrefixed("varint", max_length=300),
            f.LengthPrefixed("varint", max_length=300, includes_header=True),
            f.LengthPrefixed("!I", max_length=64, includes_header=True),
            f.LengthPrefixed(Int24ub, max_length=64),
            f.LengthPrefixed(VarInt, max_length=64),
            f.LengthPrefixed(header, max_length=64),
        ],
        "until_close": [f.UntilClose(max_length=32), f.UntilClose(max_length=0)],
        "netstring": [f.Netstring(max_length=12), f.Netstring(), f.Netstring(max_length=0)],
        "cobs": [f.COBS(max_length=20), f.COBS(max_length=300), f.COBS(max_length=0)],
        "slip": [f.SLIP(max_length=6), f.SLIP(max_length=64, leading_end=False)],
    }
    if target == "any":
        return [codec for name in TARGETS[:-1] for codec in table[name]]
    return table[target]


# Findings reported and pinned by a strict xfail in tests/test_testing_findings.py
# but not yet fixed in the codec modules: (codec class name, a regular
# expression the AssertionError matches). An input that hits one is not a new finding, so a long run
# goes on looking for others. Remove an entry as soon as its fix lands
# (FUZZ_STRICT=1 ignores this list).
KNOWN_FINDINGS: list[tuple[str, str]] = [
    # Finding 1, fixed in e6234e9, was:
    # ("COBS", "^after the stream ended and was drained, next_frame\\(\\) raised FrameTooLarge"),
    # Finding 2, fixed in 3abf799, was: too-large netstring
    # digits then a non-digit, FrameTooLarge byte by byte, InvalidFrame whole.
]


def one_input(target: str) -> Callable[[bytes], None]:
    """The function a fuzzer calls with each input."""
    from framing.testing import check_stream

    codecs = configs(target)
    known = [] if os.environ.get("FUZZ_STRICT") else KNOWN_FINDINGS

    def test_one_input(data: bytes) -> None:
        if not data:
            return
        codec = codecs[data[0] % len(codecs)]
        wire = data[1:]
        cut = (data[0] * 131) % (len(wire) + 1)
        try:
            check_stream(codec, wire, [wire[:cut], b"", wire[cut:]])
            same_as_pure_python(codec, wire)
        except AssertionError as error:
            if not any(
                type(codec).__name__ == name and re.search(pattern, str(error), re.S)
                for name, pattern in known
            ):
                raise

    return test_one_input


def _outcome(codec: Any, wire: bytes) -> tuple[list[bytes], str | None]:
    """The messages of ``wire`` fed whole, up to the first error, and that error's type."""
    from framing import FramingError

    decoder = codec.decoder()
    decoder.feed(wire)
    decoder.feed_eof()
    messages: list[bytes] = []
    try:
        messages.extend(decoder)
    except FramingError as error:
        return messages, type(error).__name__
    return messages, None


def same_as_pure_python(codec: Any, wire: bytes) -> None:
    """With the compiled core in use, its decoders must decode ``wire`` as the pure ones do."""
    import framing
    from framing.testing import pure_python

    if getattr(framing, "__compiled__", False):
        compiled, pure = _outcome(codec, wire), _outcome(pure_python(codec), wire)
        assert compiled == pure, f"compiled {compiled!r} != pure Python {pure!r}"


def main(target: str) -> None:
    """Run ``target`` under atheris (libFuzzer flags), or ``--random`` without it."""
    argv = list(sys.argv)
    use_random = "--random" in argv
    argv = [arg for arg in argv if arg != "--random"]
    atheris: Any = None
    if not use_random:
        try:
            import atheris
        except ImportError:
            print(f"atheris is not installed: fuzzing {target} with random mutations")
            use_random = True
    if use_random:
        run_random(target, argv[1:])
        return
    with atheris.instrument_imports(include=["framing"]):
        import framing  # instrumented for coverage feedback
        import framing.testing  # noqa: F401
    atheris.Setup(argv, one_input(target))
    atheris.Fuzz()


def run_random(target: str, args: list[str]) -> None:
    """A mutational loop over the corpus directories in ``args``, for -max_total_time seconds."""
    seconds = 60.0
    runs: int | None = None
    directories: list[Path] = []
    for arg in args:
        if arg.startswith("-max_total_time="):
            seconds = float(arg.split("=", 1)[1])
        elif arg.startswith("-runs="):
            runs = int(arg.split("=", 1)[1])
        elif not arg.startswith("-"):
            directories.append(Path(arg))
    if not directories:
        directories.append(FUZZ_DIR / "corpus" / target)
    seeds = [p.read_bytes() for d in directories if d.is_dir() for p in sorted(d.iterdir())]
    seeds = seeds or [b""]
    test = one_input(target)
    rng = random.Random(int(os.environ.get("FUZZ_SEED", "0")) or None)
    start = time.monotonic()
    executions = 0
    for seed in seeds:  # every seed as it is first
        _run_one(test, seed, target)
        executions += 1
    while time.monotonic() - start < seconds and (runs is None or executions < runs):
        data = mutate(rng, rng.choice(seeds), rng.choice(seeds))
        _run_one(test, data, target)
        executions += 1
    elapsed = time.monotonic() - start
    print(f"#{executions} DONE random engine, {elapsed:.0f} s, {executions / elapsed:.0f} exec/s")
    print(f"stat::number_of_executed_units: {executions}")


def _run_one(test: Callable[[bytes], None], data: bytes, target: str) -> None:
    try:
        test(data)
    except BaseException:
        crash = Path(os.environ.get("FUZZ_ARTIFACTS", "/tmp")) / (
            f"crash-{target}-{hashlib.sha1(data).hexdigest()}"
        )
        crash.write_bytes(data)
        print(f"==ERROR== input written to {crash}: {data!r}", file=sys.stderr)
        raise


SPECIAL = b"\x00\x01\x7f\x80\xff\xc0\xdb\xdc\xdd\r\n:,09aFR"


def mutate(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """One to four random edits of ``data``: flips, inserts, deletes, runs, splices."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        kind = rng.randrange(7)
        if kind == 0 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif kind == 1:
            out[at:at] = bytes([rng.choice(SPECIAL)])
        elif kind == 2:
            del out[at : at + rng.randint(1, 8)]
        elif kind == 3:
            out[at:at] = bytes([rng.randrange(256)]) * rng.randint(1, 400)
        elif kind == 4:
            out[at:at] = other[rng.randint(0, len(other)) :]
        elif kind == 5:
            out[at:at] = out[at : at + rng.randint(1, 16)]
        else:
            del out[at:]
    if out and rng.random() < 0.3:
        out[0] = rng.randrange(256)  # another codec configuration
    return bytes(out[:4096])
