"""PPP's HDLC-like framing (RFC 1662): LCP echo requests over a link, FCS checked.

::

    payload   ff 03 c0 21 09 01 00 0c 1a 2b 3c 4d 70 69 6e 67      an LCP Echo-Request, "ping"
    wire      7e ff 7d 23 c0 21 7d 29 7d 21 7d 20 7d 2c 7d 3a 2b 3c 4d 70 69 6e 67 47 2a 7e
              flag, control characters escaped as 7d and the byte ^ 20, FCS-16 2a47, flag

The framing of PPP on serial lines and modems, and of many links that
borrowed it. Each frame carries a 16-bit FCS, so a corrupted frame is
detected and discarded (RFC 1662 says to count it, and PPP's own timers
resend); a frame ended by the abort sequence (7D 7E) is dropped silently,
and control characters a modem inserts on the line are removed, as the ACCM
says. Here a serial link is played by TCP, as a serial-to-TCP bridge would.

    python -m framing.examples.hdlc_link            # the demo
    python -m framing.examples.hdlc_link --serve 5000
    python -m framing.examples.hdlc_link --connect 127.0.0.1 5000
"""

from __future__ import annotations

import socket
import struct
import sys
from collections.abc import Sequence

import framing
from framing import FramedSocket, connect, send_all
from framing.codecs.checksummed import ChecksumMismatch
from framing.codecs.hdlc import HDLC

from ._runner import Address, accept, log, run_example

# PPP's default MRU is 1500 bytes of Information; with Address, Control and
# the two-byte Protocol field, 1504 bytes go between the flags (FCS aside).
CODEC = HDLC(max_length=1504)

HEADER = b"\xff\x03\xc0\x21"  # Address (all stations), Control (UI), Protocol: LCP
ECHO_REQUEST, ECHO_REPLY = 9, 10  # LCP codes (RFC 1661, 5.8)
MAGIC = 0x1A2B3C4D  # our LCP Magic-Number


def echo(code: int, ident: int, data: bytes) -> bytes:
    """An LCP Echo-Request or Echo-Reply in its PPP frame's payload."""
    return HEADER + struct.pack("!BBHI", code, ident, 8 + len(data), MAGIC) + data


def parse(frame: bytes) -> tuple[int, int, bytes]:
    """Code, identifier and data of an LCP echo packet."""
    code, ident, length, _ = struct.unpack_from("!BBHI", frame, len(HEADER))
    return code, ident, frame[len(HEADER) + 8 : len(HEADER) + length]


def serve(listener: socket.socket, clients: int | None = None) -> None:
    """Answer each LCP Echo-Request; count and drop frames whose FCS is wrong."""
    for conn in accept(listener, clients):
        with FramedSocket(conn, CODEC) as fs:
            fcs_errors = 0
            while True:
                try:
                    frame = fs.recv()
                except ChecksumMismatch as error:
                    fcs_errors += 1
                    log("server", f"FCS error {fcs_errors}, frame discarded ({error})")
                    continue
                except framing.ConnectionClosed:
                    log("server", f"the link went down ({fcs_errors} FCS errors)")
                    break
                _, ident, data = parse(frame)
                log("server", f"LCP echo-request id={ident} {data!r}")
                fs.send(echo(ECHO_REPLY, ident, data))


def client(address: Address) -> None:
    """Echo requests, then a corrupted frame, an aborted one and one with line noise inside."""
    with connect(address, CODEC, timeout=5.0) as fs:
        request = echo(ECHO_REQUEST, 1, b"ping")
        log("client", f"echo-request id=1 as {CODEC.encode(request).hex(' ')}")
        fs.send(request)
        _, ident, data = parse(fs.recv())
        log("client", f"echo-reply id={ident} {data!r}")

        # The failure paths, written on the socket as a noisy line would deliver them.
        corrupted = bytearray(CODEC.encode(echo(ECHO_REQUEST, 2, b"lost")))
        corrupted[-5] ^= 0x01  # a bit flipped in "lost": the FCS no longer matches
        log("client", "echo-request id=2 with a bit flipped on the line")
        send_all(fs.socket, bytes(corrupted))
        aborted = CODEC.encode(echo(ECHO_REQUEST, 3, b"never"))[:-1] + b"\x7d\x7e"
        log("client", "echo-request id=3 cut short by the abort sequence 7d 7e")
        send_all(fs.socket, aborted)
        noisy = CODEC.encode(echo(ECHO_REQUEST, 4, b"xon"))
        noisy = noisy[:6] + b"\x11" + noisy[6:]  # an XON that a modem inserted
        log("client", "echo-request id=4 with an XON (11) inserted on the line")
        send_all(fs.socket, noisy)
        _, ident, data = parse(fs.recv())
        log("client", f"the next reply is id={ident} {data!r}: 2 was discarded, 3 aborted")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, or one side (see the module docstring)."""
    return run_example(argv, __doc__, serve, client)


if __name__ == "__main__":
    sys.exit(main())
