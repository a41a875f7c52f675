"""Many clients at once, one process per client: isolation, and every CPU core.

::

    server process:   accept() -> start a process, hand it the socket -> accept() -> ...
    process 1:        for line in client 1: reply     (its own interpreter: no shared
    process 2:        for line in client 2: reply      state, no GIL to share)

The classic Unix ``fork()`` server of Python's socket HOWTO, written with
``multiprocessing`` so it runs the same everywhere: the accepted socket is
passed to a new process, and the server closes its own copy. A client that
crashes its process (here, one that leaves mid-line) cannot harm the others,
and CPU-heavy work per client uses every core.

    python -m framing.examples.process_per_client            # the demo
    python -m framing.examples.process_per_client --serve 5000
    python -m framing.examples.process_per_client --connect 127.0.0.1 5000
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
from collections.abc import Sequence
from multiprocessing.process import BaseProcess

import framing
from framing import FramedSocket

from ._clients import CLIENTS, CODEC, many_clients
from ._runner import accept, log, run_example

# "spawn" starts a fresh interpreter: the same on Linux, macOS and Windows,
# and safe in a process that has threads (fork is not).
CONTEXT = multiprocessing.get_context("spawn")


def handle(conn: socket.socket) -> None:
    """One client's whole conversation, in its own process: upper-case every line."""
    pid = os.getpid()
    with FramedSocket(conn, CODEC) as fs:
        try:
            count = 0
            for line in fs:
                fs.send(line.upper())
                count += 1
            log("server", f"[process {pid}] client closed after {count} lines")
        except framing.IncompleteFrame as error:
            log("server", f"[process {pid}] client left mid-line: {error.partial!r}")
            sys.exit(1)  # this process ends with an error; the server and others go on
        except (framing.FramingError, OSError) as error:  # a bad frame, a reset, ...
            log("server", f"[process {pid}] closing: {type(error).__name__}: {error}")
            sys.exit(1)


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Accept clients and start a process for each; wait for them when the count is reached."""
    processes: list[BaseProcess] = []
    for conn in accept(listener, clients):
        process = CONTEXT.Process(target=handle, args=(conn,), daemon=True)
        process.start()  # the socket is duplicated into the new process...
        conn.close()  # ...so the server closes its own copy
        processes = [p for p in processes if p.is_alive()]
        processes.append(process)
    for running in processes:
        running.join()
        log("server", f"process {running.pid} exited with status {running.exitcode}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, many_clients, clients=CLIENTS + 1)


if __name__ == "__main__":
    sys.exit(main())
