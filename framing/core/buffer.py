"""The receive buffer every decoder reads from: the only code that slices or searches it.

A decoder's ``decode(buffer)`` step reads through this public surface::

    len(buffer)                  bytes buffered (from the read offset)
    buffer.find(needle)          index of the first ``needle``, or -1; resumes per needle
    buffer.byte_at(i)            the byte at index ``i``, an int
    buffer.peek(n)               up to ``n`` bytes, as bytes, not consumed
    buffer.unpack(fmt)           a ``struct.Struct`` unpacked from the first bytes
    buffer.count(sub, i, j)      occurrences of ``sub`` in ``[i, j)``
    buffer.take(n)               the next ``n`` bytes, as bytes, consumed
    buffer.skip(n)               the next ``n`` bytes, discarded
    buffer.take_all()            everything, consumed
    buffer.expect(n)             the current frame is ``n`` bytes in all: until they
                                 are here the decoder is not asked again

Consuming a frame moves a read offset instead of copying what is left (the
``buf = buf[n:]`` of weaker code is quadratic), and a search remembers how far
it got *for its needle*, so the next ``find`` of the same needle resumes there,
backing up ``len(needle) - 1`` bytes to find a needle split across two chunks
(as h11's ``ReceiveBuffer`` does); a different needle starts afresh. Every
byte is copied a bounded number of times, so decoding is linear in the bytes
received however they are chunked.

The storage is picked for speed:

- a ``bytes`` chunk fed to an empty buffer is kept as it is, uncopied, and a
  small remainder is joined to the next chunk into a new ``bytes``, so
  frames are sliced straight out of received ``bytes`` with one copy each;
- a remainder that outgrows the chunks is kept in a ``bytearray`` that grows
  in place and drops its consumed prefix only when that is at least as long
  as what remains (amortised O(1) per byte);
- a large frame (``expect()`` of at least ``LARGE_FRAME`` bytes, or a long
  delimited one, ``_collect_until()``) is kept as the list of chunks fed, and
  joined once when complete: one copy, as ``b"".join`` does (a ``find`` for
  another needle, ``peek``, ``count`` or an ``unpack`` that reaches into the
  chunks joins them early, at the cost of one more copy of the frame). Each
  chunk is searched for the delimiter once, as it is fed, and ``short`` tells the
  decoder, without a call, that the frame is surely incomplete, so a chunk of
  a large frame costs little more than a list append. Small chunks are first
  gathered into a ``bytearray`` of up to ``GATHER`` bytes, so the list stays
  short (a list of thousands of tiny chunks makes every garbage collection
  pass slower, and decoding a trickle superlinear).

The methods whose names start with an underscore are the built-in codecs'
private fast paths (whole batches of frames at once); a codec of your own
needs none of them.
"""

from __future__ import annotations

import struct
import sys
from typing import Any

from .compiled import (
    PrefixedHeader,
    VarintHeader,
    cut_too_long,
    split_delimited,
    take_fixed,
    take_fixed_python,
    take_prefixed,
    take_prefixed_python,
    take_varint_prefixed,
    take_varint_prefixed_python,
)
from .types import Buffer

__all__ = [
    "GATHER",
    "LARGE_FRAME",
    "LONG_DELIMITED_FRAME",
    "LONG_PIECE",
    "SMALL_COPY",
    "ReceiveBuffer",
]

# Each threshold is swept by ``python bench/thresholds.py``, which shows
# where it crosses over on the machine at hand.

# Frames at least this long are collected as a list of chunks (see expect()):
# joining them once beats growing a bytearray, which copies, reallocates and
# page-faults as it grows. Measured (lengths 6 KiB to 1 MiB in 4 KiB and 64 KiB
# chunks), 64 KiB was the lowest size that slowed no frame length.
LARGE_FRAME = 64 * 1024
# A delimited frame, whose length is known only when it ends, is collected
# once this much of it has arrived with no delimiter: measured the same way,
# collecting from 4 KiB on was fastest for every line length.
LONG_DELIMITED_FRAME = 4 * 1024
# While collecting, chunks shorter than GATHER // 16 are gathered into one of
# GATHER bytes, so that a trickle of small chunks makes a short list. Swept
# on 1 and 16 MiB frames: 16 KiB (chunks under 1 KiB gathered) decoded 1 KiB
# chunks 1.6x faster than 64 KiB did, and 64-byte chunks as fast.
GATHER = 16 * 1024
_SMALL_CHUNK = GATHER // 16
# Delimited pieces at least this long are found one by one with a memchr
# rather than by bytes.split (measured to cross over at 600 to 700 bytes).
LONG_PIECE = 512
# A frame shorter than this is sliced out of a bytearray and copied again to
# bytes, which costs less than making and releasing a memoryview for one copy.
SMALL_COPY = 4096


def _split_long(data: bytes, start: int, end: int, delimiter: bytes) -> list[bytes]:
    """``data[start:].split(delimiter)`` for long pieces (the first ends at ``end``).

    ``bytes.split`` compares byte by byte (about 3 GB/s, 1.2 for two bytes);
    ``find`` is a memchr, many times faster across a long piece, and costs a
    Python step per piece. So pieces are found one by one while they are
    long, and the rest is split at once from the first short one.
    """
    pieces: list[bytes] = []
    append = pieces.append
    find = data.find
    size = len(delimiter)
    while True:
        append(data[start:end])
        if end - start < LONG_PIECE:  # short pieces from here on, most likely
            pieces += data[end + size :].split(delimiter)
            return pieces
        start = end + size
        end = find(delimiter, start)
        if end < 0:
            append(data[start:])
            return pieces


def _to_bytes(chunk: Buffer) -> bytes:
    """A fed chunk as ``bytes``; a ``TypeError`` that says how to make them for a ``str``."""
    if isinstance(chunk, str):
        raise TypeError(
            f"received data must be bytes, not str: encode it first, e.g. {chunk[:20]!r}.encode()"
        )
    return bytes(chunk)


class ReceiveBuffer:
    """Bytes received and not yet consumed: what a decoder's ``decode(buffer)`` reads.

    Index 0 is the first byte not yet consumed. ``find`` and ``count``
    search; ``byte_at``, ``peek`` and ``unpack`` read without consuming;
    ``take``, ``skip`` and ``take_all`` consume; ``expect(n)`` says that the
    current frame is ``n`` bytes long, so the decoder is not asked again
    before they are all here. Each ``find`` of the same needle resumes where
    the last one stopped, so decoding stays linear in the bytes received
    however they are chunked.
    """

    # The bytes are _data[_start:] followed by the _chunks fed since a large
    # frame began to be collected.

    __slots__ = (
        "_chunked",
        "_chunks",
        "_data",
        "_expected",
        "_found",
        "_gathering",
        "_needed",
        "_needle",
        "_searched",
        "_start",
        "_until",
        "collecting",
        "short",
    )

    def __init__(self) -> None:
        self._data: bytes | bytearray = b""  # received bytes; those before _start are consumed
        self._start = 0  # read offset into _data
        self._needle = b""  # what the last find() looked for
        self._searched = 0  # bytes after _start already searched for _needle
        # The current frame's length in all when its decoder knows it
        # (expect()), else 0; ``short`` while fewer bytes are buffered: the
        # decoder need not look at the buffer again until a feed() clears it.
        self._expected = 0
        self.short = False
        self.collecting = False  # a large frame is collected: feed() appends chunks to _chunks
        self._chunks: list[bytes | bytearray] = []  # chunks fed while collecting a large frame
        self._chunked = 0  # bytes in _chunks
        self._gathering: bytearray | None = None  # the last of _chunks, if small chunks fill it
        self._needed = 0  # bytes the collected frame needs in _chunks to be worth a look
        self._until: bytes | None = None  # the delimiter each collected chunk is searched for
        self._found = -1  # where that delimiter first is, from the read offset (-1: not yet)

    def __len__(self) -> int:
        return len(self._data) - self._start + self._chunked

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"<ReceiveBuffer of {len(self)} bytes>"

    # -- storage -------------------------------------------------------------

    def feed(self, chunk: Buffer) -> None:
        """Append ``chunk`` (copied unless it is ``bytes``, which is kept as it is)."""
        if self.collecting:
            # The hot path of a large frame, inline: a chunk that cannot
            # complete it costs an append (small chunks to the bytearray being
            # gathered), and a one-byte search (memchr) for a delimited frame.
            # ``short`` then tells if the frame is surely incomplete.
            if type(chunk) is not bytes:
                chunk = _to_bytes(chunk)
            size = len(chunk)
            if not size:
                return  # an empty chunk, kept, would be a collected chunk of nothing
            before = self._chunked  # where ``chunk`` starts among the collected bytes
            piece: bytes | bytearray  # the collected chunk that now ends with ``chunk``
            gathering = self._gathering
            if size < _SMALL_CHUNK and gathering is not None and len(gathering) < GATHER:
                begin = len(gathering)
                gathering += chunk
                piece = gathering
            elif size < _SMALL_CHUNK:
                piece = self._gathering = bytearray(chunk)
                begin = 0
                self._chunks.append(piece)
            else:
                piece, begin, self._gathering = chunk, 0, None
                self._chunks.append(chunk)
            chunked = self._chunked = before + size
            until = self._until
            if until is None:
                self.short = chunked < self._needed
            elif self._found < 0:
                # A delimiter of d bytes may begin d - 1 bytes before the chunk.
                back = len(until) - 1
                found: int | None
                if begin >= back:  # the piece holds those bytes (always, for one byte)
                    index = piece.find(until, begin - back)
                    found = index - begin if index >= 0 else None
                else:  # the chunk starts a piece: the bytes before are in others
                    found = self._find_straddling(until, piece, begin, chunk)
                if found is None:
                    self.short = chunked < self._needed
                else:
                    self._found = len(self._data) - self._start + before + found
                    self.short = False
            return
        if type(chunk) is not bytes:
            chunk = _to_bytes(chunk)
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
        if self.short:
            self.short = left + len(chunk) < self._expected

    def _find_straddling(
        self, until: bytes, piece: bytes | bytearray, begin: int, chunk: bytes
    ) -> int | None:
        """Where ``until`` (of d > 1 bytes) first is, from the start of the chunk just fed.

        The chunk starts ``piece`` (the last collected one), or nearly, at
        ``begin``: it may complete a delimiter begun in the d - 1 bytes fed
        before it, which end the pieces (or the storage) before it.
        """
        back = len(until) - 1
        before = bytes(piece[:begin])
        index = len(self._chunks) - 2
        while len(before) < back and index >= 0:
            before = bytes(self._chunks[index][-back:]) + before
            index -= 1
        if len(before) < back:
            data = self._data
            before = bytes(data[max(self._start, len(data) - back) :]) + before
        before = before[-back:]
        found = (before + chunk[:back]).find(until)
        if found >= 0:
            return found - len(before)
        found = chunk.find(until)
        return found if found >= 0 else None

    def expect(self, size: int) -> None:
        """The current frame is ``size`` bytes in all: don't ask before they are buffered.

        ``bytes_needed`` then says how many are missing, and a large frame's
        chunks are kept as they come, to be joined once. Consuming any bytes
        forgets it.
        """
        buffered = len(self)
        self._expected = size
        self.short = buffered < size
        if size >= LARGE_FRAME and buffered < size and not self.collecting:
            self.collecting = True
            self._needed = size - buffered

    @property
    def bytes_needed(self) -> int | None:
        """Bytes missing from the frame of ``expect()``; None when no length is expected."""
        if not self._expected:
            return None
        return max(0, self._expected - len(self))

    def _collect_until(self, delimiter: bytes, limit: int) -> None:
        """Keep further chunks as they are, searching each for ``delimiter`` as it is fed.

        For a long delimited frame: everything buffered must have been
        searched already (``find`` returned -1). A delimiter split across two
        chunks is found too. ``short`` until it arrives, or
        until more than ``limit`` bytes are buffered (the frame may then be
        too long: its decoder must look).
        """
        if not self.collecting:
            self.collecting = self.short = True
            self._until = delimiter
            self._needed = limit + 1 - len(self)

    def _flatten(self) -> None:
        """Join the collected chunks into the storage (rarely needed: peeking at EOF, counting)."""
        if self._chunks:
            if self._until is not None:  # what the chunks' search found, or that it found none
                self._needle = self._until
                self._searched = self._found if self._found >= 0 else len(self)
            with memoryview(self._data) as view:
                self._data = b"".join([view[self._start :], *self._chunks])
            self._start = 0
            self._drop_chunks()
        if self.collecting:
            self._end_collecting()

    def _drop_chunks(self) -> None:
        self._chunks = []
        self._chunked = 0
        self._gathering = None

    def _end_collecting(self) -> None:
        self.collecting = self.short = False
        self._until = None
        self._found = -1

    def _consumed(self, end: int) -> None:
        """Move the read offset to ``end`` of the storage (before any chunks).

        Consuming forgets the expected frame length and ends the frame being
        collected, if any, unless chunks of it remain (its header was consumed
        first): the next frame is collected only if its decoder asks again.
        """
        self._expected = 0
        if self.collecting:
            if self._chunks:
                if self._found >= 0:
                    self._found -= end - self._start
            else:
                self._end_collecting()
        else:
            self.short = False
        self._searched = max(0, self._searched - (end - self._start))
        if end == len(self._data):
            self._data, self._start = b"", 0
        else:
            self._start = end

    # -- reading -------------------------------------------------------------

    def byte_at(self, index: int) -> int:
        """The byte at ``index``, an int (``IndexError`` unless it is buffered)."""
        size = len(self._data) - self._start + self._chunked
        if not 0 <= index < size:
            raise IndexError(f"byte {index} of a buffer of {size} bytes")
        chunks = self._chunks
        if chunks:
            # The usual byte of a collected frame is next to its end: in the
            # last chunk or the one before (a CR before the LF that came alone).
            offset = size
            for piece in (chunks[-1], chunks[-2]) if len(chunks) > 1 else (chunks[-1],):
                offset -= len(piece)
                if index >= offset:
                    return piece[index - offset]
            self._flatten()  # a walk through a long frame: index it directly from now on
        return self._data[self._start + index]

    def _last_byte(self) -> int:
        """The last byte buffered (there must be one), without walking collected chunks."""
        return self._chunks[-1][-1] if self._chunks else self._data[-1]  # no chunk is empty

    def unpack(self, header: struct.Struct) -> tuple[Any, ...]:
        """``header`` unpacked from the first ``header.size`` bytes (which must be buffered)."""
        if self._start + header.size > len(self._data):
            self._flatten()
        return header.unpack_from(self._data, self._start)

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the read offset, as ``bytes``, without consuming them."""
        if self._start + size > len(self._data):
            self._flatten()
        start = self._start
        return bytes(self._data[start : start + size])

    def take(self, size: int) -> bytes:
        """Consume and return the next ``size`` bytes (``ValueError`` unless all are buffered)."""
        data, start = self._data, self._start
        end = start + size
        if end > len(data):
            if size > len(self):
                raise ValueError(f"cannot take {size} bytes from a buffer of {len(self)}")
            return self._take_from_chunks(size)
        if type(data) is bytes:
            out = data[start:end]
        elif size < SMALL_COPY:
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
        before_last = self._chunked - len(chunks[-1])
        if need > before_last:  # the usual case: the frame ends in the last chunk
            index = len(chunks) - 1
            parts += chunks[:index]
            need -= before_last
        else:
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
        if rest:
            self._data, self._start = b"".join([last[need:], *rest]), 0
        else:  # the usual case: keep the last chunk and its offset, uncopied
            self._data, self._start = last, need
        self._searched = max(0, self._searched - size)
        self._expected = 0
        self._drop_chunks()
        self._end_collecting()
        return out

    def skip(self, size: int) -> None:
        """Consume and discard the next ``size`` bytes (``ValueError`` unless all are buffered)."""
        if self._start + size > len(self._data):
            if size > len(self):
                raise ValueError(f"cannot skip {size} bytes of a buffer of {len(self)}")
            self._take_from_chunks(size, keep=False)
        else:
            self._consumed(self._start + size)

    def take_all(self) -> bytes:
        """Consume and return everything buffered."""
        return self.take(len(self))

    def find(self, needle: bytes, limit: int | None = None) -> int:
        """Index of the first ``needle``, or -1 when it is not buffered (in the first ``limit``).

        The next ``find`` of the same needle resumes where this one stopped;
        another needle starts from the read offset.
        """
        if self._chunks:  # collecting until a delimiter: each chunk was searched when fed
            if needle == self._until:
                return self._found
            self._flatten()
        data, start = self._data, self._start
        end = len(data) if limit is None else min(len(data), start + limit)
        if needle == self._needle:
            resume = start + max(0, self._searched - len(needle) + 1)
        else:
            self._needle = needle
            resume = start
        index = data.find(needle, resume, end)
        if index < 0:
            self._searched = end - start
            return -1
        self._searched = index - start
        return index - start

    def count(self, sub: bytes, begin: int = 0, end: int | None = None) -> int:
        """Non-overlapping occurrences of ``sub`` in ``[begin, end)`` (indexes as for ``find``)."""
        self._flatten()
        start = self._start
        return self._data.count(sub, start + begin, len(self._data) if end is None else start + end)

    # -- batches: every complete frame at once (the built-in codecs' fast paths) ----

    def _has(self, sub: bytes) -> bool:
        """Whether ``sub`` is buffered anywhere (not resumed: for whole-buffer checks)."""
        self._flatten()
        return self._data.find(sub, self._start) >= 0

    def _has_frames(self, delimiter: bytes) -> bool:
        """Whether a delimiter has arrived (a resumed search) before any collected chunk.

        Then ``_pieces(delimiter)`` holds complete frames, which a batch can
        take. (Decoders ask only when not collecting, so there are no chunks.)
        """
        return not self._chunks and self.find(delimiter) >= 0

    def _pieces(self, delimiter: bytes) -> list[bytes]:
        """Everything buffered, split at each delimiter (left to right), without consuming it.

        The last piece is what follows the last delimiter: the unfinished
        frame. ``skip(len(self) - len(pieces[-1]))`` consumes the others.
        The first delimiter is looked for where the last ``find`` of the same
        needle stopped (``_has_frames`` ran it), not from the start again.
        """
        self._flatten()
        data, start = self._data, self._start
        if type(data) is not bytes:
            with memoryview(data) as view:
                data = view[start:].tobytes()
            start = 0
        resume = max(0, self._searched - len(delimiter) + 1) if delimiter == self._needle else 0
        first = data.find(delimiter, start + resume)
        if first < 0 or first - start < LONG_PIECE:
            return (data[start:] if start else data).split(delimiter)
        return _split_long(data, start, first, delimiter)

    def _take_prefixed(
        self,
        header: struct.Struct,
        max_length: int,
        adjust: int,
        native: PrefixedHeader | None = None,
    ) -> list[bytes]:
        """Consume every complete frame with a ``header`` length prefix and a valid length.

        A frame's payload is its declared length minus ``adjust``. Stops
        before the first frame that is incomplete or whose length is negative
        or above ``max_length``, leaving it to the frame-at-a-time path.
        ``native``: the header as the compiled core reads it
        (``compiled.prefixed_header``), which then runs the loop.
        """
        size = header.size
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
        if native is not None and take_prefixed is not None:
            # No payload is longer than sys.maxsize: a larger limit is that one.
            limit = min(max_length, sys.maxsize)
            payloads, position = take_prefixed(data, start, *native, limit, adjust)
        else:
            payloads, position = take_prefixed_python(data, start, header, max_length, adjust)
        if payloads:
            self._consumed(position)
        return payloads

    def _take_varint_prefixed(
        self, header: VarintHeader, max_length: int, native: bool
    ) -> tuple[list[bytes], bytes, bytes, int]:
        """Consume every complete frame with a varint length prefix and a valid length.

        Stops before the first frame that is incomplete or bad, leaving it to
        the frame-at-a-time path, which reports it. Returns the payloads,
        each frame's header size (a byte each), and the bytes they were cut
        from with the offset after the last: every frame's exact wire bytes,
        whatever form its header took. ``native``: the compiled core's loop
        runs (``compiled.native_varint``), else its Python twin.
        """
        if self._chunks or self._start == len(self._data):
            return [], b"", b"", 0
        data, start = self._bytes_storage()
        max_bytes, minimal, max_value, includes_header, adjust = header
        take = take_varint_prefixed if native and take_varint_prefixed is not None else None
        limit = min(max_length, sys.maxsize)
        args = (max_bytes, minimal, max_value, includes_header, limit, adjust)
        if take is not None:
            payloads, position, sizes = take(data, start, *args)
        else:
            payloads, position, sizes = take_varint_prefixed_python(data, start, *args)
        if payloads:
            self._consumed(position)
        return payloads, sizes, data, position

    def _take_delimited(self, delimiter: bytes, max_length: int, native: bool) -> list[bytes]:
        """Consume every complete frame that ends in ``delimiter``; return the payloads.

        Stops before the first payload longer than ``max_length``, leaving it
        to the frame-at-a-time path, which reports it. ``native``: the
        compiled core's loop runs (``compiled.enabled()`` when the decoder
        was made), else ``_pieces`` and Python.
        """
        if native and split_delimited is not None:
            self._flatten()
            data, start = self._bytes_storage()
            limit = min(max_length, sys.maxsize)
            payloads, position = split_delimited(data, start, delimiter, limit)
            if payloads:
                self._consumed(position)
            return payloads
        pieces = self._pieces(delimiter)
        tail = pieces.pop()  # the unfinished frame after the last delimiter
        wire = len(self) - len(tail)
        # When the frames all fit together, none can be too long: no need to measure each.
        if wire - len(pieces) * len(delimiter) > max_length and max(map(len, pieces)) > max_length:
            cut_too_long(pieces, max_length)
            wire = sum(map(len, pieces)) + len(pieces) * len(delimiter)
        if pieces:
            self.skip(wire)
        return pieces

    def _take_fixed(self, size: int, native: bool) -> list[bytes]:
        """Consume and return every complete ``size``-byte frame (``native``: in C)."""
        count = (len(self._data) - self._start) // size
        if not count:
            return []
        data, start = self._data, self._start
        if type(data) is bytes:
            self._consumed(start + count * size)
        else:  # a bytearray: copy the frames to bytes once, then slice them
            data, start = self.take(count * size), 0
        if native and take_fixed is not None:
            return take_fixed(data, start, size)[0]
        return take_fixed_python(data, start, size)[0]

    def _bytes_storage(self) -> tuple[bytes, int]:
        """The storage as ``bytes`` (a ``bytearray`` is copied once) and the read offset."""
        data = self._data
        if type(data) is not bytes:
            with memoryview(data) as view:
                data = self._data = view[self._start :].tobytes()
            self._start = 0
        return data, self._start
