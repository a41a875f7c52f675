"""Fixed-length framing: every message is exactly ``size`` bytes.

::

    INPUT (size=5)                    DECODED
    +-------+-------+-------+         +-------+ +-------+ +-------+
    | hello | world | 12345 |   -->   | hello | | world | | 12345 |
    +-------+-------+-------+         +-------+ +-------+ +-------+

>>> codec = FixedLength(5)
>>> codec.encode(b"hello")
b'hello'
>>> codec.decode(b"helloworld")
[b'hello', b'world']

There is no header to resynchronise on: a stream that ends inside a message
raises ``IncompleteFrame`` with the bytes of that message.
"""

from __future__ import annotations

from ..core import compiled
from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import EncodeError

__all__ = ["FixedLength"]


class FixedLength(Frozen, Codec):
    """Messages of exactly ``size`` bytes, back to back, with nothing around them.

    ``size``: the length of every message, a positive integer; it is also
    ``max_length``. ``FixedLength(5)`` sends ``b"hello"`` as it is.
    ``encode`` refuses a message of any other size (``EncodeError``); a
    stream that ends inside a message raises ``IncompleteFrame`` with that
    message's bytes. There is no empty message, and nothing to resynchronise
    on: after an error the decoder stays failed.
    """

    _fields = ("size",)
    size: int
    max_length: int  # always ``size``

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"FixedLength size must be a positive integer, not {size!r}")
        self._set(size=size, max_length=size)

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """The message itself; ``EncodeError`` unless it is exactly ``size`` bytes."""
        view = as_view(message)
        if len(view) != self.size:
            raise EncodeError(
                f"message of {len(view)} bytes cannot be framed: FixedLength frames are "
                f"exactly {self.size} bytes"
            )
        return (view,)

    def decoder(self) -> FixedLengthDecoder:
        """A fresh decoder."""
        return FixedLengthDecoder(self)

    @property
    def largest_frame(self) -> int:
        """``size``: every frame is exactly the message."""
        return self.size

    @property
    def payload_trailer(self) -> bytes:
        """``b""``: a frame is its payload, nothing around it."""
        return b""


class FixedLengthDecoder(Decoder):
    """Cuts the stream every ``size`` bytes."""

    def __init__(self, codec: FixedLength) -> None:
        super().__init__(codec)
        self._size = codec.size
        self._native = compiled.enabled()  # batches are cut by the compiled core

    def _take_batch(self) -> list[bytes]:
        return self._buffer._take_fixed(self._size, self._native)

    def _rebuild_wire(self, messages: list[bytes]) -> bytes:
        return b"".join(messages)

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next ``size`` bytes."""
        if len(buffer) < self._size:
            buffer.expect(self._size)
            return None
        return buffer.take(self._size)
