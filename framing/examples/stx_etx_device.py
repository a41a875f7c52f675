"""A serial device's command protocol: STX, the command and its CRC-16, DLE-stuffed, ETX.

::

    command   T  E  M  P  ?
    wire      02 54 45 4d 50 3f d8 12 03   STX, the command, its CRC-16/XMODEM, ETX
                                           (an 02, 03 or 10 inside is sent as 10 42,
                                           10 43 or 10 10: STX and ETX only frame)

Instruments, scales, printers and PLCs often frame their commands this way:
the receiver waits for STX, collects bytes up to ETX and checks the CRC.
``Checksummed(STXETX(), "crc16-xmodem")`` is that framing. Bytes between
frames (line noise) are skipped, and a frame whose ETX was lost is reported
when the next STX comes, so the device answers it with a NAK and goes on.

    python -m framing.examples.stx_etx_device            # the demo
    python -m framing.examples.stx_etx_device --serve 5000
    python -m framing.examples.stx_etx_device --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all
from framing.codecs.checksummed import Checksummed
from framing.codecs.stx_etx import STXETX

from ._runner import Address, accept, log, run_example

CODEC = Checksummed(STXETX(max_length=258), "crc16-xmodem")  # commands of 256 bytes at most
NAK = b"\x15"  # ASCII negative acknowledge: the frame was bad, send it again
READINGS = {b"ID?": b"ACME-42 v1.3", b"TEMP?": b"21.5 C"}


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """The device: answer each command; a bad frame gets a NAK."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            while True:
                try:
                    command = fs.recv()
                except framing.InvalidFrame as error:  # a bad CRC or escape, a lost ETX
                    log("server", f"bad frame ({error}): NAK")
                    fs.send(NAK)
                    continue
                except framing.ConnectionClosed:
                    log("server", "host disconnected")
                    break
                reply = READINGS.get(command, b"ERR unknown command")
                log("server", f"{command.decode()} -> {reply.decode()}")
                fs.send(reply)


def client(address: Address) -> None:
    """The host: commands, then line noise, a corrupted frame and one that lost its ETX."""
    with connect(address, CODEC, timeout=5.0) as fs:
        for command in (b"ID?", b"TEMP?"):
            log("client", f"{command.decode()} as {CODEC.encode(command).hex(' ')}")
            fs.send(command)
            log("client", f"reply {fs.recv().decode()}")

        # The failure paths, as a noisy serial line delivers them.
        log("client", "line noise, then TEMP? with a corrupted byte")
        corrupted = CODEC.encode(b"TEMP?").replace(b"M", b"N")
        send_all(fs.socket, b"\x00\xff noise \x03" + corrupted)
        log("client", f"reply {fs.recv()!r}")
        log("client", "ID? without its ETX, then TEMP?")
        send_all(fs.socket, CODEC.encode(b"ID?")[:-1] + CODEC.encode(b"TEMP?"))
        log("client", f"reply {fs.recv()!r}, then reply {fs.recv().decode()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client)


if __name__ == "__main__":
    sys.exit(main())
