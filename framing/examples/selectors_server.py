"""Many clients at once in one thread: non-blocking sockets and ``selectors``.

::

    while True:
        for each socket the selector says is ready:
            listener readable   -> accept, register the new connection
            connection readable -> receive() what is there; queue the replies
            connection writable -> flush() what the socket takes now

The third model of Python's socket HOWTO: no thread per client, no
blocking call. A ``FramedConnection`` wraps each non-blocking socket: its
decoder keeps whatever part of a frame has arrived until the rest comes, and
its queue keeps whatever part of a reply the socket would not take, so the
loop itself never deals with partial reads or writes.

    python -m framing.examples.selectors_server            # the demo
    python -m framing.examples.selectors_server --serve 5000
    python -m framing.examples.selectors_server --connect 127.0.0.1 5000
"""

from __future__ import annotations

import selectors
import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedConnection

from ._clients import CLIENTS, CODEC, many_clients
from ._runner import log, run_example


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Serve every client from this one thread; return once ``clients`` have come and gone."""
    selector = selectors.DefaultSelector()
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    accepted = 0
    while selector.get_map():  # until the listener is retired and every client has gone
        for key, mask in selector.select(timeout=1.0):
            if key.fileobj is listener:
                sock, (host, port, *_) = listener.accept()
                accepted += 1
                log("server", f"client {accepted} connected from {host}:{port}")
                conn = FramedConnection(sock, CODEC)
                # data: what the loop needs when this socket is ready again.
                selector.register(conn, conn.events, data=(conn, accepted))
                if clients is not None and accepted == clients:
                    selector.unregister(listener)  # no more clients for the demo
                continue
            conn, number = key.data
            try:
                if mask & selectors.EVENT_READ:
                    # receive() reads once, then yields every complete message.
                    conn.send_many(line.upper() for line in conn.receive())
                conn.flush()  # whatever the socket takes now; the rest stays queued
                selector.modify(conn, conn.events, data=key.data)  # read, write or both
            except framing.ConnectionClosed:
                log("server", f"client {number} closed the connection")
                selector.unregister(conn)
                conn.close()
            except framing.IncompleteFrame as error:
                log("server", f"client {number} left mid-line: {error.partial!r}")
                selector.unregister(conn)
                conn.close()
            except (framing.FramingError, OSError) as error:  # a bad frame, a reset, ...
                # Only this client's connection ends; everyone else is served on.
                log("server", f"client {number}: {type(error).__name__}: {error}; closing it")
                selector.unregister(conn)
                conn.close()
    selector.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, many_clients, clients=CLIENTS + 1)


if __name__ == "__main__":
    sys.exit(main())
