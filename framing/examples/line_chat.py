"""A line protocol: text commands, one per line, answered line by line (``Lines``).

::

    client -> server    SET colour blue\\n      GET colour\\n      QUIT\\n
    server -> client    OK\\n                   blue\\n            BYE\\n

The everyday text protocol (SMTP, Redis's inline commands, IRC): each
message ends with ``\\n`` (``\\r\\n`` is accepted too). A line longer than
``max_length`` is refused as soon as that many bytes arrive without a
newline, so a client cannot make the server buffer without bound; the bad
line is skipped up to its newline and the conversation goes on.

    python -m framing.examples.line_chat            # the demo
    python -m framing.examples.line_chat --serve 5000
    python -m framing.examples.line_chat --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all

from ._runner import Address, accept, log, run_example

CODEC = framing.Lines(max_length=100)  # no command is longer than 100 bytes


def respond(line: str, store: dict[str, str]) -> str:
    """The server's answer to one command line."""
    command, _, rest = line.partition(" ")
    if command == "SET" and " " in rest:
        key, value = rest.split(" ", 1)
        store[key] = value
        return "OK"
    if command == "GET":
        return store.get(rest, "(nil)")
    if command == "QUIT":
        return "BYE"
    return f"ERR unknown command {command!r}"


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """One conversation per client; a too-long line gets an error and the next line is read."""
    for conn in accept(listener, clients):
        store: dict[str, str] = {}
        with FramedSocket(conn, CODEC) as fs:
            fs.send(b"HELLO commands: SET key value, GET key, QUIT")
            while True:
                try:
                    line = fs.recv().decode(errors="replace")
                except framing.FrameTooLarge as error:
                    # Lines resynchronises: the rest of the bad line is skipped.
                    log("server", f"too long: {error}")
                    fs.send(f"ERR line longer than {error.max_length} bytes".encode())
                    continue
                except (framing.ConnectionClosed, framing.IncompleteFrame):
                    log("server", "client closed the connection")
                    break
                reply = respond(line, store)
                log("server", f"{line!r} -> {reply!r}")
                fs.send(reply.encode())
                if reply == "BYE":
                    break


def client(address: Address) -> None:
    """A short session, with one line that is far too long."""
    with connect(address, CODEC, timeout=5.0) as fs:
        log("client", f"greeting: {fs.recv().decode()}")
        for line in ("SET colour blue", "GET colour", "X" * 500, "GET colour", "QUIT"):
            if len(line) > CODEC.max_length:
                # encode() would refuse this line (EncodeError), so send it raw.
                send_all(fs.socket, line.encode() + b"\n")
            else:
                fs.send(line.encode())
            shown = line if len(line) < 40 else f"{line[:10]}... ({len(line)} bytes)"
            log("client", f"{shown!r} -> {fs.recv().decode()!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client)


if __name__ == "__main__":
    sys.exit(main())
