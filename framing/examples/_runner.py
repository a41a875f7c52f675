"""What every example shares: its command line, and the demo that runs both ends.

An example defines ``serve(listener, clients)`` (accept clients on a
listening socket; ``clients`` is how many to serve, ``None`` for ever) and
``client(address)`` (talk to a server), then calls ``run_example``:

- no arguments: the demo. A server on a free loopback port in a thread,
  the client against it, both printing what they see;
- ``--serve PORT [--host HOST]``: only the server, until Ctrl-C (an error
  that escapes ``serve`` ends that client's connection, not the server);
- ``--connect HOST PORT``: only the client.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence

__all__ = ["Address", "accept", "log", "run_example"]

Address = tuple[str, int]
DEMO_TIMEOUT = 10.0  # seconds: a demo that takes longer than this is broken


_output = threading.Lock()  # one line at a time, whichever thread logs


def log(side: str, text: str) -> None:
    """One line of what happens, prefixed with the side that saw it."""
    with _output:
        sys.stdout.write(f"{side:>8}: {text}\n")
        sys.stdout.flush()


def accept(listener: socket.socket, clients: int | None) -> Iterator[socket.socket]:
    """Accept ``clients`` connections (``None``: for ever), yielding each connected socket."""
    served = 0
    while clients is None or served < clients:
        conn, (host, port, *_) = listener.accept()
        served += 1
        log("server", f"client {served} connected from {host}:{port}")
        yield conn


def run_example(
    argv: Sequence[str] | None,
    doc: str | None,
    serve: Callable[[socket.socket, int | None], None],
    client: Callable[[Address], None],
    *,
    clients: int = 1,
) -> int:
    """Parse ``argv`` and run the demo, the server or the client; the exit status.

    ``doc`` is the example's docstring (its first line describes it);
    ``clients`` is how many connections the demo's client makes, so the demo
    server knows when to stop.
    """
    parser = argparse.ArgumentParser(description=(doc or "").split("\n", 1)[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--serve", type=int, metavar="PORT", help="run only the server")
    mode.add_argument("--connect", nargs=2, metavar=("HOST", "PORT"), help="run only the client")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    args = parser.parse_args(argv)

    if args.connect:
        host, port = args.connect
        client((host, int(port)))
        return 0
    if args.serve is not None:
        with socket.create_server((args.host, args.serve)) as listener:
            host, port = listener.getsockname()[:2]
            log("server", f"listening on {host}:{port} (Ctrl-C to stop)")
            while True:
                try:
                    serve(listener, None)
                except KeyboardInterrupt:
                    log("server", "stopped")
                    return 0
                except Exception as error:  # one client's unexpected error: report, go on
                    log("server", f"{type(error).__name__}: {error}; serving the next client")

    # The demo: both ends in one process, the server in a thread.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(DEMO_TIMEOUT)  # a broken demo fails instead of hanging
        address = listener.getsockname()[:2]
        log("server", f"listening on {address[0]}:{address[1]}")
        errors: list[BaseException] = []

        def server() -> None:
            try:
                serve(listener, clients)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        thread = threading.Thread(target=server, name="server", daemon=True)
        thread.start()
        client(address)
        thread.join(DEMO_TIMEOUT)
    if errors or thread.is_alive():  # pragma: no cover - a broken example
        print(f"demo server failed: {errors or 'still running'}", file=sys.stderr)
        return 1
    return 0
