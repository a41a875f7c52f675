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

import errno
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Union

from ..codecs.until_close import UntilClose
from ..core.codec import Codec, Decoder
from ..core.types import Buffer
from ..errors import ConnectionClosed, EncodeError
from .exact import recv_exactly, recv_until, send_all
from .large import LargeFrames
from .raw import RawStream
from .sockio import View, encode_parts, gather, owned, send_vector, wire_size

__all__ = ["FramedSocket", "connect", "recv_exactly", "recv_until", "send_all"]

Address = Union[tuple[str, int], tuple[str, int, int, int], str, "os.PathLike[str]"]

DEFAULT_RECV_SIZE = 65536  # bytes per recv_into(); frames missing more than this go in place
SMALL_FRAME = 16384  # frames up to this size are joined into one buffer and sent with send()


class FramedSocket:
    """A connected, blocking stream socket (with or without a timeout) that carries messages.

    ``sock`` is used as it is (its timeout applies to every call); ``codec``
    frames every message sent and received. ``recv_size`` is the size of the
    reusable receive buffer.
    """

    def __init__(
        self, sock: socket.socket, codec: Codec, *, recv_size: int = DEFAULT_RECV_SIZE
    ) -> None:
        if recv_size <= 0:
            raise ValueError(f"recv_size must be positive, not {recv_size!r}")
        self._sock = sock
        self._codec = codec
        self._decoder = codec.decoder()
        self._large = LargeFrames.for_codec(codec)
        self._recv_size = recv_size
        # The receive buffer for recv_into(), the exact reads' bytes and EOF.
        # The stream's unconsumed bytes are in the decoder or in _raw.buffer,
        # never in both (see framing.adapters.raw).
        self._raw = RawStream(sock, recv_size)
        self._recv_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._unsent: list[View] = []  # what an interrupted send left; goes out first
        self._write_closed = False  # no more frames: UntilClose sent its one, or shutdown_write()
        self._write_shut = False  # shutdown(SHUT_WR) was done

    def __repr__(self) -> str:
        return f"<FramedSocket fd={self.fileno()} codec={self._codec!r}>"

    # -- the socket ----------------------------------------------------------

    @property
    def socket(self) -> socket.socket:
        """The wrapped socket."""
        return self._sock

    @property
    def codec(self) -> Codec:
        """The codec framing the messages (``switch`` changes it)."""
        return self._codec

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

        If the socket's timeout expires part-way, ``TimeoutError`` is raised
        and nothing is lost: the unsent rest of the frame stays queued and
        goes out first on the next ``send``/``send_many``/``flush`` (so do not
        send the message again).
        """
        with self._send_lock:  # encoded under the lock: switch() cannot come between
            codec = self._codec
            parts = encode_parts(codec, message, fields)
            one_message = isinstance(codec, UntilClose)
            if one_message or wire_size(parts) > SMALL_FRAME:
                self._send_locked(gather(parts), 1, one_message)
                return
            data = b"".join(parts)  # a small frame: one buffer costs less than a vector
            if self._unsent or self._write_closed:
                self._send_locked([data], 1, False)
                return
            try:
                sent = self._sock.send(data)
            except BlockingIOError:  # a non-blocking socket: send_vector waits for it
                sent = 0
            except BaseException:
                self._unsent.append(data)
                raise
            if sent < len(data):
                self._unsent.append(memoryview(data)[sent:])
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
            codec = self._codec
            one_message = isinstance(codec, UntilClose)
            if one_message and len(messages) > 1:
                raise EncodeError(
                    f"UntilClose frames one message per stream, not {len(messages)}"
                )
            vector = gather(part for message in messages for part in codec.encode_parts(message))
            self._send_locked(vector, len(messages), one_message)

    def _send_locked(self, vector: list[View], frames: int, one_message: bool) -> None:
        if frames and self._write_closed:
            raise BrokenPipeError(
                errno.EPIPE,
                "cannot send: the write side is shut down"
                + (" (UntilClose sends one message per stream)" if one_message else ""),
            )
        if one_message and frames:
            self._write_closed = True
        self._unsent += vector
        self._flush_locked()

    def flush(self) -> None:
        """Send what an interrupted (timed-out) send left unsent."""
        with self._send_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._unsent:
            try:
                send_vector(self._sock, self._unsent)
            except BaseException:
                # What is left goes out later: not from a buffer the caller may reuse.
                self._unsent[:] = owned(self._unsent)
                raise
        if self._write_closed and not self._write_shut:
            self._sock.shutdown(socket.SHUT_WR)
            self._write_shut = True

    def shutdown_write(self) -> None:
        """Finish any interrupted send, then half-close: the peer sees EOF, we can still recv."""
        with self._send_lock:
            self._write_closed = True
            self._flush_locked()

    # -- receiving -----------------------------------------------------------

    def recv(self) -> bytes:
        """The next message.

        ``ConnectionClosed`` at a clean EOF between messages (and on every call
        after it), ``IncompleteFrame`` if the peer stopped mid-frame. A
        timeout raises the socket's ``TimeoutError`` and keeps every byte read:
        the next call continues the frame.
        """
        with self._recv_lock:
            return self._recv()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        """The next message; iteration stops at a clean EOF."""
        try:
            return self.recv()
        except ConnectionClosed:
            raise StopIteration from None

    def _recv(self) -> bytes:
        raw = self._raw
        if raw.buffer or raw.eof:
            self._reload()
        decoder = self._decoder
        frame = decoder.next_frame()  # quick while a batch of decoded frames is pending
        while frame is None:
            if decoder.eof:
                raise ConnectionClosed("the peer closed the connection")
            needed = decoder.bytes_needed
            if needed is not None and needed > self._recv_size and self._large is not None:
                wire = decoder.detach()
                decoder = self._fresh_decoder()
                frame = self._large.receive(self._sock, wire, needed, decoder)
                if frame is not None:
                    return frame
                raw.eof = decoder.eof
            else:
                received = self._sock.recv_into(raw.chunk)
                if received:
                    decoder.feed(raw.chunk_view[:received])
                else:
                    raw.eof = True
                    decoder.feed_eof()
            # Iterating decodes every complete frame received at once (a
            # batch); the next calls take theirs from it.
            frame = next(iter(decoder), None)
        return frame

    def _fresh_decoder(self) -> Decoder:
        # After detach() a decoder could be reused; a fresh one is as cheap
        # and carries no state of the frame it gave up.
        decoder = self._decoder = self._codec.decoder()
        return decoder

    def _reload(self) -> None:
        """Hand the exact reads' leftover bytes (and EOF) back to the decoder."""
        if self._raw.buffer:
            self._fresh_decoder().feed(self._raw.take_all())
        if self._raw.eof and not self._decoder.eof:
            self._decoder.feed_eof()

    def _to_raw(self) -> RawStream:
        """Take the decoder's buffered bytes for an exact read."""
        if self._decoder.buffered:
            self._raw.buffer.feed(self._decoder.detach())
            self._fresh_decoder()
            if self._raw.eof:
                self._decoder.feed_eof()
        return self._raw

    def recv_exactly(self, n: int) -> bytes:
        """Exactly the next ``n`` bytes of the stream, unframed.

        At EOF: ``ConnectionClosed`` if none of the ``n`` bytes arrived, else
        ``IncompleteFrame`` with them (they stay buffered). A timeout keeps
        what arrived. A large ``n`` is received in place, like a large frame.
        """
        if n < 0:
            raise ValueError(f"cannot receive {n} bytes")
        with self._recv_lock:
            return self._to_raw().exactly(n)

    def recv_until(self, delimiter: bytes, max_length: int = 65536) -> bytes:
        """The bytes before the next ``delimiter``, which is consumed too.

        ``FrameTooLarge`` if more than ``max_length`` bytes come without it
        (nothing is consumed); at EOF ``ConnectionClosed`` if no byte is
        buffered, else ``IncompleteFrame``.
        """
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        with self._recv_lock:
            return self._to_raw().until(delimiter, max_length)

    # -- protocols -----------------------------------------------------------

    def switch(self, codec: Codec) -> None:
        """Frame with ``codec`` from the next message on, both ways; no buffered byte is lost."""
        with self._recv_lock, self._send_lock:
            raw = self._raw
            data = raw.take_all() if raw.buffer else self._decoder.detach()
            decoder = codec.decoder()
            decoder.feed(data)
            if raw.eof:
                decoder.feed_eof()
            self._decoder = decoder
            self._codec = codec
            self._large = LargeFrames.for_codec(codec)


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
