"""Until-close framing: the message is everything the peer sends before it shuts down.

The HTTP/1.0 style: one message per direction of a connection, ended by the
sender's half-close (``shutdown(SHUT_WR)``), which the receiver sees as EOF.

::

    INPUT                                   DECODED (at EOF)
    +---------------------------+-----+     +---------------------------+
    | GET / HTTP/1.0\\r\\n\\r\\n      | EOF | --> | GET / HTTP/1.0\\r\\n\\r\\n      |
    +---------------------------+-----+     +---------------------------+

>>> codec = UntilClose()
>>> codec.encode(b"whole stream")
b'whole stream'
>>> codec.decode(b"whole stream")
[b'whole stream']
>>> codec.decode(b"")
[b'']

More than ``max_length`` bytes before EOF is ``FrameTooLarge`` at once: the
message is never buffered past the limit.
"""

from __future__ import annotations

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import FrameTooLarge

__all__ = ["UntilClose"]

DEFAULT_MAX_LENGTH = 16 * 1024 * 1024


class UntilClose(Frozen, Codec):
    """One message per stream: everything the sender sends before it shuts down its write side.

    ``max_length`` (default 16 MiB): the longest message; more bytes before
    the end of the stream are ``FrameTooLarge`` at once, and nothing is
    buffered past the limit. The decoder returns the message after
    ``feed_eof()`` (``b""`` for an empty stream). On a socket, ``send``
    half-closes after the message (``ends_at_close``), and a second message
    is refused.
    """

    _fields = ("max_length",)
    max_length: int

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        check_max_length(max_length)
        self._set(max_length=max_length)

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """The message as it is; the sender must then shut down its write side."""
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        return (view,)

    def decoder(self) -> UntilCloseDecoder:
        """A fresh decoder."""
        return UntilCloseDecoder(self)

    ends_at_close = True

    @property
    def largest_frame(self) -> int:
        """``max_length``: the frame is the message."""
        return self.max_length


class UntilCloseDecoder(Decoder):
    """Buffers the whole stream and returns it, once, at EOF."""

    def __init__(self, codec: UntilClose) -> None:
        super().__init__(codec)
        self._max_length = codec.max_length
        self._delivered = False  # the one message was returned

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """Nothing before EOF; ``FrameTooLarge`` as soon as the stream is longer than allowed."""
        if len(buffer) > self._max_length:
            raise FrameTooLarge(len(buffer), self._max_length)
        return None

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """The whole stream, once."""
        if self._delivered:
            return None
        self._delivered = True
        return buffer.take_all()

