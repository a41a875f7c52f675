"""Reference examples: one short, runnable client/server per framing style and server model.

Run one as ``python -m framing.examples.NAME``: by default it starts a server
on a free loopback port, runs a client against it, and prints what each side
sees, including a failure (a bad frame, an early close). ``--serve PORT`` and
``--connect HOST PORT`` run the two sides in two terminals instead.

=====================  ===================================================
module                 shows
=====================  ===================================================
``fixed_length``       fixed-size binary records (``FixedLength``)
``line_chat``          a small line protocol (``Lines``), resynchronising
``length_prefixed``    JSON messages behind a 4-byte length (``LengthPrefixed``)
``until_close``        HTTP/1.0-style request/response (``UntilClose``)
``netstrings``         D. J. Bernstein's netstrings (``Netstring``)
``cobs_packets``       binary packets with zero bytes (``COBS``)
``slip_packets``       RFC 1055 packets (``SLIP``)
``hdlc_link``          PPP's HDLC-like frames with an FCS (``HDLC``, RFC 1662)
``stx_etx_device``     a serial device's STX/ETX commands with a CRC-16 (``STXETX``)
``checksummed_cobs``   COBS packets with a CRC-32 each (``Checksummed``)
``own_codec``          a codec of your own: Redis bulk strings, public names only
``thread_per_client``  many clients: one thread each
``process_per_client`` many clients: one process each
``selectors_server``   many clients: one thread, non-blocking sockets
``asyncio_server``     many clients: asyncio tasks (``framing.aio``)
=====================  ===================================================
"""

from __future__ import annotations

#: Every example module, in the order the README lists them.
EXAMPLES = (
    "fixed_length",
    "line_chat",
    "length_prefixed",
    "until_close",
    "netstrings",
    "cobs_packets",
    "slip_packets",
    "hdlc_link",
    "stx_etx_device",
    "checksummed_cobs",
    "own_codec",
    "thread_per_client",
    "process_per_client",
    "selectors_server",
    "asyncio_server",
)
