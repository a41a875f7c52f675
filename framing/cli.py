"""The ``framing`` command line.

``framing demo`` frames a few messages in every style, cuts the wire bytes
into fragments as a network would, and shows each decoder putting the
messages back together.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import (
    COBS,
    SLIP,
    Codec,
    Delimited,
    FixedLength,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)

__all__ = ["main"]

DEMO_CODECS: tuple[tuple[str, Codec, tuple[bytes, ...]], ...] = (
    ("fixed length", FixedLength(5), (b"hello", b"world")),
    ("delimited", Delimited(b"\r\n"), (b"hello", b"", b"world")),
    ("lines", Lines(), (b"EHLO example.org", b"QUIT")),
    ("length-prefixed", LengthPrefixed("!I"), (b"hello", b"", b"\x00binary\xff")),
    ("varint-prefixed", LengthPrefixed("varint"), (b"protobuf", b"x" * 130)),
    ("until close", UntilClose(), (b"GET / HTTP/1.0\r\n\r\n",)),
    ("netstring", Netstring(), (b"hello world!", b"")),
    ("COBS", COBS(), (b"\x11\x22\x00\x33", b"")),
    ("SLIP", SLIP(), (b"\x01\xc0\xdb", b"end")),
)


def demo() -> int:
    """Round-trip a few messages per style through fragmented chunks; print what happens."""
    failures = 0
    for name, codec, messages in DEMO_CODECS:
        wire = b"".join(codec.encode(message) for message in messages)
        decoder = codec.decoder()
        received: list[bytes] = []
        # Fragments of 1, 2, 3, ... bytes, as a slow network might deliver them.
        start, size = 0, 1
        while start < len(wire):
            decoder.feed(wire[start : start + size])
            received.extend(decoder)
            start += size
            size += 1
        decoder.feed_eof()
        received.extend(decoder)
        ok = received == list(messages)
        failures += not ok
        print(f"{name:16} {codec!r}")
        print(f"  wire   {wire[:48].hex(' ')}{' ...' if len(wire) > 48 else ''}")
        print(f"  {'round-tripped' if ok else 'FAILED'}: {received!r}"[:120])
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="framing", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="round-trip messages in every framing style")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
