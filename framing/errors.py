"""The exception hierarchy of ``framing``.

::

    FramingError(Exception)
    ├── FrameTooLarge        .length (declared or seen so far), .max_length
    ├── InvalidFrame         malformed header, bad escape, netstring without comma, ...
    ├── IncompleteFrame      (also an EOFError) .partial: bytes of the unfinished frame
    ├── ConnectionClosed     (also an EOFError) clean end of stream between messages
    └── EncodeError          (also a ValueError) the message cannot be framed

Operating-system errors (timeouts, resets) are never wrapped: they stay the
standard ``OSError`` subclasses.
"""

from __future__ import annotations

__all__ = [
    "ConnectionClosed",
    "EncodeError",
    "FrameTooLarge",
    "FramingError",
    "IncompleteFrame",
    "InvalidFrame",
]



def _bytes(count: int) -> str:
    """``"1 byte"``, ``"2 bytes"``: a count of bytes, in words."""
    return f"{count} byte{'' if count == 1 else 's'}"

class FramingError(Exception):
    """Base class of every error ``framing`` raises about the bytes it frames."""


class FrameTooLarge(FramingError):
    """A frame's payload exceeds ``max_length``.

    ``length`` is the declared length for length-prefixed styles, or the
    payload bytes seen so far for delimited ones.
    """

    def __init__(self, length: int, max_length: int, message: str | None = None) -> None:
        self.length = length
        self.max_length = max_length
        super().__init__(
            message or f"frame of {_bytes(length)} exceeds max_length of {_bytes(max_length)}"
        )

    def __reduce__(self) -> tuple[type[FrameTooLarge], tuple[int, int, str]]:
        return (type(self), (self.length, self.max_length, str(self)))


class InvalidFrame(FramingError):
    """The bytes are not a well-formed frame of the style (bad header, bad escape, ...)."""


class IncompleteFrame(FramingError, EOFError):
    """The stream ended inside a frame; ``partial`` holds the unfinished frame's wire bytes."""

    def __init__(self, partial: bytes, message: str | None = None) -> None:
        self.partial = partial
        super().__init__(
            message or f"stream ended {_bytes(len(partial))} into an unfinished frame"
        )

    def __reduce__(self) -> tuple[type[IncompleteFrame], tuple[bytes, str]]:
        return (type(self), (self.partial, str(self)))


class ConnectionClosed(FramingError, EOFError):
    """The peer closed the stream cleanly, between two messages."""


class EncodeError(FramingError, ValueError):
    """The message cannot be framed in this style (too long, contains the delimiter, ...)."""
