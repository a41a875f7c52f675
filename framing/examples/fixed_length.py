"""Fixed-length records: every message is exactly 8 bytes, so no header or delimiter is needed.

::

    00 00 00 07  41 b4 00 00     00 00 00 07  41 b8 00 00
    +-sensor 7-+ +- 22.5 --+     +-sensor 7-+ +- 23.0 --+
    +------ record 1 ------+     +------ record 2 ------+

Each record is a ``struct`` of a 4-byte sensor id and a 4-byte float. The
receiver simply waits for 8 bytes at a time, however ``recv()`` cuts them.
What it cannot know is where a record starts if a byte is lost, and a
connection that closes after 5 of 8 bytes leaves an ``IncompleteFrame``
holding those 5 bytes.

    python -m framing.examples.fixed_length            # the demo
    python -m framing.examples.fixed_length --serve 5000
    python -m framing.examples.fixed_length --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import struct
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all

from ._runner import Address, accept, log, run_example

RECORD = struct.Struct("!If")  # sensor id (unsigned 32 bits), reading (32-bit float)
CODEC = framing.FixedLength(RECORD.size)  # 8 bytes per message


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Print each record; answer each with the running average of that client's readings."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            total = count = 0.0
            try:
                for record in fs:  # exactly 8 bytes each time
                    sensor, reading = RECORD.unpack(record)
                    total, count = total + reading, count + 1
                    log("server", f"sensor {sensor}: {reading:.1f}")
                    fs.send(RECORD.pack(sensor, total / count))
                log("server", "client closed the connection")
            except framing.IncompleteFrame as error:
                # The stream ended inside a record: its bytes are kept, not dropped.
                log("server", f"connection closed mid-record; partial={error.partial.hex(' ')}")


def client(address: Address) -> None:
    """Send three readings and print the averages; then close half-way through a record."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for reading in (22.5, 23.0, 21.0):
            fs.send(RECORD.pack(7, reading))
            _sensor, average = RECORD.unpack(fs.recv())
            log("client", f"sent {reading:.1f}, average so far {average:.2f}")

    # The failure path: the connection closes after 5 of a record's 8 bytes.
    with socket.create_connection(address, timeout=5.0) as sock:
        send_all(sock, RECORD.pack(7, 20.0)[:5])
        log("client", "sent 5 bytes of an 8-byte record, then closed")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client, clients=2)


if __name__ == "__main__":
    sys.exit(main())
