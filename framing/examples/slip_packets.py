"""RFC 1055 SLIP: packets between END bytes (C0), with END and ESC (DB) escaped inside.

::

    payload   01 C0 DB               C0 -> DB DC, DB -> DB DD
    wire      C0 01 DB DC DB DD C0   an END first flushes line noise, an END last ends it

The framing of serial-line IP, still used by embedded devices and
bootloaders. Like COBS it is binary-safe and resynchronises at the next END
after a corrupted packet; unlike COBS the overhead depends on the data (up
to double), and an empty packet cannot be sent: receivers drop it.

    python -m framing.examples.slip_packets            # the demo
    python -m framing.examples.slip_packets --serve 5000
    python -m framing.examples.slip_packets --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all

from ._runner import Address, accept, log, run_example

CODEC = framing.SLIP(max_length=1500)  # the MTU of an Ethernet frame


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Echo each packet back; report a corrupted one and carry on."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            try:
                while True:
                    try:
                        packet = fs.recv()
                    except framing.InvalidFrame as error:
                        log("server", f"corrupted packet skipped ({error})")
                        continue
                    log("server", f"packet {packet.hex(' ')}")
                    fs.send(packet)
            except framing.ConnectionClosed:
                log("server", "client closed the connection")


def client(address: Address) -> None:
    """Packets holding END and ESC bytes, then one with a bad escape, then one more."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for packet in (b"\x01\xc0\xdb", b"plain text"):
            log("client", f"sending {packet.hex(' ')} as {CODEC.encode(packet).hex(' ')}")
            fs.send(packet)
            log("client", f"echo {fs.recv().hex(' ')}")
        try:
            fs.send(b"")
        except framing.EncodeError as error:  # refused before anything is sent
            log("client", f"cannot send an empty packet: {error}")
        # The failure path: ESC (DB) must be followed by DC or DD, not 41.
        log("client", "sending a corrupted packet c0 01 db 41 c0")
        send_all(fs.socket, b"\xc0\x01\xdb\x41\xc0")
        fs.send(b"\x02")
        log("client", f"the next packet still arrives: echo {fs.recv().hex(' ')}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client)


if __name__ == "__main__":
    sys.exit(main())
