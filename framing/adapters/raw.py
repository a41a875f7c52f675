"""The unframed side of a ``FramedSocket``: ``recv_exactly`` and ``recv_until``.

A protocol may read a fixed preface or a text line, then framed messages::

    MAGC HELLO v1\\r\\n 00 03 one 00 03 two
    ^^^^ recv_exactly(4)
         ^^^^^^^^^^^^^^ recv_until(b"\\r\\n")
                        ^^^^^^^^ ^^^^^^^^^ recv(), recv()

The stream's unconsumed bytes are in the decoder or in this ``RawStream``'s
buffer, never in both: an exact read first takes the decoder's bytes
(``detach()``), and ``recv()`` hands what is left here back to a decoder.
Either move costs one copy of what is buffered (at most one read plus one
frame), so alternating exact reads and frames is linear in the bytes
received, with a per-switch cost.

Every byte read stays here until a call consumes it: at EOF (the error
carries the bytes, which stay buffered) as after a timeout or a signal.
"""

from __future__ import annotations

import socket
from typing import NoReturn

from ..core.buffer import ReceiveBuffer
from ..errors import ConnectionClosed, FrameTooLarge, IncompleteFrame
from .sockio import InPlace

__all__ = ["RawStream"]


class RawStream:
    """A socket's received, unframed bytes and its EOF, for exact reads."""

    def __init__(self, sock: socket.socket, recv_size: int) -> None:
        self.sock = sock
        self.chunk = bytearray(recv_size)  # reused by every recv_into()
        self.chunk_view = memoryview(self.chunk)
        self.buffer = ReceiveBuffer()  # bytes read and not consumed
        self.eof = False  # the socket returned EOF
        self._search: bytes | None = None  # the delimiter of an unfinished until()

    def take_all(self) -> bytes:
        """Every buffered byte, for a decoder."""
        self._search = None
        return self.buffer.take_all()

    def _read(self) -> None:
        received = self.sock.recv_into(self.chunk)
        if received:
            self.buffer.feed(self.chunk_view[:received])
        else:
            self.eof = True

    def _raise_eof(self) -> NoReturn:
        buffer = self.buffer
        if not buffer:
            raise ConnectionClosed("the peer closed the connection")
        raise IncompleteFrame(buffer.peek(len(buffer)))

    def exactly(self, n: int) -> bytes:
        """The next ``n`` bytes; a large rest is received in place."""
        buffer = self.buffer
        if n - len(buffer) > len(self.chunk) and not self.eof:
            return self._exactly_in_place(n)
        while len(buffer) < n:
            if self.eof:
                self._raise_eof()
            self._read()
        return buffer.take(n)

    def _exactly_in_place(self, n: int) -> bytes:
        target = InPlace(n, self.take_all())
        try:
            complete = target.fill(self.sock)
        except BaseException:
            self.buffer.feed(target.received())
            raise
        if complete:
            return target.value()
        self.eof = True
        self.buffer.feed(target.received())
        self._raise_eof()

    def until(self, delimiter: bytes, max_length: int) -> bytes:
        """The bytes before the next ``delimiter`` (consumed too)."""
        if self._search not in (None, delimiter):
            # The buffer's search resumes where the last one stopped: that
            # was for another delimiter, so start a buffer afresh.
            data = self.buffer.take_all()
            self.buffer = ReceiveBuffer()
            self.buffer.feed(data)
        buffer = self.buffer
        limit = max_length + len(delimiter)
        while True:
            index = buffer.find(delimiter, limit)
            if index >= 0:
                self._search = None
                line = buffer.take(index)
                buffer.skip(len(delimiter))
                return line
            self._search = delimiter
            if len(buffer) >= limit:
                raise FrameTooLarge(max_length + 1, max_length)
            if self.eof:
                self._raise_eof()
            self._read()
