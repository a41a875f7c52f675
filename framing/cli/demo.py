"""``framing demo``: every framing style over a real loopback TCP connection.

For each style the demo connects to itself on 127.0.0.1, sends a few
messages cut into deliberately small pieces (1, 2, 3, 5, 8, ... bytes, so
headers and delimiters are split), and shows each ``recv()`` as it comes:
the bytes, and what the decoder makes of them so far. It ends with one line
per style saying whether the messages round-tripped, and a few bad inputs
with the error each one gives. Exit status 0 only if every style
round-tripped.

It runs in one thread, in lock step: the client sends one piece, then the
server reads it, so every partial read really happens, without sleeps.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import TextIO

from ..codecs.spec import codec_from_spec
from ..core.codec import Codec, Decoder
from ..errors import FramingError
from .console import Colour, ascii_of, hex_ascii, hexdump
from .messages import count

__all__ = ["DEMO_STYLES", "demo"]

#: (name, spec, messages): what the demo sends in each style.
DEMO_STYLES: tuple[tuple[str, str, tuple[bytes, ...]], ...] = (
    ("fixed length", "fixed:8", (b"temp=21C", b"temp=22C")),
    ("lines", "lines", (b"HELO client", b"", b"QUIT")),
    ("delimited", r"delimited:\r\n\r\n", (b"GET / HTTP/1.1\r\nHost: x", b"")),
    ("length-prefixed", "length:!I", (b"hello", b"", b"\x00binary\xff")),
    ("varint-prefixed", "length:varint", (b"protobuf", b"x" * 130)),
    # Whole MQTT packets (kept header): PUBLISH "t" "hi", then DISCONNECT.
    ("MQTT packets", "length:mqtt,offset=1,keep-header", (b"\x30\x05\x00\x01thi", b"\xe0\x00")),
    ("until close", "until-close", (b"GET / HTTP/1.0\r\n\r\n",)),
    ("netstring", "netstring", (b"hello world!", b"")),
    ("COBS", "cobs", (b"\x11\x22\x00\x33", b"", b"\x00")),
    ("SLIP", "slip", (b"\x01\xc0\xdb", b"end")),
    # PPP frames: an LCP Echo-Request, then Address and Control around a flag and an escape.
    ("HDLC", "hdlc", (b"\xff\x03\xc0\x21\x09\x01\x00\x08\x1a\x2b\x3c\x4d", b"\xff\x03~}")),
    ("STX/ETX with a CRC", "stx-etx+crc16-xmodem", (b"TEMP?", b"\x02\x03\x10", b"")),
    ("COBS with a CRC-32", "cobs+crc32", (b"\x11\x22\x00\x33", b"")),
)

#: (what, spec, wire): bad input, decoded whole, and the error it gives.
BAD_INPUTS: tuple[tuple[str, str, bytes], ...] = (
    ("a hostile length header", "length:!I,max=1M", b"\x7f\xff\xff\xffAAAA"),
    ("a netstring without its comma", "netstring", b"5:hello!"),
    ("a stream cut mid-frame", "length:!I", b"\x00\x00\x00\x05hel"),
    ("an overlong MQTT remaining length", "length:mqtt,offset=1", b"\x30\x80\x00"),
    ("a COBS frame with a bad code byte", "cobs", b"\x05ab\x00\x02z\x00"),
    ("an HDLC frame with a bad FCS", "hdlc", b"\x7e\xff\x7d\x23hi\x12\x34\x7e"),
    ("an STX/ETX frame whose ETX was lost", "stx-etx", b"\x02lost\x02next\x03"),
)

_PIECES = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)  # fragment sizes: small first, to split headers
_TIMEOUT = 5.0  # seconds; loopback answers in microseconds


@dataclass
class _Result:
    name: str
    spec: str
    sent: tuple[bytes, ...]
    received: list[bytes] = field(default_factory=list)
    wire: int = 0  # wire bytes
    reads: int = 0  # recv() calls that returned data
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.received == list(self.sent)


def _pieces(wire: bytes) -> list[bytes]:
    """``wire`` cut into pieces of 1, 2, 3, 5, 8, ... bytes."""
    pieces, start, index = [], 0, 0
    while start < len(wire):
        size = _PIECES[min(index, len(_PIECES) - 1)]
        pieces.append(wire[start : start + size])
        start += size
        index += 1
    return pieces


def _bytes(count: int) -> str:
    return f"{count:3} byte{'s' if count != 1 else ' '}"


def _cells(data: bytes, limit: int = 10) -> str:
    """Hex and ASCII of ``data`` in fixed-width columns."""
    shown = data[:limit].hex(" ") + (" ..." if len(data) > limit else "")
    return f"{shown:<33} |{ascii_of(data[:limit])}|".ljust(47)


def _messages(messages: list[bytes] | tuple[bytes, ...]) -> str:
    return ", ".join(
        repr(m) if len(m) <= 24 else f"{m[:16]!r}... ({len(m)} bytes)" for m in messages
    )


def _run_style(
    listener: socket.socket, name: str, spec: str, sent: tuple[bytes, ...], out: TextIO, c: Colour
) -> _Result:
    codec: Codec = codec_from_spec(spec)
    result = _Result(name, spec, sent)
    wire = b"".join(codec.encode(message) for message in sent)
    result.wire = len(wire)
    print(c.bold(f"{name}") + f"   codec_from_spec({spec!r}) = {codec!r}", file=out)
    print(f"  send  {_messages(sent)}", file=out)
    print(f"  wire  {count(len(wire), 'byte')}", file=out)
    for line in hexdump(wire):
        print(c.dim(f"        {line}"), file=out)
    decoder = codec.decoder()
    with socket.create_connection(listener.getsockname(), timeout=_TIMEOUT) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server, _ = listener.accept()
        with server:
            server.settimeout(_TIMEOUT)
            for piece in _pieces(wire):
                client.sendall(piece)
                got = 0
                while got < len(piece):  # loopback delivers the piece whole; loop anyway
                    data = server.recv(4096)
                    got += len(data)
                    result.reads += 1
                    decoder.feed(data)
                    _report(f"recv {_bytes(len(data))}  {_cells(data)}", decoder, result, out, c)
            # The sender is done: its shutdown is what the receiver sees as EOF.
            client.shutdown(socket.SHUT_WR)
            while data := server.recv(4096):  # nothing is left, but never lose a byte
                decoder.feed(data)  # pragma: no cover
            decoder.feed_eof()
            _report(f"recv EOF -> feed_eof() {'':47}", decoder, result, out, c)
    verdict = c.good("round-tripped") if result.ok else c.bad(f"FAILED {result.error}")
    print(f"  got   {_messages(result.received)}  {verdict}\n", file=out)
    return result


def _report(what: str, decoder: Decoder, result: _Result, out: TextIO, c: Colour) -> None:
    """Drain the decoder after one read; print what it produced."""
    produced: list[bytes] = []
    try:
        produced.extend(decoder)
    except FramingError as error:
        result.error = f"{type(error).__name__}: {error}"
    result.received.extend(produced)
    if produced:
        outcome = c.good("-> " + _messages(produced))
    elif result.error:
        outcome = c.bad(result.error)
    elif decoder.eof:
        outcome = c.dim("clean end of stream")
    else:
        outcome = c.dim(f"need more ({decoder.buffered} buffered)")
    print(f"  {what} {outcome}", file=out)


def _bad_inputs(out: TextIO, c: Colour) -> None:
    print(c.bold("Bad input is reported, never dropped or buffered without bound"), file=out)
    for what, spec, wire in BAD_INPUTS:
        try:
            messages = codec_from_spec(spec).decode(wire)
        except FramingError as error:
            outcome = c.bad(f"{type(error).__name__}: {error}")
        else:  # pragma: no cover - every BAD_INPUTS entry is bad
            outcome = repr(messages)
        print(f"  {what} ({spec}): {hex_ascii(wire)}\n    -> {outcome}", file=out)
    print(file=out)


def demo(out: TextIO) -> int:
    """Run the demo, writing to ``out``; 0 if every style round-tripped, else 1."""
    c = Colour(out)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        host, port = listener.getsockname()[:2]
        title = f"framing demo: every style over TCP on {host}:{port}, sent in pieces\n"
        print(c.bold(title), file=out)
        results = [_run_style(listener, *style, out, c) for style in DEMO_STYLES]
    _bad_inputs(out, c)
    print(c.bold("Summary"), file=out)
    name_width = max(16, *(len(r.name) for r in results))
    spec_width = max(20, *(len(r.spec) for r in results))
    for r in results:
        verdict = c.good("round-tripped") if r.ok else c.bad("FAILED")
        detail = ", ".join(
            (count(len(r.sent), "message"), count(r.wire, "wire byte"), count(r.reads, "read"))
        )
        print(f"  {r.name:{name_width}} {r.spec:{spec_width}} {verdict}  {detail}", file=out)
    return 0 if all(r.ok for r in results) else 1
