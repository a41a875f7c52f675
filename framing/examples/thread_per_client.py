"""Many clients at once, one thread per client: the simplest concurrent server.

::

    main thread:   accept() -> start a thread -> accept() -> start a thread -> ...
    thread 1:      for line in client 1: reply            (blocking calls are fine:
    thread 2:      for line in client 2: reply             each thread waits alone)

Each connection gets its own thread running plain blocking code, the first
model of Python's socket HOWTO. Threads are cheap enough for hundreds of
clients; a thread's error (here, a client that leaves mid-line) ends only
that thread. ``FramedSocket`` keeps one thread's frames whole even if other
threads send on the same socket.

    python -m framing.examples.thread_per_client            # the demo
    python -m framing.examples.thread_per_client --serve 5000
    python -m framing.examples.thread_per_client --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Sequence

import framing
from framing import FramedSocket

from ._clients import CLIENTS, CODEC, many_clients
from ._runner import accept, log, run_example


def handle(conn: socket.socket) -> None:
    """One client's whole conversation, in its own thread: upper-case every line."""
    name = threading.current_thread().name
    with FramedSocket(conn, CODEC) as fs:
        try:
            count = 0
            for line in fs:
                fs.send(line.upper())
                count += 1
            log("server", f"[{name}] client closed after {count} lines")
        except framing.IncompleteFrame as error:
            log("server", f"[{name}] client left mid-line: {error.partial!r}")
        except (framing.FramingError, OSError) as error:  # a bad frame, a reset, ...
            log("server", f"[{name}] closing: {type(error).__name__}: {error}")


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Accept clients and start a thread for each; wait for them when the count is reached."""
    threads: list[threading.Thread] = []
    for number, conn in enumerate(accept(listener, clients), 1):
        thread = threading.Thread(target=handle, args=(conn,), name=f"thread-{number}")
        thread.daemon = True  # Ctrl-C stops the server without waiting for clients
        thread.start()
        threads = [t for t in threads if t.is_alive()] + [thread]
    for thread in threads:
        thread.join()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, many_clients, clients=CLIENTS + 1)


if __name__ == "__main__":
    sys.exit(main())
