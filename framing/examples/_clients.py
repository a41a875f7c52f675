"""The client side shared by the many-clients examples (threads, processes, selectors, asyncio).

Every one of those servers offers the same small service over ``Lines``:
each line comes back upper-cased. ``many_clients`` connects three clients
*at the same time* (each waits until all three are connected before it
sends, so a server that handles one client at a time would deadlock and
fail the demo), then one client that leaves half-way through a line, which
must not disturb anyone else.
"""

from __future__ import annotations

import socket
import threading

import framing
from framing import connect, send_all

from ._runner import Address, log

__all__ = ["CLIENTS", "CODEC", "many_clients"]

CODEC = framing.Lines(max_length=1024)
CLIENTS = 3  # well-behaved clients; plus one that leaves early
WORDS = ("hello", "framing", "world")


def many_clients(address: Address) -> None:
    """Run ``CLIENTS`` concurrent conversations, then the early leaver; raise on a wrong reply."""
    all_connected = threading.Barrier(CLIENTS, timeout=10.0)
    failures: list[BaseException] = []

    def conversation(number: int) -> None:
        try:
            with connect(address, CODEC, timeout=10.0) as fs:
                all_connected.wait()  # every client is connected before any sends
                for word in WORDS:
                    line = f"client {number} says {word}".encode()
                    fs.send(line)
                    reply = fs.recv()
                    assert reply == line.upper(), f"{reply!r} is not {line.upper()!r}"
                log(f"client {number}", f"{len(WORDS)} replies, all upper-cased")
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
            all_connected.abort()

    threads = [threading.Thread(target=conversation, args=(n,)) for n in range(1, CLIENTS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:  # pragma: no cover - a broken server
        raise failures[0]

    # The failure path: a client that closes half-way through a line.
    with socket.create_connection(address, timeout=10.0) as sock:
        send_all(sock, b"no newline at the en")
        log("client 4", "sent half a line, then closed")
