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
- a large frame (``collect()``: one whose length the decoder knows, or a
  long delimited one) is kept as the list of chunks fed, searched chunk by
  chunk, and joined once when complete: one copy, as ``b"".join`` does.
  Small chunks are first gathered into a ``bytearray`` of up to 64 KiB, so
  the list stays short (a list of thousands of tiny chunks makes every
  garbage collection pass slower, and decoding a trickle superlinear).
"""

from __future__ import annotations

import struct
from typing import Any

from ._types import Buffer

__all__ = ["LARGE_FRAME", "LONG_DELIMITED_FRAME", "ReceiveBuffer"]

# Below this size a slice of a bytearray is copied twice (bytearray slice,
# then bytes), which costs less than creating and releasing a memoryview.
_SMALL_COPY = 4096
# Frames at least this long are collected as a list of chunks (see collect()):
# joining them once beats growing a bytearray, which copies, reallocates and
# page-faults as it grows. Measured (lengths 6 KiB to 1 MiB in 4 KiB and 64 KiB
# chunks), 64 KiB was the lowest size that slowed no frame length.
LARGE_FRAME = 64 * 1024
# A delimited frame, whose length is known only when it ends, is collected
# once this much of it has arrived with no delimiter: measured the same way,
# collecting from 4 KiB on was fastest for every line length.
LONG_DELIMITED_FRAME = 4 * 1024
# While collecting, chunks shorter than this are gathered into one of this size.
_GATHER = 65536


class ReceiveBuffer:
    """Bytes received and not yet consumed, addressed relative to the read offset.

    The bytes are ``_data[_start:]`` followed by the ``_chunks`` fed since
    ``collect()``.
    """

    __slots__ = (
        "_chunked",
        "_chunks",
        "_collecting",
        "_data",
        "_scan_index",
        "_scan_offset",
        "_searched",
        "_start",
    )

    def __init__(self) -> None:
        self._data: bytes | bytearray = b""  # received bytes; those before _start are consumed
        self._start = 0  # read offset into _data
        self._searched = 0  # bytes after _start already searched for the delimiter
        self._collecting = False  # feed() appends chunks to _chunks
        self._chunks: list[bytes | bytearray] = []  # chunks fed while collecting a large frame
        self._chunked = 0  # bytes in _chunks
        self._scan_index = 0  # the chunk the delimiter search has reached
        self._scan_offset = 0  # where that chunk starts, counted from the first chunk

    def __len__(self) -> int:
        return len(self._data) - self._start + self._chunked

    def __bool__(self) -> bool:
        return len(self) > 0

    @property
    def collecting(self) -> bool:
        """Whether a large frame is being collected (``collect()``) and is not yet consumed."""
        return self._collecting

    # -- storage -------------------------------------------------------------

    def feed(self, chunk: Buffer) -> None:
        """Append ``chunk`` (copied unless it is ``bytes``, which is kept as it is)."""
        if self._collecting:
            self._collect(chunk)
            return
        if type(chunk) is not bytes:
            chunk = bytes(chunk)
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

    def collect(self, size: int | None = None) -> None:
        """Keep further chunks as they are, to join them once the frame is complete.

        For a frame of known ``size``, only if it is large and not all here;
        without one (a long delimited frame), from now on.
        """
        if size is None or (size >= LARGE_FRAME and len(self) < size):
            self._collecting = True

    def _collect(self, chunk: Buffer) -> None:
        """Keep ``chunk`` for the large frame: as it is, or gathered with other small ones."""
        chunks = self._chunks
        size = memoryview(chunk).nbytes if type(chunk) is not bytes else len(chunk)
        if size >= _GATHER // 16:
            chunks.append(chunk if type(chunk) is bytes else bytes(chunk))
        elif chunks and type(chunks[-1]) is bytearray and len(chunks[-1]) < _GATHER:
            chunks[-1] += chunk
        else:
            chunks.append(bytearray(chunk))
        self._chunked += size

    def _flatten(self) -> None:
        """Join the collected chunks into the storage (rarely needed: peeking at EOF, counting)."""
        if self._chunks:
            with memoryview(self._data) as view:
                self._data = b"".join([view[self._start :], *self._chunks])
            self._start = 0
            self._drop_chunks()
        self._collecting = False

    def _drop_chunks(self) -> None:
        self._chunks = []
        self._chunked = 0
        self._scan_index = self._scan_offset = 0

    def _consumed(self, end: int) -> None:
        """Move the read offset to ``end`` of the storage (before any chunks).

        Consuming ends the frame being collected, if any: the next one is
        collected only if its decoder asks again.
        """
        self._collecting = False
        self._searched = max(0, self._searched - (end - self._start))
        if end == len(self._data):
            self._data, self._start = b"", 0
        else:
            self._start = end

    # -- reading -------------------------------------------------------------

    def byte_at(self, index: int) -> int:
        """The byte at ``index`` (which must be buffered)."""
        position = self._start + index
        chunk_index = 0
        chunk = self._data
        while position >= len(chunk):
            position -= len(chunk)
            chunk = self._chunks[chunk_index]
            chunk_index += 1
        return chunk[position]

    def last_byte(self) -> int:
        """The last byte buffered (there must be one), without walking collected chunks."""
        for chunk in reversed(self._chunks):
            if chunk:
                return chunk[-1]
        return self._data[-1]

    def unpack(self, header: struct.Struct) -> tuple[Any, ...]:
        """``header`` unpacked from the first bytes (which must be buffered before any chunks)."""
        return header.unpack_from(self._data, self._start)

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the read offset, without consuming them."""
        if self._start + size > len(self._data):
            self._flatten()
        start = self._start
        return bytes(self._data[start : start + size])

    def take(self, size: int) -> bytes:
        """Consume and return the next ``size`` bytes (which must be buffered)."""
        data, start = self._data, self._start
        end = start + size
        if end > len(data):
            return self._take_from_chunks(size)
        if type(data) is bytes:
            out = data[start:end]
        elif size < _SMALL_COPY:
            out = bytes(data[start:end])
        else:
            with memoryview(data) as view:
                out = view[start:end].tobytes()
        self._consumed(end)
        return out

    def _take_from_chunks(self, size: int, *, keep: bool = True) -> bytes:
        """Consume ``size`` bytes that run into the collected chunks: one join (if ``keep``)."""
        head = memoryview(self._data)[self._start :]
        parts: list[Buffer] = [head]
        need = size - len(head)
        chunks = self._chunks
        index = 0
        while need > len(chunks[index]):
            parts.append(chunks[index])
            need -= len(chunks[index])
            index += 1
        last = chunks[index]
        with memoryview(last) as tail, tail[:need] as used:
            parts.append(used)
            out = b"".join(parts) if keep else b""
        head.release()
        rest = chunks[index + 1 :]
        self._data = b"".join([last[need:], *rest]) if rest else last[need:]
        self._start = 0
        self._searched = max(0, self._searched - size)
        self._drop_chunks()
        self._collecting = False
        return out

    def skip(self, size: int) -> None:
        """Consume and discard the next ``size`` bytes."""
        if self._start + size > len(self._data):
            self._take_from_chunks(size, keep=False)
        else:
            self._consumed(self._start + size)

    def take_all(self) -> bytes:
        """Consume and return everything buffered."""
        return self.take(len(self))

    def find(self, delimiter: bytes, limit: int | None = None) -> int:
        """Index of the first ``delimiter``, or -1; the next call resumes where this one stopped.

        Only the first ``limit`` bytes are searched when ``limit`` is given.
        """
        if self._chunks:
            return self._find_in_chunks(delimiter)
        data, start = self._data, self._start
        end = len(data) if limit is None else min(len(data), start + limit)
        resume = start + max(0, self._searched - len(delimiter) + 1)
        index = data.find(delimiter, resume, end)
        if index < 0:
            self._searched = end - start
            return -1
        self._searched = index - start
        return index - start

    def _find_in_chunks(self, delimiter: bytes) -> int:
        """``find`` while collecting: search on from the chunk the last search reached.

        Only decoders of single-byte delimiters collect (a longer one could
        straddle two chunks), and only once the bytes before the chunks were
        searched.
        """
        chunks = self._chunks
        head = len(self._data) - self._start  # bytes before the first chunk
        index, offset = self._scan_index, self._scan_offset
        while True:
            chunk = chunks[index]
            found = chunk.find(delimiter, max(0, self._searched - head - offset))
            if found >= 0:
                self._scan_index, self._scan_offset = index, offset
                self._searched = head + offset + found
                return self._searched
            if index == len(chunks) - 1:  # the last chunk may still grow: stay on it
                self._scan_index, self._scan_offset = index, offset
                self._searched = head + offset + len(chunk)
                return -1
            offset += len(chunk)
            index += 1

    def has(self, sub: bytes) -> bool:
        """Whether ``sub`` is buffered anywhere (not resumed: for whole-buffer checks)."""
        self._flatten()
        return self._data.find(sub, self._start) >= 0

    def count(self, sub: bytes, begin: int = 0, end: int | None = None) -> int:
        """Non-overlapping occurrences of ``sub`` in ``[begin, end)``."""
        self._flatten()
        start = self._start
        return self._data.count(sub, start + begin, len(self._data) if end is None else start + end)

    # -- batches: every complete frame at once --------------------------------

    def has_frames(self, delimiter: bytes) -> bool:
        """Whether a delimiter has arrived (a resumed search) and no large frame is collected.

        Then ``pieces(delimiter)`` holds complete frames, which a batch can take.
        """
        return not self._chunks and self.find(delimiter) >= 0

    def pieces(self, delimiter: bytes) -> list[bytes]:
        """Everything buffered, split at each delimiter (left to right), without consuming it.

        The last piece is what follows the last delimiter: the unfinished
        frame. ``skip(len(self) - len(pieces[-1]))`` consumes the others.
        """
        self._flatten()
        data, start = self._data, self._start
        if type(data) is bytes:
            return (data[start:] if start else data).split(delimiter)
        with memoryview(data) as view:
            return view[start:].tobytes().split(delimiter)

    def take_prefixed(
        self, header: struct.Struct, max_length: int, header_in_length: bool
    ) -> list[bytes]:
        """Consume every complete frame with a ``header`` length prefix and a valid length.

        Stops before the first frame that is incomplete or whose length is
        negative or above ``max_length``, leaving it to the frame-at-a-time path.
        """
        size = header.size
        adjust = size if header_in_length else 0
        unpack = header.unpack_from
        data, start = self._data, self._start
        if self._chunks or start + size > len(data):
            return []
        if type(data) is not bytes:
            # Copy the storage to bytes once a frame is complete, not while a
            # long one is still arriving.
            (length,) = unpack(data, start)
            if start + size + length - adjust > len(data):
                return []
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
        self._consumed(position)
        return payloads

    def take_fixed(self, size: int) -> list[bytes]:
        """Consume and return every complete ``size``-byte frame."""
        count = (len(self._data) - self._start) // size
        if not count:
            return []
        wire = self.take(count * size)
        return [wire[start : start + size] for start in range(0, len(wire), size)]
