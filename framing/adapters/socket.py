"""Whole messages over a connected stream socket: ``FramedSocket`` and ``connect``.

::

    fs = framing.connect(("localhost", 5000), framing.LengthPrefixed())
    with fs:
        fs.send(b"hello")                 # 00 00 00 05 68 65 6c 6c 6f, all of it
        reply = fs.recv()                 # the next whole message
        for message in fs:                # until the peer closes cleanly
            ...

``send`` loops over partial sends: a frame of up to 16 KiB is joined into
one ``send``, a larger one puts header and payload on the wire with one
``sendmsg`` (the payload is not copied); ``recv`` reads with ``recv_into``
and returns the next message. A frame whose length the codec knows
(``LengthPrefixed`` with an integer header, ``FixedLength``, ``Netstring``)
and of which more than one read's worth is still missing is received
straight into the ``bytes`` object returned.

Errors: ``ConnectionClosed`` at a clean EOF between messages,
``IncompleteFrame`` when the peer stops mid-frame, the codec's own
``FrameTooLarge``/``InvalidFrame``. Operating-system errors are never wrapped:
a socket timeout is the socket's ``TimeoutError`` and loses nothing, the next
``recv`` continues the same frame. Signals during a blocking call are
handled as PEP 475 says: the handler runs and the call goes on.

Threads: one thread may receive while others send; a send lock keeps the
frames of concurrent senders whole, a separate receive lock serialises
receivers.

The module-level helpers for code that keeps its own sockets live in
``framing.adapters.exact`` and are re-exported here: ``send_all``, ``recv_exactly``,
``recv_until``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar, Union

from ..core.codec import Codec
from ..core.connection import DEFAULT_RECV_SIZE, Connection
from ..core.outgoing import gather, wire_size
from ..core.types import Buffer
from ..errors import ConnectionClosed
from .exact import recv_exactly, recv_until, send_all
from .framed import OverConnection
from .sockio import DONT_WAIT, can_gather, send_vector, wait_readable

__all__ = ["FramedSocket", "connect", "recv_exactly", "recv_until", "send_all"]

Address = Union[tuple[str, int], tuple[str, int, int, int], str, "os.PathLike[str]"]

SMALL_FRAME = 16384  # frames up to this size are joined into one buffer and sent with send()

_T = TypeVar("_T")


class FramedSocket(OverConnection):
    """A connected, blocking stream socket (with or without a timeout) that carries messages.

    ``sock`` is used as it is (its timeout applies to every wait); ``codec``
    frames every message sent and received. ``recv_size`` is the most one
    read asks for (the read buffer starts at 4 KiB and grows to it while
    reads fill it). ``message_timeout``: the most seconds one
    ``recv()`` may take in all, however the bytes trickle in (``TimeoutError``
    after it, nothing lost); ``None`` for no such limit.

    Iterating it yields messages until the peer closes cleanly; ``with fs:``
    closes the socket. The framing state is a ``framing.Connection``; this
    class moves bytes between it and the socket.
    """

    def __init__(
        self,
        sock: socket.socket,
        codec: Codec,
        *,
        recv_size: int = DEFAULT_RECV_SIZE,
        message_timeout: float | None = None,
    ) -> None:
        self._sock = sock
        self._conn = Connection(codec, recv_size=recv_size)
        self._send_flags = DONT_WAIT if can_gather(sock) else 0  # TLS sockets take no flags
        self.message_timeout = message_timeout
        self._recv_lock = threading.Lock()
        self._send_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FramedSocket fd={self.fileno()} codec={self._conn.codec!r}>"

    # -- the socket ----------------------------------------------------------

    @property
    def socket(self) -> socket.socket:
        """The wrapped socket."""
        return self._sock

    def fileno(self) -> int:
        """The socket's file descriptor (-1 once closed)."""
        return self._sock.fileno()

    def close(self) -> None:
        """Close the socket. Takes no lock, so it can be called while another thread waits.

        Closing does not wake a thread blocked in ``recv``; shutting the
        socket down does: ``fs.socket.shutdown(socket.SHUT_RDWR)`` first.
        """
        self._sock.close()

    def __enter__(self) -> FramedSocket:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sending -------------------------------------------------------------

    def send(self, message: Buffer, **fields: Any) -> None:
        """Send one whole message: ``codec.encode(message, **fields)``, looping over partial sends.

        ``fields`` are a ``Struct`` header's other fields (``type=1``), as
        ``LengthPrefixed.encode`` takes them.

        A frame of up to 16 KiB is joined and sent with one ``send``; a larger
        one goes out by scatter/gather (``sendmsg``), its payload not copied.
        With ``UntilClose`` the write side is shut down after the message.

        A second message after that (or after ``shutdown_write()``) raises
        ``BrokenPipeError`` before any byte is sent: it is the error the
        socket itself gives for a send after ``shutdown(SHUT_WR)``, so code
        that handles a peer going away handles it too, and it is an
        ``OSError`` like every other error of a closed direction.

        If the socket's timeout expires part-way (or a signal handler
        raises), the exception propagates and nothing is lost: the message is
        accepted, its unsent rest stays queued and goes out first on the next
        ``send``/``send_many``/``flush`` (so do not send the message again).
        """
        with self._send_lock:  # encoded under the lock: switch() cannot come between
            conn = self._conn
            parts = conn.frame(message, fields)
            if conn.write_closed or conn.queued or wire_size(parts) > SMALL_FRAME:
                conn.queue(gather(parts))
                self._flush_locked()
                return
            data = b"".join(parts)  # a small frame: one buffer costs less than a vector
            try:
                sent = self._sock.send(data, self._send_flags)  # no sleep in send: see send_vector
            except BlockingIOError:  # the buffer is full: send_vector waits for room
                sent = 0
            except BaseException:
                conn.queue([data])
                raise
            if sent < len(data):
                conn.queue([memoryview(data)[sent:]])
                self._flush_locked()

    def send_many(self, messages: Iterable[Buffer]) -> None:
        """Send several messages with as few system calls as possible (one ``sendmsg``
        for up to ``IOV_MAX`` buffers; runs of small parts are joined into one buffer).

        Every message is encoded before any byte is sent, so an ``EncodeError``
        sends nothing. The frames of one call are never interleaved with
        another thread's.
        """
        messages = list(messages)
        with self._send_lock:  # encoded under the lock: switch() cannot come between
            self._conn.queue(self._conn.frames(messages))
            self._flush_locked()

    def flush(self) -> None:
        """Send what an interrupted (timed-out) send left unsent."""
        with self._send_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        conn = self._conn
        conn.flush(self._send_vector)
        if conn.needs_shutdown:
            self._sock.shutdown(socket.SHUT_WR)
            conn.write_shut()

    def _send_vector(self, vector: list[Any]) -> int:
        return send_vector(self._sock, vector)

    def shutdown_write(self) -> None:
        """Finish any interrupted send, then half-close: the peer sees EOF, we can still recv."""
        with self._send_lock:
            self._conn.shutdown_write()
            self._flush_locked()

    # -- receiving -----------------------------------------------------------

    def recv(self) -> bytes:
        """The next message.

        ``ConnectionClosed`` at a clean EOF between messages (and on every call
        after it), ``IncompleteFrame`` if the peer stopped mid-frame. A
        timeout raises the socket's ``TimeoutError`` and keeps every byte read:
        the next call continues the frame (a large one where it stopped).
        """
        with self._recv_lock:
            return self._pull(self._conn.next_message)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        """The next message; iteration stops at a clean EOF."""
        try:
            return self.recv()
        except ConnectionClosed:
            raise StopIteration from None

    def _pull(self, step: Callable[[], _T | None]) -> _T:
        """``step()`` until it gives a result, reading from the socket between tries."""
        result = step()
        if result is not None:
            return result
        if self.message_timeout is not None:
            return self._pull_within(step, self.message_timeout)
        conn = self._conn
        recv_into = self._sock.recv_into
        while result is None:
            # An exception here (a timeout, a signal handler's) leaves the
            # connection as it was: the read it stopped recorded nothing.
            conn.buffer_updated(recv_into(conn.recv_buffer()))
            result = step()
        return result

    def _pull_within(self, step: Callable[[], _T | None], seconds: float) -> _T:
        # The waiting is done here, in poll, not by changing the socket's
        # timeout: other threads send on the same socket, with its own.
        sock = self._sock
        conn = self._conn
        deadline = time.monotonic() + seconds
        while True:
            left = max(0.0, deadline - time.monotonic())
            timeout = sock.gettimeout()
            if timeout is not None and timeout <= left:
                wait, ours = timeout, False  # the socket's own timeout ends this wait
            else:
                wait, ours = left, True  # the deadline does
            if not _pending(sock) and not wait_readable(sock, wait):
                if ours:
                    raise TimeoutError(f"no whole message within {seconds} s")
                raise TimeoutError("timed out")  # the socket's own timeout, as recv_into says it
            conn.buffer_updated(sock.recv_into(conn.recv_buffer()))
            result = step()
            if result is not None:
                return result

    def recv_exactly(self, n: int) -> bytes:
        """Exactly the next ``n`` bytes of the stream, unframed.

        At EOF: ``ConnectionClosed`` if none of the ``n`` bytes arrived, else
        ``IncompleteFrame`` with them (they stay buffered). A timeout keeps
        what arrived. A large ``n`` is received in place, like a large frame.
        """
        if n < 0:
            raise ValueError(f"cannot receive {n} bytes")
        with self._recv_lock:
            return self._pull(lambda: self._conn.receive_exactly(n))

    def recv_until(self, delimiter: bytes, max_length: int = 65536) -> bytes:
        """The bytes before the next ``delimiter``, which is consumed too.

        ``FrameTooLarge`` if more than ``max_length`` bytes come without it
        (nothing is consumed); at EOF ``ConnectionClosed`` if no byte is
        buffered, else ``IncompleteFrame``.
        """
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        with self._recv_lock:
            return self._pull(lambda: self._conn.receive_until(delimiter, max_length))

    # -- protocols -----------------------------------------------------------

    def switch(self, codec: Codec) -> None:
        """Frame with ``codec`` from the next message on, both ways; no buffered byte is lost."""
        with self._recv_lock, self._send_lock:
            self._conn.switch(codec)


def _pending(sock: socket.socket) -> bool:
    """Whether a TLS socket holds decrypted bytes that poll cannot see."""
    pending = getattr(sock, "pending", None)
    return pending is not None and bool(pending())


def connect(
    address: Address,
    codec: Codec,
    timeout: float | None = None,
    *,
    recv_size: int = DEFAULT_RECV_SIZE,
) -> FramedSocket:
    """A ``FramedSocket`` connected to ``address``.

    ``(host, port)``: TCP through ``socket.create_connection`` (IPv4 or IPv6),
    with ``TCP_NODELAY`` set as asyncio does, since a framed message is sent
    whole. A ``str`` or path-like: a Unix-domain stream socket, the fast local
    IPC. ``timeout`` becomes the socket's timeout (``None``: blocking).
    """
    if isinstance(address, tuple):
        sock = socket.create_connection(address[:2], timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(os.fspath(address))
        except BaseException:
            sock.close()
            raise
    return FramedSocket(sock, codec, recv_size=recv_size)
