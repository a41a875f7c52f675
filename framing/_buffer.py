"""The receive buffer every decoder reads from: the only code that slices or searches.

Bytes are appended to one ``bytearray``; consuming a frame moves a read offset
instead of copying what is left (the ``buf = buf[n:]`` of weaker code is
quadratic). The consumed prefix is dropped, in one ``del``, only when it is at
least as long as what remains, so every byte is moved at most a constant
number of times: consuming is amortised O(1) per byte.

A delimiter search remembers how far it got, so the next search resumes there
(backing up ``len(delimiter) - 1`` bytes to find a delimiter split across two
chunks, as h11's ``ReceiveBuffer`` does) instead of rescanning from the start.
"""

from __future__ import annotations

import struct
from typing import Any

from ._types import Buffer

__all__ = ["ReceiveBuffer"]

# Below this size a slice is copied twice (bytearray slice, then bytes), which
# is cheaper than creating and releasing a memoryview; above it, once.
_SMALL_COPY = 4096


class ReceiveBuffer:
    """Bytes received and not yet consumed, addressed relative to the read offset."""

    __slots__ = ("_data", "_searched", "_start")

    def __init__(self) -> None:
        self._data = bytearray()  # received bytes; those before _start are consumed
        self._start = 0  # read offset into _data
        self._searched = 0  # bytes after _start already searched for the delimiter

    def __len__(self) -> int:
        return len(self._data) - self._start

    def __bool__(self) -> bool:
        return len(self._data) > self._start

    def feed(self, chunk: Buffer) -> None:
        """Append ``chunk``; drop the consumed prefix first when that is cheap enough."""
        start = self._start
        if start and start >= len(self._data) - start:
            del self._data[:start]
            self._start = 0
        self._data += chunk

    def byte_at(self, index: int) -> int:
        """The byte at ``index`` (which must be buffered)."""
        return self._data[self._start + index]

    def unpack(self, header: struct.Struct, offset: int = 0) -> tuple[Any, ...]:
        """``header`` unpacked from the bytes at ``offset`` (which must be buffered)."""
        return header.unpack_from(self._data, self._start + offset)

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the read offset, without consuming them."""
        start = self._start
        return bytes(self._data[start : start + size])

    def take(self, size: int) -> bytes:
        """Consume and return the next ``size`` bytes (which must be buffered)."""
        start = self._start
        end = start + size
        if size < _SMALL_COPY:
            out = bytes(self._data[start:end])
        else:
            with memoryview(self._data) as view:
                out = view[start:end].tobytes()
        self.skip(size)
        return out

    def skip(self, size: int) -> None:
        """Consume and discard the next ``size`` bytes."""
        self._start += size
        self._searched = max(0, self._searched - size)
        if self._start == len(self._data):
            self._data.clear()
            self._start = 0

    def take_all(self) -> bytes:
        """Consume and return everything buffered."""
        return self.take(len(self))

    def find(self, delimiter: bytes, limit: int | None = None) -> int:
        """Index of the first ``delimiter``, or -1; the next call resumes where this one stopped.

        Only the first ``limit`` bytes are searched when ``limit`` is given.
        """
        start = self._start
        end = len(self._data)
        if limit is not None and start + limit < end:
            end = start + limit
        resume = start + max(0, self._searched - len(delimiter) + 1)
        index = self._data.find(delimiter, resume, end)
        if index < 0:
            self._searched = end - start
            return -1
        self._searched = index - start
        return index - start

    def count(self, sub: bytes, begin: int, end: int) -> int:
        """Non-overlapping occurrences of ``sub`` in ``[begin, end)``."""
        start = self._start
        return self._data.count(sub, start + begin, start + end)
