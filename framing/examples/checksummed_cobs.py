"""Binary packets with a CRC-32 each: COBS framing around payload and checksum.

::

    payload   01 00 02                       COBS finds the packet; the CRC-32 (big-endian,
    framed    01 00 02 | 10 8d d2 09         here 108dd209) tells whether it arrived intact
    wire      02 01 06 02 10 8d d2 09 00

COBS resynchronises after a damaged frame, but a flipped bit that leaves the
zero bytes alone goes unnoticed by the framing: the payload is simply wrong.
``Checksummed(COBS(), "crc32")`` catches it: the decoder raises
``ChecksumMismatch`` (an ``InvalidFrame``) with the checksum it computed and
the one it received, and decoding goes on with the next packet.

    python -m framing.examples.checksummed_cobs            # the demo
    python -m framing.examples.checksummed_cobs --serve 5000
    python -m framing.examples.checksummed_cobs --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all
from framing.codecs.checksummed import Checksummed, ChecksumMismatch

from ._runner import Address, accept, log, run_example

CODEC = Checksummed(framing.COBS(max_length=1028), "crc32")  # packets of 1024 bytes at most


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Acknowledge each intact packet; a damaged one gets a NAK."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            while True:
                try:
                    packet = fs.recv()
                except ChecksumMismatch as error:
                    log(
                        "server",
                        f"damaged packet: computed {error.expected:08x}, "
                        f"received {error.received:08x}",
                    )
                    fs.send(b"NAK")
                    continue
                except framing.ConnectionClosed:
                    log("server", "client closed the connection")
                    break
                log("server", f"packet {packet.hex(' ') or '(empty)'}")
                fs.send(b"ACK %d" % len(packet))


def client(address: Address) -> None:
    """Packets with zero bytes, then one with a bit flipped on the way, then one more."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for packet in (b"\x01\x00\x02", b""):
            wire = CODEC.encode(packet).hex(" ")
            log("client", f"sending {packet.hex(' ') or '(empty)'} as {wire}")
            fs.send(packet)
            log("client", f"reply {fs.recv().decode()}")
        # The failure path: a bit flipped in the payload; every zero byte is still in place.
        damaged = bytearray(CODEC.encode(b"\x10\x20\x30"))
        damaged[2] ^= 0x04
        log("client", f"sending 10 20 30 damaged on the way: {damaged.hex(' ')}")
        send_all(fs.socket, bytes(damaged))
        log("client", f"reply {fs.recv().decode()}")
        fs.send(b"\x10\x20\x30")
        log("client", f"sent again: reply {fs.recv().decode()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client)


if __name__ == "__main__":
    sys.exit(main())
