"""Netstrings (D. J. Bernstein): ``<length>:<payload>,`` -- readable and binary-safe.

::

    12:hello world!,   0:,   5:a,b:c,
    +-len-+-payload-+

The length is decimal ASCII, so a capture is easy to read, yet the payload
may hold any byte (commas and colons included). The trailing comma is a
check: a sender that gets the length wrong is caught at once. A netstring
stream cannot resynchronise, so a receiver drops the connection on the first
bad frame.

    python -m framing.examples.netstrings            # the demo
    python -m framing.examples.netstrings --serve 5000
    python -m framing.examples.netstrings --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all

from ._runner import Address, accept, log, run_example

CODEC = framing.Netstring(max_length=1024)


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Reply to each netstring with its bytes reversed; drop a client that sends a bad one."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            try:
                for message in fs:
                    log("server", f"got {message!r}")
                    fs.send(message[::-1])
                log("server", "client closed the connection")
            except framing.InvalidFrame as error:
                log("server", f"bad netstring ({error}); closing the connection")


def client(address: Address) -> None:
    """Three good netstrings, then one whose length is wrong."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for message in (b"hello world!", b"", b"a,b:c"):
            fs.send(message)  # b"12:hello world!," and so on
            log("client", f"sent {CODEC.encode(message)!r}, got back {fs.recv()!r}")

    # The failure path: the length says 3 bytes, but 5 come before the comma.
    with socket.create_connection(address, timeout=5.0) as sock:
        send_all(sock, b"3:hello,")
        log("client", "sent b'3:hello,' (a wrong length)")
        try:
            FramedSocket(sock, CODEC).recv()
        except (framing.ConnectionClosed, ConnectionResetError):
            # A reset, if the server closed before reading all we sent.
            log("client", "the server closed the connection")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client, clients=2)


if __name__ == "__main__":
    sys.exit(main())
