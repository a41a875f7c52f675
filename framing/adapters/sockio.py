"""The socket loops under ``FramedSocket``, the module helpers and ``FramedConnection``.

- ``send_vector``: send a list of buffers (a frame's header, payload and
  trailer; many frames for ``send_many``) with as few ``sendmsg`` calls as
  the kernel allows, advancing through the vector by the count each call
  sent. The list is consumed in place, so whatever an exception interrupts is
  exactly what is left in it: nothing is sent twice, nothing is lost.
- ``fill``: receive into an ``InPlaceBytes`` until it is full or EOF.

::

    send_vector(sock, [b"\\x00\\x00\\x10\\x00", memoryview(payload)])   # one sendmsg
"""

from __future__ import annotations

import os
import select
import socket
import sys

from ..core.inplace import InPlaceBytes
from ..core.outgoing import View
from ..errors import FrameTooLarge, IncompleteFrame, InvalidFrame

__all__ = [
    "DONT_WAIT",
    "IOV_MAX",
    "PEER_ERRORS",
    "can_gather",
    "fill",
    "send_vector",
    "wait_readable",
    "wait_writable",
]


def _iov_max() -> int:
    try:
        value = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        value = -1
    return value if value > 0 else 1024


IOV_MAX = _iov_max()  # the most buffers one sendmsg() takes (POSIX: at least 16)

# Sends never sleep in the kernel (see send_vector); 0 where the flag does not exist.
DONT_WAIT: int = getattr(socket, "MSG_DONTWAIT", 0)


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

    Every send is ``MSG_DONTWAIT``: the waiting is done in ``poll``, never
    inside ``send``. A blocking ``send`` that sleeps in the kernel and is
    woken by a signal returns the count it took, and a signal handler that
    raises (Ctrl-C) then loses that count: the bytes would go out twice. A
    signal during ``poll`` interrupts a wait in which nothing was sent.
    """
    plain = can_gather(sock)  # not TLS: SSLSocket takes no flags
    gathering = plain and len(vector) > 1
    flags = DONT_WAIT if plain else 0
    index = 0
    total = 0
    try:
        while index < len(vector):
            if not len(vector[index]):  # an empty part: nothing to send, and send() says 0
                index += 1
                continue
            try:
                if gathering and len(vector) - index > 1:
                    sent = sock.sendmsg(vector[index : index + IOV_MAX], (), flags)
                else:
                    sent = sock.send(vector[index], flags)
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


def wait_readable(sock: socket.socket, timeout: float | None = None) -> bool:
    """Wait until ``sock`` has bytes or EOF to read, at most ``timeout`` seconds: whether so."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(None if timeout is None else timeout * 1000))
    readable, _, _ = select.select([sock], [], [], timeout)  # pragma: no cover - Windows
    return bool(readable)  # pragma: no cover


def wait_writable(sock: socket.socket, timeout: float | None = None) -> bool:
    """Wait until ``sock`` can take more bytes (at most ``timeout`` seconds); whether it can."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        return bool(poller.poll(None if timeout is None else timeout * 1000))
    _, writable, _ = select.select([], [sock], [], timeout)  # pragma: no cover - Windows
    return bool(writable)  # pragma: no cover


def fill(sock: socket.socket, target: InPlaceBytes) -> bool:
    """Receive into ``target`` until it is full (True) or EOF (False); exceptions propagate.

    No ``MSG_WAITALL``: a signal would cut such a call short *with* data, and
    a handler that raises (``KeyboardInterrupt``) then loses the count. A
    plain ``recv_into()`` waiting for data fails with ``EINTR`` instead, and
    the handler's exception leaves nothing behind.
    """
    while not target.full:
        received = sock.recv_into(target.space())
        if not received:
            return False
        target.advance(received)
    return True
