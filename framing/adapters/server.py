"""``socketserver`` integration: each connection handed to your code as a ``FramedSocket``.

Threads and processes are the standard ways to serve many blocking clients;
``socketserver`` provides both. Subclass ``FramedRequestHandler`` (or build
one from a function with ``request_handler``) and pass it to any stream
server: ``TCPServer``, ``ThreadingTCPServer``, ``ForkingTCPServer``,
``UnixStreamServer``, ``ThreadingUnixStreamServer``::

    class Echo(FramedRequestHandler):
        codec = framing.LengthPrefixed()

        def handle_message(self, message):
            return message                        # sent back as a reply frame

    with socketserver.ThreadingTCPServer(("127.0.0.1", 5000), Echo) as server:
        server.serve_forever()

    # or, from a function that gets the FramedSocket:
    def echo(framed):
        for message in framed:
            framed.send(message)

    server = socketserver.ThreadingTCPServer(addr, request_handler(codec, echo))

``message_timeout`` bounds the time one message may take to arrive in all,
so a client that trickles a byte at a time cannot hold its thread for ever
(``timeout`` bounds each wait). After ``server.shutdown()``, handlers of
clients still connected go on; ``close_connections(server)`` ends them (it
shuts their sockets down, so a handler waiting in ``recv`` sees the end of
the stream).

A client that closes between two messages is the normal end of a
connection: ``ConnectionClosed`` raised out of your code ends it quietly. A
client's fault (a bad frame, a frame cut short, a reset, a timeout: the
``PEER_ERRORS``) ends it with one WARNING line on the ``framing.server``
logger; every other error, a bug in your handler, reaches the server's
``handle_error`` with its traceback.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

from ..codecs.length_prefixed import LengthPrefixed
from ..core.codec import Codec
from ..core.types import Buffer
from ..errors import ConnectionClosed
from .socket import FramedSocket
from .sockio import PEER_ERRORS

__all__ = ["FramedRequestHandler", "close_connections", "request_handler"]

logger = logging.getLogger("framing.server")

# The connections each server's handlers are serving now, for close_connections().
_serving: weakref.WeakKeyDictionary[socketserver.BaseServer, set[FramedSocket]] = (
    weakref.WeakKeyDictionary()
)
_serving_lock = threading.Lock()


def close_connections(server: socketserver.BaseServer) -> int:
    """End the conversations of ``server``'s handlers that are still going; how many.

    Each connection is shut down both ways: a handler waiting in ``recv``
    sees the end of the stream (``ConnectionClosed``) and returns, one
    sending gets ``BrokenPipeError``. Call it after ``server.shutdown()``
    (which stops accepting, not the handlers). With ``ForkingTCPServer`` the
    handlers run in other processes: this reaches none of them.
    """
    with _serving_lock:
        connections = list(_serving.get(server, ()))
    for framed in connections:
        with contextlib.suppress(OSError):  # closed or gone already
            framed.socket.shutdown(socket.SHUT_RDWR)
    return len(connections)


class FramedRequestHandler(socketserver.BaseRequestHandler):
    """A request handler whose connection is ``self.framed``, a ``FramedSocket``.

    Class attributes: ``codec`` (the framing; ``LengthPrefixed()`` unless
    overridden), ``timeout`` (the connection's socket timeout, for each wait,
    ``None`` for none), ``message_timeout`` (the most seconds one message may
    take to arrive in all, ``None`` for no limit) and
    ``disable_nagle_algorithm`` (``TCP_NODELAY`` on TCP connections; ``True``
    since each frame goes out in one call), as in
    ``socketserver.StreamRequestHandler``.

    Override ``handle_message`` to answer each message, or ``handle`` to run
    the whole conversation.
    """

    codec: ClassVar[Codec] = LengthPrefixed()
    timeout: ClassVar[float | None] = None
    message_timeout: ClassVar[float | None] = None
    disable_nagle_algorithm: ClassVar[bool] = True

    request: socket.socket
    framed: FramedSocket

    def __init__(self, request: Any, client_address: Any, server: socketserver.BaseServer) -> None:
        # A client that closes between two messages ends the conversation
        # normally; one that sends a bad frame or resets ends it with one
        # line on the "framing.server" logger, not socketserver's traceback.
        try:
            super().__init__(request, client_address, server)
        except ConnectionClosed:
            pass
        except PEER_ERRORS as error:
            logger.warning("closing %s: %s: %s", client_address, type(error).__name__, error)

    def setup(self) -> None:
        """Wrap the connection in ``self.framed``."""
        sock = self.request
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        if self.disable_nagle_algorithm and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        self.framed = FramedSocket(sock, self.codec, message_timeout=self.message_timeout)
        with _serving_lock:
            _serving.setdefault(self.server, set()).add(self.framed)

    def finish(self) -> None:
        """The conversation is over: ``close_connections`` no longer reaches it."""
        with _serving_lock:
            _serving.get(self.server, set()).discard(self.framed)

    def handle(self) -> None:
        """Answer every message with ``handle_message`` until the client closes."""
        for message in self.framed:
            reply = self.handle_message(message)
            if reply is not None:
                self.framed.send(reply)

    def handle_message(self, message: bytes) -> Buffer | None:
        """The reply to one message, or None for none. Override it (or ``handle``)."""
        raise NotImplementedError(f"{type(self).__name__} must override handle_message or handle")


def request_handler(
    codec: Codec,
    function: Callable[[FramedSocket], object],
    *,
    timeout: float | None = None,
    message_timeout: float | None = None,
) -> type[FramedRequestHandler]:
    """A ``FramedRequestHandler`` class that calls ``function(framed)`` for each connection."""
    handler_codec, handler_timeout, handler_message_timeout = codec, timeout, message_timeout

    class Handler(FramedRequestHandler):
        codec = handler_codec
        timeout = handler_timeout
        message_timeout = handler_message_timeout

        def handle(self) -> None:
            function(self.framed)

    Handler.__name__ = Handler.__qualname__ = f"{getattr(function, '__name__', 'handler')}_handler"
    return Handler
