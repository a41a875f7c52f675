"""The receive buffer every decoder reads from: the only code that slices or searches it.

Consuming a frame moves a read offset instead of copying what is left (the
``buf = buf[n:]`` of weaker code is quadratic), and a delimiter search
remembers how far it got, so the next one resumes there, backing up
``len(delimiter) - 1`` bytes to find a delimiter split across two chunks (as
h11's ``ReceiveBuffer`` does). Every byte is copied a bounded number of times,
so decoding is linear in the bytes received however they are chunked.

The storage is picked for speed:

- a ``bytes`` chunk fed to an empty buffer is kept as it is, uncopied, and a
  small remainder is joined to the next chunk into a new ``bytes``, so
  frames are sliced straight out of received ``bytes`` with one copy each;
- a remainder that outgrows the chunks is kept in a ``bytearray`` that grows
  in place and drops its consumed prefix only when that is at least as long
  as what remains (amortised O(1) per byte);
- a large frame whose length the decoder knows (``expect()``) is collected as
  a list of chunks and joined once when complete: one copy, like
  ``b"".join``.
"""

from __future__ import annotations

import struct
from typing import Any

from ._types import Buffer

__all__ = ["ReceiveBuffer"]

# Below this size a slice of a bytearray is copied twice (bytearray slice,
# then bytes), which costs less than creating and releasing a memoryview.
_SMALL_COPY = 4096
# Frames at least this long are collected as a list of chunks (see expect()).
LARGE_FRAME = 256 * 1024


class ReceiveBuffer:
    """Bytes received and not yet consumed, addressed relative to the read offset."""

    __slots__ = ("_chunked", "_chunks", "_data", "_searched", "_start", "_want")

    def __init__(self) -> None:
        self._data: bytes | bytearray = b""  # received bytes; those before _start are consumed
        self._start = 0  # read offset into _data
        self._searched = 0  # bytes after _start already searched for the delimiter
        self._chunks: list[bytes] = []  # chunks fed while collecting a large frame
        self._chunked = 0  # bytes in _chunks
        self._want = 0  # bytes the large frame being collected needs, 0 when not collecting

    def __len__(self) -> int:
        return len(self._data) - self._start + self._chunked

    def __bool__(self) -> bool:
        return len(self) > 0

    # -- storage -------------------------------------------------------------

    def feed(self, chunk: Buffer) -> None:
        """Append ``chunk`` (copied unless it is ``bytes``, which is kept as it is)."""
        if type(chunk) is not bytes:
            chunk = bytes(chunk)
        if self._want:
            self._chunks.append(chunk)
            self._chunked += len(chunk)
            return
        data, start = self._data, self._start
        left = len(data) - start
        if not left:
            self._data, self._start = chunk, 0
        elif isinstance(data, bytes):
            if left <= len(chunk):
                self._data, self._start = data[start:] + chunk, 0
            else:  # a frame longer than the chunks: grow it in place from now on
                self._data, self._start = bytearray(memoryview(data)[start:]), 0
                self._data += chunk
        else:
            if start >= left:
                del data[:start]
                self._start = 0
            data += chunk

    def expect(self, size: int) -> None:
        """The current frame needs ``size`` bytes: collect them as chunks if that is large."""
        if size >= LARGE_FRAME and len(self) < size and not self._want:
            self._want = size

    def _flatten(self) -> None:
        """Join the collected chunks into the storage (before searching or peeking)."""
        if self._chunks:
            view = memoryview(self._data)[self._start :]
            self._data = b"".join([view, *self._chunks])
            view.release()
            self._start = 0
            self._chunks = []
            self._chunked = 0
        self._want = 0

    def _consumed(self, end: int) -> None:
        """Move the read offset to ``end`` of the storage."""
        self._searched = max(0, self._searched - (end - self._start))
        if end == len(self._data):
            self._data, self._start = b"", 0
        else:
            self._start = end

    # -- reading -------------------------------------------------------------

    def byte_at(self, index: int) -> int:
        """The byte at ``index`` (which must be buffered)."""
        self._flatten()
        return self._data[self._start + index]

    def unpack(self, header: struct.Struct, offset: int = 0) -> tuple[Any, ...]:
        """``header`` unpacked from the bytes at ``offset`` (which must be buffered)."""
        if self._chunks and self._start + offset + header.size > len(self._data):
            self._flatten()
        return header.unpack_from(self._data, self._start + offset)

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the read offset, without consuming them."""
        if self._chunks and self._start + size > len(self._data):
            self._flatten()
        start = self._start
        return bytes(self._data[start : start + size])

    def take(self, size: int) -> bytes:
        """Consume and return the next ``size`` bytes (which must be buffered)."""
        data, start = self._data, self._start
        end = start + size
        if end > len(data):
            return self._take_chunks(size)
        if type(data) is bytes:
            out = data[start:end]
        elif size < _SMALL_COPY:
            out = bytes(data[start:end])
        else:
            with memoryview(data) as view:
                out = view[start:end].tobytes()
        self._consumed(end)
        return out

    def _take_chunks(self, size: int) -> bytes:
        """Consume ``size`` bytes that run into the collected chunks: one join, one copy."""
        parts: list[Buffer] = [memoryview(self._data)[self._start :]]
        need = size - len(parts[0])  # type: ignore[arg-type]
        chunks = self._chunks
        index = 0
        while need > len(chunks[index]):
            parts.append(chunks[index])
            need -= len(chunks[index])
            index += 1
        last = chunks[index]
        parts.append(memoryview(last)[:need])
        out = b"".join(parts)
        for part in parts:
            if isinstance(part, memoryview):
                part.release()
        rest = chunks[index + 1 :]
        self._data = b"".join([last[need:], *rest]) if rest else last[need:]
        self._start = 0
        self._searched = 0
        self._chunks = []
        self._chunked = 0
        self._want = 0
        return out

    def skip(self, size: int) -> None:
        """Consume and discard the next ``size`` bytes."""
        if self._start + size > len(self._data):
            self._flatten()
        self._consumed(self._start + size)

    def take_all(self) -> bytes:
        """Consume and return everything buffered."""
        return self.take(len(self))

    def find(self, delimiter: bytes, limit: int | None = None) -> int:
        """Index of the first ``delimiter``, or -1; the next call resumes where this one stopped.

        Only the first ``limit`` bytes are searched when ``limit`` is given.
        """
        self._flatten()
        data, start = self._data, self._start
        end = len(data)
        if limit is not None and start + limit < end:
            end = start + limit
        resume = start + max(0, self._searched - len(delimiter) + 1)
        index = data.find(delimiter, resume, end)
        if index < 0:
            self._searched = end - start
            return -1
        self._searched = index - start
        return index - start

    def count(self, sub: bytes, begin: int, end: int) -> int:
        """Non-overlapping occurrences of ``sub`` in ``[begin, end)``."""
        self._flatten()
        start = self._start
        return self._data.count(sub, start + begin, start + end)

    # -- batches: every complete frame at once --------------------------------

    def complete_frames(self, delimiter: bytes) -> bytes:
        """Every complete delimited frame, delimiters included, without consuming them.

        The result ends with the last delimiter that a left-to-right parse
        finds; ``b""`` when there is no complete frame. The search resumes where
        the previous one stopped, and the unfinished frame after the last
        delimiter is not copied. ``skip(len(result))`` consumes them.
        """
        first = self.find(delimiter)
        if first < 0:
            return b""
        data, start = self._data, self._start
        stop = data.rfind(delimiter, start + first) + len(delimiter)
        if type(data) is bytes:
            region = data[start:stop]
        else:
            with memoryview(data) as view:
                region = view[start:stop].tobytes()
        if _overlaps(delimiter):
            # b"aa" in b"aaa": the tail a left-to-right parse leaves is not a frame.
            tail = region.split(delimiter)[-1]
            region = region[: len(region) - len(tail)]
        return region

    def take_prefixed(
        self, header: struct.Struct, max_length: int, header_in_length: bool
    ) -> tuple[list[bytes], bytes]:
        """Consume every complete frame with a ``header`` length prefix and a valid length.

        Returns the payloads and the wire bytes they came from. Stops before
        the first frame that is incomplete or whose length is negative or
        above ``max_length``, leaving it for the frame-at-a-time path.
        """
        size = header.size
        adjust = size if header_in_length else 0
        unpack = header.unpack_from
        data, start = self._data, self._start
        if self._chunks or start + size > len(data):
            return [], b""
        if type(data) is not bytes:
            # Copy the storage to bytes once a frame is complete, not while a
            # long one is still arriving.
            (length,) = unpack(data, start)
            if start + size + length - adjust > len(data):
                return [], b""
            with memoryview(data) as view:
                data = self._data = view[start:].tobytes()
            start = self._start = 0
        payloads: list[bytes] = []
        append = payloads.append
        end = len(data)
        position = start
        while position + size <= end:
            (length,) = unpack(data, position)
            length -= adjust
            stop = position + size + length
            if stop > end or not 0 <= length <= max_length:
                break
            append(data[position + size : stop])
            position = stop
        wire = data[start:position] if payloads else b""
        self._consumed(position)
        return payloads, wire

    def take_fixed(self, size: int) -> bytes:
        """Consume and return every complete ``size``-byte frame, back to back."""
        count = (len(self._data) - self._start) // size
        return self.take(count * size) if count else b""


def _overlaps(delimiter: bytes) -> bool:
    """Whether a proper suffix of ``delimiter`` is also its prefix (b"aa", b"aba")."""
    return any(delimiter.endswith(delimiter[:k]) for k in range(1, len(delimiter)))
