"""Binary packets ended by a zero byte, with COBS (Consistent Overhead Byte Stuffing).

::

    payload   11 22 00 33            COBS rewrites every zero as a distance to the next,
    wire      03 11 22 02 33 00      so the only zero on the wire ends the packet

Binary-safe delimited framing at a cost of at most one byte in 254: the
receiver never needs a length, and after a corrupted packet it finds the
start of the next one at the next zero byte. That makes COBS a favourite on
serial links and in embedded protocols.

    python -m framing.examples.cobs_packets            # the demo
    python -m framing.examples.cobs_packets --serve 5000
    python -m framing.examples.cobs_packets --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
import zlib
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all

from ._runner import Address, accept, log, run_example

CODEC = framing.COBS(max_length=1024)


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Acknowledge each packet with its CRC-32; a corrupted packet gets a NAK."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            while True:
                try:
                    packet = fs.recv()
                except framing.InvalidFrame as error:
                    # COBS resynchronises: decoding goes on after the next zero byte.
                    log("server", f"corrupted packet ({error})")
                    fs.send(b"NAK")
                    continue
                except framing.ConnectionClosed:
                    log("server", "client closed the connection")
                    break
                log("server", f"packet {packet.hex(' ') or '(empty)'}")
                fs.send(b"ACK " + zlib.crc32(packet).to_bytes(4, "big").hex().encode())


def client(address: Address) -> None:
    """Packets full of zero bytes, and one corrupted on the way."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for packet in (b"\x11\x22\x00\x33", b"\x00\x00\x00", b""):
            wire = CODEC.encode(packet).hex(" ")
            log("client", f"sending {packet.hex(' ') or '(empty)'} as {wire}")
            fs.send(packet)
            log("client", f"reply {fs.recv().decode()}")
        # The failure path: a packet whose first code byte (05) promises four
        # bytes before the next zero, but a zero comes after two.
        log("client", "sending a corrupted packet 05 01 02 00")
        send_all(fs.socket, b"\x05\x01\x02\x00")
        log("client", f"reply {fs.recv().decode()}")
        fs.send(b"\x42\x00")
        log("client", f"the next packet is fine: reply {fs.recv().decode()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client)


if __name__ == "__main__":
    sys.exit(main())
