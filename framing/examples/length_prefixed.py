"""Length-prefixed binary messages: JSON requests and replies behind a 4-byte length.

::

    00 00 00 1d  {"op": "add", "args": [2, 3]}
    +- length -+ +------- 29 bytes of JSON -------+

The receiver reads the 4-byte header, then knows exactly how many bytes
follow: no scanning for a delimiter, and the payload may hold any byte. The
declared length is checked against ``max_length`` the moment the header is
in, so a peer announcing 2 GiB is refused before a byte of it is buffered.

    python -m framing.examples.length_prefixed            # the demo
    python -m framing.examples.length_prefixed --serve 5000
    python -m framing.examples.length_prefixed --connect 127.0.0.1 5000
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Sequence
from typing import Any

import framing
from framing import FramedSocket, connect, send_all

from ._runner import Address, accept, log, run_example

# Both ends must agree on the codec: a 4-byte big-endian ("!") unsigned ("I")
# length, and nothing larger than 64 KiB (the default would be 16 MiB).
CODEC = framing.LengthPrefixed("!I", max_length=64 * 1024)

OPERATIONS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The reply to one request."""
    operation = OPERATIONS.get(request.get("op", ""))
    if operation is None:
        return {"error": f"unknown op {request.get('op')!r}"}
    return {"result": operation(*request["args"])}


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Answer each request of each client, one client after another."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:  # closes the connection at the end
            try:
                for message in fs:  # one whole message each time, until the client closes
                    request = json.loads(message)
                    log("server", f"request {request}")
                    fs.send(json.dumps(answer(request)).encode())
                log("server", "client closed the connection")
            except framing.FrameTooLarge as error:
                # Nothing was buffered: the header alone was enough to refuse.
                log("server", f"refused a frame ({error}); closing the connection")


def client(address: Address) -> None:
    """Send two requests, then misbehave: announce a 2 GiB message."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for request in ({"op": "add", "args": [2, 3]}, {"op": "mul", "args": [6, 7]}):
            fs.send(json.dumps(request).encode())  # header + JSON, all of it
            log("client", f"{request} -> {json.loads(fs.recv())}")

    # The failure path: a peer whose header announces far more than max_length.
    with socket.create_connection(address, timeout=5.0) as sock:
        send_all(sock, b"\x7f\xff\xff\xff")  # "2147483647 bytes follow"
        log("client", "sent a header announcing 2 GiB")
        try:
            FramedSocket(sock, CODEC).recv()
        except framing.ConnectionClosed:
            log("client", "the server closed the connection: no reply")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client, clients=2)


if __name__ == "__main__":
    sys.exit(main())
