"""Request/response ended by a half-close: the HTTP/1.0 pattern (``UntilClose``).

::

    client -> server    GET /hello HTTP/1.0\\r\\n\\r\\n   then shutdown(SHUT_WR): EOF
    server -> client    HTTP/1.0 200 OK\\r\\n\\r\\nHello  then close: EOF

One message per direction: the sender's ``shutdown(SHUT_WR)`` (which
``FramedSocket.send`` does after an ``UntilClose`` message) is the end of
the message, and the receiver still answers on the same connection. The
catch: the receiver cannot tell a complete message from one cut short by an
early close, so it has to check the message itself (here: a request ends
with a blank line).

    python -m framing.examples.until_close            # the demo
    python -m framing.examples.until_close --serve 5000
    python -m framing.examples.until_close --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect

from ._runner import Address, accept, log, run_example

CODEC = framing.UntilClose(max_length=64 * 1024)

PAGES = {"/hello": b"Hello, world!\n"}


def respond(request: bytes) -> bytes:
    """The whole response to one whole request."""
    if not request.endswith(b"\r\n\r\n"):  # cut short: the client closed too early
        return b"HTTP/1.0 400 Bad Request\r\n\r\nincomplete request\n"
    method, path, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    if method == "GET" and path in PAGES:
        return b"HTTP/1.0 200 OK\r\n\r\n" + PAGES[path]
    return b"HTTP/1.0 404 Not Found\r\n\r\n"


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Read each client's one request (until its EOF), send one response, close."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            request = fs.recv()  # returns once the client has shut down its side
            response = respond(request)
            status = response.split(b"\r\n", 1)[0]
            log("server", f"{request!r} -> {status!r}")
            fs.send(response)  # then shutdown: the client's recv() sees the end


def client(address: Address) -> None:
    """Two good requests, then one cut short by an early close."""
    for request in (b"GET /hello HTTP/1.0\r\n\r\n", b"GET /nothing HTTP/1.0\r\n\r\n",
                    b"GET /hel"):
        with connect(address, CODEC, timeout=5.0) as fs:
            fs.send(request)  # the request, then shutdown(SHUT_WR)
            response = fs.recv()  # everything until the server closes
            log("client", f"{request!r} -> {response!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client, clients=3)


if __name__ == "__main__":
    sys.exit(main())
