"""The asyncio protocol under ``framing.aio``: transport bytes straight into a ``Connection``.

Reading. ``data_received`` feeds the connection's framing state (a
``framing.Connection``: its decoder) and nothing else; ``FramedStream.recv()``
takes one message out of it with ``Connection.next_message()``, and waits
here (``wait_for_data``) only when none is complete. A message
therefore leaves the decoder only in the synchronous step that returns it to
the caller, which gives three properties at once:

- a ``recv()`` cancelled while it waits loses nothing (nothing was taken);
- a framing error is raised at its exact place in the stream, after every
  message before it, exactly as the decoder raises it;
- ``switch(codec)`` hands every byte not yet returned as a message to the new
  codec's decoder (nothing was decoded ahead with the old codec).

Flow control, reading: the connection's ``buffered`` bytes are the unread
messages (plus one partial frame). When they exceed ``limit``, reading pauses
(``transport.pause_reading()``), so they never exceed ``limit`` plus one read;
it resumes when the consumer asks for a message the buffered bytes do not
complete (then what is buffered is one partial frame, which the codec's
``max_length`` bounds). A flooding peer thus fills its own socket buffers,
not our memory. To keep the check cheap, ``buffered`` is only measured when
the bytes fed since the last measurement could have crossed ``limit``, and a
measurement above ``limit // 2`` pauses (so measurements are at least
``limit // 2`` fed bytes apart).

Messages come from ``Connection.next_message()``, which decodes every
complete frame of the buffer as one batch. Unframed reads
(``recv_exactly``, ``recv_until``) go through the same connection.

Flow control, writing: the transport calls ``pause_writing()`` /
``resume_writing()`` when its buffer crosses its high / low water marks (as
asyncio's ``FlowControlMixin``); ``drain()`` waits for the resume.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar, cast

from ..core.codec import Codec
from ..core.connection import Connection

__all__ = ["DEFAULT_LIMIT", "FramedProtocol", "check_limit"]

# Received bytes held before reading pauses: asyncio's StreamReader pauses at
# twice its 64 KiB limit; one read of a selector transport is up to 256 KiB.
DEFAULT_LIMIT = 256 * 1024

_T = TypeVar("_T")


def check_limit(limit: int) -> None:
    """Refuse a ``limit`` that is not a positive integer."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ValueError(f"limit must be a positive number of bytes, not {limit!r}")


class FramedProtocol(asyncio.Protocol):
    """Feeds a decoder from the transport and keeps both directions' flow control."""

    def __init__(
        self,
        codec: Codec,
        *,
        limit: int = DEFAULT_LIMIT,
        write_limit: int | None = None,
        on_connect: Callable[[FramedProtocol], None] | None = None,
    ) -> None:
        check_limit(limit)
        self.connection = Connection(codec)  # the framing state: decoder, half-close
        self.transport: asyncio.Transport | None = None
        self._limit = limit  # pause reading above this many buffered bytes
        self._write_limit = write_limit  # the transport's write high-water mark, if set
        self._on_connect = on_connect  # called once connection_made() has run
        self._loop = asyncio.get_running_loop()
        self._reading_paused = False
        self._estimate = 0  # at least connection.buffered: last measured plus fed since
        self._waiter: asyncio.Future[None] | None = None  # the recv() waiting for bytes
        self._writing_paused = False
        # Plain attributes, read by every send(): whether drain() must be
        # awaited (paused for writing, or the connection lost), and whether
        # the connection is lost.
        self.must_drain = False
        self.lost = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._closing = False  # close() was called
        self._exception: BaseException | None = None  # why the connection was lost
        self.closed: asyncio.Future[None] = self._loop.create_future()

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; apply the write limit; hand over to the owner."""
        # Not an isinstance check: uvloop's transports are not asyncio.Transport
        # subclasses, yet have every method used here.
        self.transport = cast(asyncio.Transport, transport)
        if self._write_limit is not None:
            self.transport.set_write_buffer_limits(high=self._write_limit)
        if self._on_connect is not None:
            self._on_connect(self)

    def data_received(self, data: bytes) -> None:
        """Feed the connection; wake a waiting ``recv()``, or pause when too much is unread."""
        if self._closing:  # the stream was closed: nobody will read these
            return
        connection = self.connection
        connection.receive_data(data)
        estimate = self._estimate = self._estimate + len(data)
        if estimate > self._limit and not self._reading_paused:
            buffered = self._estimate = connection.buffered
            if buffered > self._limit // 2:
                self._pause_reading()  # a waiting recv() resumes it if no frame is complete
        if self._waiter is not None:
            self._wake()

    def eof_received(self) -> bool:
        """The peer shut down its write side; keep ours open (half-close) unless over TLS."""
        self.connection.receive_eof()
        self._wake()
        assert self.transport is not None
        return self.transport.get_extra_info("sslcontext") is None

    def connection_lost(self, exc: Exception | None) -> None:
        """Finish the stream for ``recv()`` and fail waiting ``drain()`` calls."""
        self.lost = self.must_drain = True
        if exc is not None:
            self._exception = exc
        else:
            self.connection.receive_eof()
        self._wake()
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.closed.set_result(None)

    def pause_writing(self) -> None:
        """The transport's buffer is above its high-water mark."""
        self._writing_paused = self.must_drain = True

    def resume_writing(self) -> None:
        """The transport's buffer is back under its low-water mark."""
        self._writing_paused = False
        self.must_drain = self.lost
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- reading ---------------------------------------------------------------

    @property
    def reading_paused(self) -> bool:
        """Whether reading is paused because too many received bytes are unread."""
        return self._reading_paused

    def next_result(self, step: Callable[[], _T | None]) -> _T | None:
        """``step()``'s result (a read of the connection), or None after ``need_more()``."""
        result = step()
        if result is None:
            self.need_more()
        return result

    def need_more(self) -> None:
        """Nothing buffered completes what the consumer asks for: fail, or read on."""
        if self._exception is not None:
            raise self._exception.with_traceback(None)
        if self._estimate > self._limit:
            self._estimate = self.connection.buffered  # one partial frame at most
        if self._reading_paused:  # the consumer caught up: read on
            self._resume_reading()

    async def wait_for_data(self) -> None:
        """Wait until bytes, EOF or a lost connection arrive."""
        if self._waiter is not None:
            raise RuntimeError("recv() called while another task is already waiting in recv()")
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` in the next turn of the event loop."""
        self._loop.call_soon(callback)

    def switch(self, codec: Codec) -> None:
        """Frame with ``codec`` from the next message on; no buffered byte is lost."""
        self.connection.switch(codec)
        self._estimate = self.connection.buffered
        self._wake()

    def close(self) -> None:
        """Close the transport; from now on received bytes are dropped, not buffered."""
        assert self.transport is not None
        self._closing = True
        if self._reading_paused:
            # A TLS transport (3.10's at least) must read the peer's close_notify
            # to finish closing; with reading paused it would wait forever.
            self._resume_reading()
        self.transport.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # Both are no-ops on a closing transport.
    def _pause_reading(self) -> None:
        assert self.transport is not None
        self._reading_paused = True
        self.transport.pause_reading()

    def _resume_reading(self) -> None:
        assert self.transport is not None
        self._reading_paused = False
        self.transport.resume_reading()

    # -- writing ---------------------------------------------------------------

    @property
    def lost_because(self) -> BaseException | None:
        """The error the connection was lost with, if any."""
        return self._exception

    async def drain(self) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        if self._writing_paused and not self.lost:
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._drain_waiters.append(waiter)
            try:
                await waiter
            finally:
                self._drain_waiters.remove(waiter)
        if self.lost:
            raise ConnectionResetError("the connection was lost") from self._exception

    def __repr__(self) -> str:
        state = " paused" if self._reading_paused else ""
        return f"<FramedProtocol {self.connection!r}{state}>"

