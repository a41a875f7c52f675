"""Send and receive helpers for code that keeps its own sockets.

::

    send_all(sock, b"HELLO\\r\\n")                 # every byte, even on a non-blocking socket
    preface = recv_exactly(sock, 4)                # exactly 4 bytes, or an error
    line = recv_until(sock, b"\\r\\n", 8192)        # b"HELLO", the b"\\r\\n" consumed

``recv_until`` never reads past the delimiter (it peeks, then consumes what
belongs to the line), so the socket can be handed to other code afterwards.
These helpers keep no buffer between calls: if a timeout interrupts a
receive, the bytes it had read are lost. A ``FramedSocket`` keeps them.
"""

from __future__ import annotations

import socket

from ..core.inplace import InPlaceBytes
from ..core.outgoing import gather
from ..core.types import Buffer
from ..errors import ConnectionClosed, FrameTooLarge, IncompleteFrame
from .sockio import fill, send_vector

__all__ = ["recv_exactly", "recv_until", "send_all"]

_PEEK_SIZE = 65536


def send_all(sock: socket.socket, data: Buffer) -> None:
    """Send every byte of ``data`` (not copied), looping over partial sends.

    Unlike ``socket.sendall``, it also works on a non-blocking socket: it
    waits for the socket to become writable when its buffer is full. On a
    socket with a timeout, the timeout bounds each wait for progress, not the
    whole call. If an error (such as that timeout) stops it, the exception's
    ``characters_written`` tells how many bytes were sent, which
    ``socket.sendall`` cannot.
    """
    vector = gather([data])
    size = sum(map(len, vector))
    try:
        send_vector(sock, vector)
    except OSError as error:
        error.characters_written = size - sum(map(len, vector))  # type: ignore[attr-defined]
        raise


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes, received in place (no copy however large ``n`` is).

    At EOF: ``ConnectionClosed`` if none of them arrived, else
    ``IncompleteFrame`` with the ones that did.
    """
    if n < 0:
        raise ValueError(f"cannot receive {n} bytes")
    target = InPlaceBytes(n)
    if fill(sock, target):
        return target.value()
    partial = target.received()
    if not partial:
        raise ConnectionClosed("the peer closed the connection")
    raise IncompleteFrame(partial)


def recv_until(sock: socket.socket, delimiter: bytes, max_length: int = 65536) -> bytes:
    """The bytes before the next ``delimiter``; the delimiter is consumed, nothing after it.

    ``FrameTooLarge`` if more than ``max_length`` bytes come without it (they
    are consumed); at EOF ``ConnectionClosed`` if no byte came, else
    ``IncompleteFrame``. Needs ``MSG_PEEK`` (a plain socket, not ``ssl``).
    """
    if not delimiter:
        raise ValueError("the delimiter must not be empty")
    line = bytearray()
    limit = max_length + len(delimiter)
    while True:
        peeked = sock.recv(min(_PEEK_SIZE, limit - len(line)), socket.MSG_PEEK)
        if not peeked:
            if not line:
                raise ConnectionClosed("the peer closed the connection")
            raise IncompleteFrame(bytes(line))
        start = max(0, len(line) - len(delimiter) + 1)  # a delimiter split across two peeks
        index = (bytes(line[start:]) + peeked).find(delimiter)
        if index >= 0:
            line += recv_exactly(sock, start + index + len(delimiter) - len(line))
            del line[-len(delimiter) :]
            return bytes(line)
        line += recv_exactly(sock, len(peeked))
        if len(line) >= limit:
            raise FrameTooLarge(max_length + 1, max_length)
