r"""A codec of your own: Redis's bulk strings, ``$5\r\nhello\r\n``, on public names only.

::

    +---+--------+------+-------------+------+
    | $ | length | \r\n |   payload   | \r\n |
    +---+--------+------+-------------+------+
      24   35        0d 0a  68 65 6c 6c 6f  0d 0a      "$5\r\nhello\r\n"

A ``framing.Codec`` defines ``encode`` (or ``encode_parts``) and
``decoder()``; its ``framing.Decoder`` defines one step, ``decode(buffer)``:
return the next message, ``None`` for "need more", or raise a
``FramingError``. Iteration, ``buffered``, ``detach()`` and EOF come from the
base class, exactly as for the built-in codecs, and ``framing.testing``'s
``check_codec(Bulk())`` checks the whole contract. The codec then works with
every adapter: here a ``FramedSocket`` server and client.

    python -m framing.examples.own_codec            # the demo
    python -m framing.examples.own_codec --serve 5000
    python -m framing.examples.own_codec --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import Buffer, FramedSocket, ReceiveBuffer, connect, send_all

from ._runner import Address, accept, log, run_example

HEADER_MAX = len(b"$512000000\r\n")  # Redis's proto-max-bulk-len is 512 MB: ten digits at most


class Bulk(framing.Codec):
    r"""RESP bulk strings: ``$<length>\r\n<payload>\r\n``."""

    def __init__(self, max_length: int = 512 * 1024 * 1024) -> None:
        self.max_length = max_length

    def __repr__(self) -> str:
        return f"Bulk(max_length={self.max_length})"

    def encode_parts(self, message: Buffer) -> tuple[bytes, ...]:
        """Header, payload, CRLF: three parts, sent with one scatter/gather call."""
        payload = bytes(message)
        if len(payload) > self.max_length:
            raise framing.EncodeError(f"{len(payload)} bytes is more than {self.max_length}")
        return (b"$%d\r\n" % len(payload), payload, b"\r\n")

    def decoder(self) -> BulkDecoder:
        """A fresh decoder."""
        return BulkDecoder(self)


class BulkDecoder(framing.Decoder):
    """Reads ``$<length>\\r\\n``, checks the length at once, then the payload and its CRLF."""

    def __init__(self, codec: Bulk) -> None:
        super().__init__(codec)
        self.max_length = codec.max_length

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next payload; ``InvalidFrame`` or ``FrameTooLarge`` as soon as a header shows it."""
        end = buffer.find(b"\r\n", limit=HEADER_MAX)  # resumes where the last search stopped
        if end < 0:
            if len(buffer) >= HEADER_MAX:
                raise framing.InvalidFrame(f"no CRLF in the first {HEADER_MAX} bytes")
            return None
        header = buffer.peek(end)
        if header[:1] != b"$" or not header[1:].isdigit():
            raise framing.InvalidFrame(f"bad bulk string header {header!r}")
        length = int(header[1:])
        if length > self.max_length:
            raise framing.FrameTooLarge(length, self.max_length)
        size = end + 2 + length + 2
        if len(buffer) < size:
            buffer.expect(size)  # not asked again before the whole frame is here
            return None
        if buffer.byte_at(size - 2) != 0x0D or buffer.byte_at(size - 1) != 0x0A:
            raise framing.InvalidFrame(f"bulk string of {length} bytes not followed by CRLF")
        buffer.skip(end + 2)
        payload = buffer.take(length)
        buffer.skip(2)
        return payload


CODEC = Bulk(max_length=1024)


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Echo each bulk string upper-cased; drop a client that sends a bad one."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            try:
                for message in fs:
                    log("server", f"got {message!r}")
                    fs.send(message.upper())
                log("server", "client closed the connection")
            except framing.FramingError as error:
                log("server", f"bad bulk string ({error}); closing the connection")


def client(address: Address) -> None:
    """Two bulk strings, then one that announces more than the server accepts."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for message in (b"hello", b"with\r\ninside"):
            fs.send(message)
            log("client", f"sent {CODEC.encode(message)!r}, got back {fs.recv()!r}")

    # The failure path: a header announcing 2,000 bytes, refused before they come.
    with socket.create_connection(address, timeout=5.0) as sock:
        send_all(sock, b"$2000\r\n")
        log("client", "sent b'$2000\\r\\n' (over max_length)")
        try:
            FramedSocket(sock, CODEC).recv()
        except (framing.ConnectionClosed, ConnectionResetError):
            log("client", "the server closed the connection")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client, clients=2)


if __name__ == "__main__":
    sys.exit(main())
