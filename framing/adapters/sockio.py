"""The socket loops under ``FramedSocket``, the module helpers and ``FramedConnection``.

Two jobs, each done once:

- ``send_vector``: send a list of buffers (a frame's header, payload and
  trailer; many frames for ``send_many``) with as few ``sendmsg`` calls as
  the kernel allows, advancing through the vector by the count each call
  sent. The list is consumed in place, so whatever an exception interrupts is
  exactly what is left in it: nothing is sent twice, nothing is lost.
- ``InPlace``: receive a large, known number of bytes straight into the
  ``bytes`` object that will hold them. ``io.BytesIO`` keeps its data in a
  ``bytes`` object; ``getbuffer()`` lends it out writable to ``recv_into``,
  and ``getvalue()`` hands that same object over, uncopied, when it is
  exactly full. So a 64 MiB payload costs 64 MiB, not 128.

::

    send_vector(sock, [b"\\x00\\x00\\x10\\x00", memoryview(payload)])   # one sendmsg
"""

from __future__ import annotations

import io
import os
import select
import socket
import sys
from collections.abc import Iterable
from typing import Any, cast

from ..core.codec import Codec
from ..core.types import Buffer
from ..errors import FrameTooLarge, IncompleteFrame, InvalidFrame

__all__ = [
    "IOV_MAX",
    "PEER_ERRORS",
    "InPlace",
    "View",
    "encode_parts",
    "gather",
    "owned",
    "send_vector",
    "wait_writable",
    "wire_size",
]

View = bytes | memoryview  # what a send vector holds: one byte per item, sliceable

# An in-place receive starts with room for this much and doubles as bytes arrive.
FIRST_CAPACITY = 256 * 1024

# Parts shorter than this are joined into one buffer before a gather send:
# copying a few hundred bytes costs less than an iovec entry (and a Python
# object) of their own, and it keeps small frames to one entry each.
SMALL_PART = 1024


def _iov_max() -> int:
    try:
        value = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        value = -1
    return value if value > 0 else 1024


IOV_MAX = _iov_max()  # the most buffers one sendmsg() takes (POSIX: at least 16)


def byte_view(data: Buffer) -> View:
    """``data`` itself if ``bytes``, else a flat byte view of it (never a copy)."""
    if type(data) is bytes:
        return data
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def wire_size(parts: tuple[Buffer, ...]) -> int:
    """The byte count of ``encode_parts()``'s parts (``bytes`` or flat byte views)."""
    return sum(map(len, cast("tuple[bytes, ...]", parts)))


def gather(parts: Iterable[Buffer]) -> list[View]:
    """``parts`` as a send vector: empty parts dropped, runs of small ones joined.

    Large parts (a payload) are passed on as views, never copied.
    """
    vector: list[View] = []
    run: list[View] = []
    for part in parts:
        view = byte_view(part)
        size = len(view)
        if size >= SMALL_PART:
            if run:
                vector.append(run[0] if len(run) == 1 else b"".join(run))
                run = []
            vector.append(view)
        elif size:
            run.append(view)
    if run:
        vector.append(run[0] if len(run) == 1 else b"".join(run))
    return vector


def encode_parts(codec: Codec, message: Buffer, fields: dict[str, Any]) -> tuple[Buffer, ...]:
    """``codec.encode_parts(message, **fields)``: what every adapter's ``send`` frames.

    ``fields`` are a header's other fields (a ``LengthPrefixed`` codec with a
    construct ``Struct`` header); a codec whose frames carry none refuses them.
    """
    if not fields:
        return codec.encode_parts(message)
    encode: Any = codec.encode_parts  # only some codecs take fields: they say so if not
    parts: tuple[Buffer, ...] = encode(message, **fields)
    return parts


def owned(vector: list[View]) -> list[View]:
    """``vector`` with every view of a mutable buffer copied: safe to keep past the call.

    A queued or unsent part must not change when the caller reuses its
    ``bytearray``: ``bytes``, and views of ``bytes``, are kept as they are; a
    view of anything else (even a read-only view of a ``bytearray``) is copied.
    """
    return [
        bytes(view) if type(view) is memoryview and not isinstance(view.obj, bytes) else view
        for view in vector
    ]


#: Errors that a peer causes, not the program: a server logs them in one line
#: and closes that connection. (An ``EncodeError`` is the program's own.)
PEER_ERRORS = (FrameTooLarge, InvalidFrame, IncompleteFrame, ConnectionError, TimeoutError)


def can_gather(sock: socket.socket) -> bool:
    """Whether ``sock.sendmsg`` works: not on Windows, not on an ``ssl.SSLSocket``."""
    if not hasattr(sock, "sendmsg"):  # pragma: no cover - Windows
        return False
    ssl = sys.modules.get("ssl")  # a socket cannot be an SSLSocket unless ssl was imported
    return ssl is None or not isinstance(sock, ssl.SSLSocket)


def send_vector(sock: socket.socket, vector: list[View], *, block: bool = True) -> int:
    """Send every buffer of ``vector`` in order; return the bytes sent.

    Sent buffers are removed from ``vector`` (a partly sent one is replaced by
    its unsent rest), also when an exception stops the loop. A non-blocking
    socket whose buffer is full is waited on when ``block``; otherwise the
    call returns there, leaving the rest in ``vector``.
    """
    gathering = len(vector) > 1 and can_gather(sock)
    index = 0
    total = 0
    try:
        while index < len(vector):
            try:
                if gathering and len(vector) - index > 1:
                    sent = sock.sendmsg(vector[index : index + IOV_MAX])
                else:
                    sent = sock.send(vector[index])
            except (BlockingIOError, InterruptedError):
                if not block:
                    break
                wait_writable(sock)
                continue
            total += sent
            while sent:
                size = len(vector[index])
                if sent < size:
                    vector[index] = memoryview(vector[index])[sent:]
                    break
                sent -= size
                index += 1
    finally:
        del vector[:index]
    return total


def wait_writable(sock: socket.socket, timeout: float | None = None) -> bool:
    """Wait until ``sock`` can take more bytes (at most ``timeout`` seconds); whether it can."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        return bool(poller.poll(None if timeout is None else timeout * 1000))
    _, writable, _ = select.select([], [sock], [], timeout)  # pragma: no cover - Windows
    return bool(writable)  # pragma: no cover


class InPlace:
    """``size`` bytes received straight into the ``bytes`` object that will hold them.

    ``head`` (bytes that already arrived) is copied in first. ``fill()`` then
    receives the rest; ``value()`` hands the result over without a copy.
    ``received()`` is what arrived so far, for putting back when a timeout,
    a signal or EOF stops ``fill()`` early.

    Memory follows the bytes that arrive, not the size announced: the object
    starts at ``FIRST_CAPACITY`` (or what ``head`` needs) and doubles as it
    fills, up to exactly ``size``, so a peer that announces a large frame
    and stalls costs about what it sent.
    """

    def __init__(self, size: int, head: Buffer = b"") -> None:
        self._file = io.BytesIO()
        self._view: memoryview | None = None
        self._capacity = 0
        self.size = size
        self.filled = len(byte_view(head))
        self._grow(max(self.filled, min(size, FIRST_CAPACITY)))
        self._buffer()[: self.filled] = head

    def _buffer(self) -> memoryview:
        assert self._view is not None
        return self._view

    def _grow(self, capacity: int) -> None:
        """Make room for ``capacity`` bytes (the file grows in place; a view pins it)."""
        if self._view is not None:
            self._view.release()
        if capacity:
            self._file.seek(capacity - 1)
            self._file.write(b"\0")
        self._view = self._file.getbuffer()
        self._capacity = capacity

    def fill(self, sock: socket.socket) -> bool:
        """Receive until full (True), or until EOF (False); exceptions propagate."""
        # No MSG_WAITALL: a signal would cut such a call short *with* data,
        # and a handler that raises (KeyboardInterrupt) then loses the count.
        # A plain recv_into() waiting for data fails with EINTR instead, and
        # the handler's exception leaves nothing behind.
        while self.filled < self.size:
            if self.filled == self._capacity:
                self._grow(min(self.size, 2 * self._capacity))
            with self._buffer()[self.filled :] as rest:
                received = sock.recv_into(rest)
            if not received:
                return False
            self.filled += received
        return True

    def received(self) -> bytes:
        """The bytes received so far (a copy); the object is done with."""
        view = self._buffer()
        data = view[: self.filled].tobytes()
        view.release()
        return data

    def value(self) -> bytes:
        """The full ``size`` bytes, uncopied; the object is done with."""
        self._buffer().release()
        return self._file.getvalue()
