"""Delimited framing: each message is followed by a delimiter, or by one of several.

::

    INPUT (delimiter=b"\\r\\n")                DECODED
    +-------+------+-------+------+          +-------+ +-------+
    | hello | \\r\\n | world | \\r\\n |   -->    | hello | | world |
    +-------+------+-------+------+          +-------+ +-------+

>>> codec = Delimited(b"\\r\\n")
>>> codec.encode(b"hello")
b'hello\\r\\n'
>>> codec.decode(b"hello\\r\\nworld\\r\\n")
[b'hello', b'world']

A delimiter split across two ``feed()`` calls is found. A frame is too large
(``FrameTooLarge``) as soon as more than ``max_length`` payload bytes have
arrived with no delimiter; it is reported once and skipped up to its
delimiter, and decoding goes on with the next frame.

Several delimiters
------------------

Given a sequence of delimiters, a frame ends at the *earliest* of them in the
stream; of several that start at the same byte, the *longest* wins, so
``b"\\r\\n"`` beats ``b"\\r"``::

    INPUT (delimiter=[b"\\r\\n", b"\\n", b"\\r"])            DECODED
    +---+------+---+----+---+----+----+                  +---+ +---+ +---+ +--+
    | a | \\r\\n | b | \\n | c | \\r | \\r | EOF     -->      | a | | b | | c | |  |
    +---+------+---+----+---+----+----+                  +---+ +---+ +---+ +--+

>>> codec = Delimited([b"\\r\\n", b"\\n", b"\\r"])
>>> codec.decode(b"a\\r\\nb\\nc\\r\\r")
[b'a', b'b', b'c', b'']
>>> codec.encode(b"d")
b'd\\r\\n'

Until the byte after a ``b"\\r"`` has arrived, the decoder cannot tell a lone
``b"\\r"`` from the start of ``b"\\r\\n"``: a frame that may still end with a
longer delimiter waits for the next byte, or for EOF (where the shorter
delimiter ends it). So ``encode`` writes the first delimiter of the sequence,
which must begin no other (``[b"\\r", b"\\r\\n"]`` is a ``ValueError``; write
``[b"\\r\\n", b"\\r"]``, the order matters to ``encode`` only), and it refuses
(``EncodeError``) a payload that holds any delimiter or ends in the start of
one (which the delimiter written after it, or the bytes after the frame,
may complete). ``max_length`` counts the bytes before the delimiter.

``report_delimiter=True`` returns each payload as a ``DelimitedFrame``, a
``bytes`` that says in ``.delimiter`` which delimiter ended it; ``encode`` of
a ``DelimitedFrame`` writes its own delimiter back (if it begins no other
delimiter; else the first), so an echo keeps each line's ending.
``keep_delimiter=True`` (Netty's ``stripDelimiter=false``) leaves the
delimiter at the end of each message: a message is then the whole frame, and
``encode`` writes a message that ends with a delimiter as it is
(``max_length`` still counts the bytes before the delimiter, so a message
may be that plus the longest delimiter).

>>> Delimited([b"\\r\\n", b"\\n"], keep_delimiter=True).decode(b"a\\nb\\r\\n")
[b'a\\n', b'b\\r\\n']
>>> [frame] = Delimited([b"\\r\\n", b"\\n"], report_delimiter=True).decode(b"a\\n")
>>> frame, frame.delimiter
(DelimitedFrame(b'a', delimiter=b'\\n'), b'\\n')

A single delimiter without options decodes on the fast paths (whole batches
of frames at once, long frames collected uncopied). Several, or the options,
decode with one resumed search per delimiter, in one batch when a single
delimiter ends every frame buffered, else frame by frame: linear in the
bytes received however they are cut.

This module also holds ``DelimitedDecoder``, the resynchronising decoder that
``Lines``, ``COBS`` and ``SLIP`` build on: they differ only in how a frame's
bytes become a payload; and ``AnyDelimiterDecoder``, for several delimiters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast, overload

from ..core import compiled
from ..core.buffer import LONG_DELIMITED_FRAME, ReceiveBuffer
from ..core.codec import (
    Codec,
    Decoder,
    as_view,
    check_max_length,
    check_not_text,
    check_payload_length,
)
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge
from .length_prefixed import Frame

__all__ = ["AnyDelimiterDecoder", "Delimited", "DelimitedDecoder", "DelimitedFrame", "contains"]

# Precedents for 64 KiB line limits: asyncio's StreamReader (64 KiB), Twisted's
# LineReceiver.MAX_LENGTH (16 KiB), Netty's examples (8 KiB); 64 KiB is the
# most generous of them.
DEFAULT_MAX_LENGTH = 65536


class DelimitedFrame(Frame):
    """A payload (it *is* the payload's bytes) and the delimiter that ended it.

    ``Delimited(..., report_delimiter=True)`` decodes to these; ``encode``
    writes a ``DelimitedFrame`` with its own delimiter (one of the codec's).
    Its ``fields`` are ``{"delimiter": delimiter}``, as a ``Frame``'s.
    """

    def __new__(cls, payload: Buffer, delimiter: bytes) -> DelimitedFrame:
        return cast(DelimitedFrame, super().__new__(cls, payload, {"delimiter": delimiter}))

    @property
    def delimiter(self) -> bytes:
        """The delimiter that ended the frame (or that ``encode`` writes)."""
        delimiter: bytes = self.fields["delimiter"]
        return delimiter

    def __repr__(self) -> str:
        return f"DelimitedFrame({bytes(self)!r}, delimiter={self.delimiter!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (bytes(self), self.delimiter))


class Delimited(Frozen, Codec):
    """Payload followed by ``delimiter``: a non-empty byte string, or a sequence of them.

    With several delimiters a frame ends at the earliest one, the longest of
    those starting at the same byte; ``encode`` writes the first.
    ``keep_delimiter`` leaves the delimiter at the end of each message;
    ``report_delimiter`` returns ``DelimitedFrame`` payloads that name it.
    """

    _fields = ("delimiter", "max_length")
    delimiter: bytes  # the delimiter encode writes: the only one, or the first of several
    delimiters: tuple[bytes, ...]  # every delimiter that ends a frame, in the order given
    max_length: int
    keep_delimiter: bool
    report_delimiter: bool
    # Private, derived from the above: whether the fast paths apply (one
    # delimiter, no option); the longest delimiter; the delimiters encode may
    # write (those that begin no other: a receiver ends the frame at once);
    # the length up to which encode() takes its fast path (-1: never).
    _plain: bool
    _longest: int
    _writable: frozenset[bytes]
    _fast_max: int

    # Two signatures for type checkers only: a call that passes max_length in
    # a ``**dict[str, int]`` (as codec_from_spec does) matches the first.
    @overload
    def __init__(
        self, delimiter: Buffer | Iterable[Buffer] = ..., *, max_length: int = ...
    ) -> None: ...

    @overload
    def __init__(
        self,
        delimiter: Buffer | Iterable[Buffer] = ...,
        *,
        max_length: int = ...,
        keep_delimiter: bool = ...,
        report_delimiter: bool = ...,
    ) -> None: ...

    def __init__(
        self,
        delimiter: Buffer | Iterable[Buffer] = b"\n",
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        keep_delimiter: bool = False,
        report_delimiter: bool = False,
    ) -> None:
        delimiters = _delimiters(delimiter)
        check_max_length(max_length)
        writable = frozenset(
            each
            for each in delimiters
            if not any(other.startswith(each) and other != each for other in delimiters)
        )
        if delimiters[0] not in writable:
            first = delimiters[0]
            longer = next(o for o in delimiters if o.startswith(first) and o != first)
            raise ValueError(
                f"encode writes the first delimiter, {first!r}, and it begins "
                f"{longer!r}: a receiver could not end a frame until the byte after it came. "
                "Put first a delimiter that begins no other (the order matters to encode only)"
            )
        plain = len(delimiters) == 1 and not keep_delimiter and not report_delimiter
        self._set(
            delimiter=delimiters[0],
            delimiters=delimiters,
            max_length=max_length,
            keep_delimiter=bool(keep_delimiter),
            report_delimiter=bool(report_delimiter),
            _plain=plain,
            _longest=max(map(len, delimiters)),
            _writable=writable,
            _fast_max=max_length if plain else -1,
        )

    def _shown(self) -> list[tuple[str, object]]:
        """The configuration as (name, value) pairs: options only when set.

        So a codec with one delimiter and no option shows, compares and
        hashes as it always has.
        """
        several = len(self.delimiters) > 1
        shown: list[tuple[str, object]] = [
            ("delimiter", self.delimiters if several else self.delimiter),
            ("max_length", self.max_length),
        ]
        if self.keep_delimiter:
            shown.append(("keep_delimiter", True))
        if self.report_delimiter:
            shown.append(("report_delimiter", True))
        return shown

    def _values(self) -> tuple[Any, ...]:
        return tuple(value for _, value in self._shown())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._shown())
        return f"{type(self).__name__}({shown})"

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """Payload and delimiter; ``EncodeError`` if the payload would not decode back.

        A ``DelimitedFrame`` is written with its own delimiter if that is one
        of the codec's that begins no other, else with the first. With
        ``keep_delimiter`` the message is the whole frame, written as it is:
        it must end with such a delimiter.
        """
        view = as_view(message)
        if not self._plain:
            return self._encode_parts(message, view)
        check_payload_length(len(view), self.max_length)
        delimiter = self.delimiter
        if contains(view, delimiter) or _completes_delimiter(view, delimiter):
            raise EncodeError(
                f"message of {len(view)} bytes contains the delimiter {delimiter!r}, "
                "or ends in a part of it"
            )
        return (view, delimiter)

    def encode(self, message: Buffer) -> bytes:
        """Payload and delimiter in one ``bytes``."""
        delimiter = self.delimiter
        if (
            type(message) is bytes
            and len(message) <= self._fast_max
            # A memchr for the first byte (an int: a bytes needle first takes
            # a buffer of it) is many times faster than a search for a longer
            # delimiter, and says no for most payloads: then no delimiter can
            # start inside the payload, not even one its tail would begin.
            and (
                delimiter[0] not in message
                or (delimiter not in message and not _completes_delimiter(message, delimiter))
            )
        ):
            return message + delimiter
        return b"".join(self.encode_parts(message))

    def _encode_parts(self, message: Buffer, view: bytes | memoryview) -> tuple[Buffer, ...]:
        """``encode_parts`` for several delimiters or an option."""
        delimiters = self.delimiters
        if self.keep_delimiter:
            delimiter = self._ending(view)
            payload = view[: len(view) - len(delimiter)]
        else:
            delimiter = self.delimiter
            if isinstance(message, DelimitedFrame) and message.delimiter in self._writable:
                delimiter = message.delimiter
            payload = view
        check_payload_length(len(payload), self.max_length)
        if any(contains(payload, each) for each in delimiters):
            raise EncodeError(
                f"message of {len(payload)} bytes contains a delimiter, one of {delimiters!r}"
            )
        if self._ends_early(payload, delimiter):
            raise EncodeError(
                f"message of {len(payload)} bytes ends in the start of a delimiter "
                f"(one of {delimiters!r}), which the bytes after it may complete"
            )
        return (view,) if self.keep_delimiter else (view, delimiter)

    def _ending(self, frame: bytes | memoryview) -> bytes:
        """The delimiter a whole frame (``keep_delimiter``) ends with: the longest that fits."""
        tail = bytes(frame[max(0, len(frame) - self._longest) :])
        endings = [each for each in self.delimiters if tail.endswith(each)]
        if not endings:
            raise EncodeError(
                f"message of {len(frame)} bytes does not end with a delimiter, one of "
                f"{self.delimiters!r} (keep_delimiter=True: a message is the whole frame)"
            )
        ending = max(endings, key=len)
        if ending not in self._writable:
            raise EncodeError(
                f"message of {len(frame)} bytes ends with {ending!r}, which begins a longer "
                "delimiter: a receiver could not end the frame until the byte after it came"
            )
        return ending

    def _ends_early(self, payload: bytes | memoryview, delimiter: bytes) -> bool:
        """Whether a delimiter may start in ``payload`` (which holds none), before ``delimiter``.

        One that starts in the payload's last bytes and agrees with what
        follows as far as it goes: it ends the frame there if it is complete
        (``b"a\\r"`` + ``b"\\n"`` with ``b"\\r\\n"`` a delimiter), and may complete
        with the bytes after the frame if it is longer.
        """
        tail = bytes(payload[max(0, len(payload) - self._longest + 1) :]) + delimiter
        for start in range(len(tail) - len(delimiter)):
            rest = tail[start:]
            if any(each.startswith(rest) or rest.startswith(each) for each in self.delimiters):
                return True
        return False

    def decoder(self) -> Decoder:
        """A fresh decoder."""
        if self._plain:
            return DelimitedDecoder(self, self.delimiter)
        return AnyDelimiterDecoder(
            self,
            self.delimiters,
            keep_delimiter=self.keep_delimiter,
            report_delimiter=self.report_delimiter,
        )

    @property
    def largest_frame(self) -> int:
        """``max_length`` bytes, then the longest delimiter."""
        return self.max_length + self._longest


def _delimiters(value: object) -> tuple[bytes, ...]:
    """One delimiter (bytes-like) or a sequence of them, checked, as a tuple of bytes."""
    check_not_text(value, "the delimiter")
    items: list[object]
    if _is_bytes_like(value):
        items = [value]
    else:
        try:
            items = list(value)  # type: ignore[call-overload]
        except TypeError:
            raise TypeError(
                f"the delimiter must be bytes or a sequence of bytes, not {type(value).__name__}"
            ) from None
        if not items:
            raise ValueError("no delimiter given: the sequence of delimiters is empty")
    delimiters: list[bytes] = []
    for item in items:
        check_not_text(item, "a delimiter")
        if not _is_bytes_like(item):
            raise TypeError(f"a delimiter must be bytes, not {type(item).__name__}")
        delimiter = memoryview(item).cast("B").tobytes()  # type: ignore[arg-type]
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        if delimiter in delimiters:
            raise ValueError(f"the delimiter {delimiter!r} is given twice")
        delimiters.append(delimiter)
    return tuple(delimiters)


def _is_bytes_like(value: object) -> bool:
    try:
        memoryview(value).release()  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


def contains(view: bytes | memoryview, sub: bytes) -> bool:
    """Whether ``sub`` occurs in ``view``.

    ``sub in view`` on a memoryview compares single items with ``sub``, so it
    is always False for a bytes ``sub``; ``re`` searches any buffer uncopied.
    """
    if isinstance(view, bytes):
        # One byte is looked for as an int: a bare memchr, without taking a buffer of ``sub``.
        return (sub[0] in view) if len(sub) == 1 else (sub in view)
    return re.search(re.escape(sub), view) is not None


def _completes_delimiter(view: bytes | memoryview, delimiter: bytes) -> bool:
    """Whether ``view + delimiter`` holds the delimiter before ``len(view)``."""
    overlap = len(delimiter) - 1
    if not overlap:
        return False
    tail = view[max(0, len(view) - overlap) :]
    tail = (tail if type(tail) is bytes else bytes(tail)) + delimiter
    return tail.find(delimiter) != len(tail) - len(delimiter)


class DelimitedDecoder(Decoder):
    """Frames that end with a delimiter; a bad frame is reported once, then skipped.

    Subclasses change how a frame's bytes become a payload (``_complete``)
    and, when escapes make the wire longer than the payload, how many payload
    bytes an unfinished frame holds at least (``_payload_seen``).
    """

    resynchronises = True

    def __init__(self, codec: Codec, delimiter: bytes) -> None:
        super().__init__(codec)
        self._delimiter = delimiter
        self._max_length = codec.max_length
        self._skipping = False  # discarding the rest of a too-large frame
        self._terminator = delimiter  # what ends each message of the current batch
        self._native = compiled.enabled()  # batches are split by the compiled core

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload; a too-large frame is reported once, then skipped."""
        delimiter = self._delimiter
        while True:
            if self._skipping and not self._skip():
                return None
            end = buffer.find(delimiter)
            if end < 0:
                buffered = len(buffer)
                if buffered <= self._max_length and (
                    buffered < LONG_DELIMITED_FRAME or buffer.collecting
                ):
                    return None  # nothing to decide: the usual case, kept cheap
                seen = self._payload_seen(buffered)
                if seen >= LONG_DELIMITED_FRAME and buffered <= self._max_length:
                    # Join its chunks once, when it ends (a frame already
                    # longer on the wire is measured as it grows instead).
                    buffer._collect_until(delimiter, self._max_length)
                if seen > self._max_length:
                    # Drop what is buffered of the frame now: the caller may
                    # feed another chunk before asking again.
                    self._skipping = True
                    self._skip()
                    raise FrameTooLarge(seen, self._max_length)
                return None
            try:
                frame = self._complete(end)
            finally:
                self.reset_frame()
            if frame is not None:
                return frame

    def _take_batch(self) -> list[bytes]:
        buffer = self._buffer
        if self._skipping or not buffer._has_frames(self._delimiter):
            return []
        terminator = self._batch_terminator()
        if terminator is None:
            return []
        payloads = buffer._take_delimited(terminator, self._max_length, self._native)
        self._terminator = terminator
        self._batch_overhead = len(terminator)
        # What is left holds no delimiter, unless a too-long frame stopped the
        # batch (then it is longer than max_length): if long, it is the start of a long frame.
        if LONG_DELIMITED_FRAME <= len(buffer) <= self._max_length and not self._eof:
            # The start of a long frame: keep the chunks that follow uncopied.
            buffer._collect_until(self._delimiter, self._max_length)
        return payloads

    def _batch_terminator(self) -> bytes | None:
        """What ends every frame buffered, for a batch to split at; None: frame by frame.

        None leaves the frames to ``decode()``, one by one: for styles whose
        frames are transformed, and for streams a single split cannot cut.
        """
        return self._delimiter

    def _rebuild_wire(self, messages: list[bytes]) -> bytes:
        terminator = self._terminator
        return terminator.join(messages) + terminator

    def _skip(self) -> bool:
        """Discard the too-large frame up to its delimiter; whether that is done."""
        buffer = self._buffer
        delimiter = self._delimiter
        end = buffer.find(delimiter)
        if end < 0:
            buffer.skip(max(0, len(buffer) - len(delimiter) + 1))
            return False
        buffer.skip(end + len(delimiter))
        self.reset_frame()
        return True

    def _complete(self, end: int) -> bytes | None:
        """Consume the frame whose delimiter starts at ``end``; its payload, None to drop it."""
        buffer = self._buffer
        if end > self._max_length:
            buffer.skip(end + len(self._delimiter))
            raise FrameTooLarge(end, self._max_length)
        payload = buffer.take(end)
        buffer.skip(len(self._delimiter))
        return payload

    def _payload_seen(self, end: int) -> int:
        """Payload bytes that the first ``end`` buffered bytes (no delimiter among them) hold."""
        # Only a tail that is the start of the delimiter may turn out not to be payload.
        buffer, delimiter = self._buffer, self._delimiter
        for size in range(min(len(delimiter) - 1, end), 0, -1):
            start = end - size
            if all(buffer.byte_at(start + i) == delimiter[i] for i in range(size)):
                return start
        return end

    def detach(self) -> bytes:
        """The buffered bytes after the frame being skipped, if any (they are no message)."""
        if self._skipping and self._error is None:
            self._skip()  # up to its delimiter; if none came yet, the next decoder starts mid-frame
        return super().detach()

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """The end of a skipped frame is no error; any other unterminated frame is."""
        if self._skipping:
            buffer.skip(len(buffer))
            self.reset_frame()
            return None
        return super().decode_eof(buffer)

    def reset_frame(self) -> None:
        """Stop skipping a too-large frame."""
        self._skipping = False


class AnyDelimiterDecoder(Decoder):
    """Frames that end with any of several delimiters: the earliest, the longest at one byte.

    Each delimiter has its own resumed search: where it next occurs, once
    found, or how far from the read offset it surely does not start. So each
    chunk is searched once per delimiter (``count`` over the new bytes, then
    ``find`` when one is there), and many frames in one chunk cost one search
    per delimiter occurrence: decoding stays linear in the bytes received
    however they are cut. A frame that a longer delimiter may still end
    earlier, or at the same byte, waits for more bytes or EOF. A too-large
    frame is reported once, then skipped up to its delimiter.
    """

    resynchronises = True

    def __init__(
        self,
        codec: Codec,
        delimiters: tuple[bytes, ...],
        *,
        keep_delimiter: bool = False,
        report_delimiter: bool = False,
    ) -> None:
        super().__init__(codec)
        self._delimiters = delimiters
        self._max_length = codec.max_length
        self._keep = keep_delimiter  # messages end with their delimiter
        self._report = report_delimiter  # messages are DelimitedFrames
        self._longest = max(map(len, delimiters))
        # Proper prefixes of the delimiters: a buffer that ends in one may
        # still see a delimiter complete there.
        self._starts = frozenset(
            delimiter[:size] for delimiter in delimiters for size in range(1, len(delimiter))
        )
        self._skipping = False  # discarding the rest of a too-large frame
        self._terminator = delimiters[0]  # what ends each message of the current batch
        # Per delimiter, from the read offset: where it first occurs (-1: not
        # found), and if not found, how many positions surely do not start it.
        self._at = [-1] * len(delimiters)
        self._clear = [0] * len(delimiters)

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload; a too-large frame is reported once, then skipped."""
        while True:
            decided = self._frame_end(buffer)
            if decided is None:
                return None
            end, delimiter = decided
            length = end + len(delimiter)
            if self._skipping:
                self._skip(length)
                self._skipping = False
                continue
            if end > self._max_length:
                self._skip(length)
                raise FrameTooLarge(end, self._max_length)
            if self._keep:
                frame = buffer.take(length)
            else:
                frame = buffer.take(end)
                buffer.skip(len(delimiter))
            self._consumed(length)
            return DelimitedFrame(frame, delimiter) if self._report else frame

    def _take_batch(self) -> list[bytes]:
        # Every complete frame at once when one delimiter ends them all: no
        # other occurs among them, but for a byte that only occurs inside it
        # (the b"\\r" and b"\\n" of every b"\\r\\n"), and no longer one occurs
        # at all. Streams of mixed delimiters go frame by frame.
        buffer = self._buffer
        size = len(buffer)
        end, delimiter = self._search(buffer, size)
        if end < 0 or self._skipping:
            return []
        pieces = buffer._pieces(delimiter)
        tail = pieces.pop()  # the unfinished frame after the last delimiter
        wire = size - len(tail)  # the bytes of the frames the delimiter ends
        for other in self._delimiters:
            if other == delimiter:
                continue
            if len(other) > 1:  # it may also straddle a frame's end: nowhere, then
                if buffer.count(other):
                    return []
            elif buffer.count(other, 0, wire) != len(pieces) * delimiter.count(other):
                return []
        # A frame whose delimiter starts where a longer one may still begin waits.
        unfinished = -1 if self._eof else self._unfinished(buffer, size, size - 1)
        while pieces and size - len(tail) - len(delimiter) >= unfinished >= 0:
            tail = pieces.pop() + delimiter + tail
        wire = size - len(tail)
        # When the frames all fit together, none can be too long: no need to measure each.
        if not pieces or (
            wire - len(pieces) * len(delimiter) > self._max_length
            and max(map(len, pieces)) > self._max_length
        ):
            return []  # decode() reports a too-long frame, after the frames before it
        buffer.skip(wire)
        self._consumed(wire)
        self._terminator = delimiter
        self._batch_overhead = 0 if self._keep else len(delimiter)
        if self._keep:
            pieces = [piece + delimiter for piece in pieces]
        if self._report:
            return [DelimitedFrame(piece, delimiter) for piece in pieces]
        return pieces

    def _rebuild_wire(self, messages: list[bytes]) -> bytes:
        if self._keep:
            return b"".join(messages)
        terminator = self._terminator
        return terminator.join(messages) + terminator

    def _frame_end(self, buffer: ReceiveBuffer) -> tuple[int, bytes] | None:
        """Where the current frame ends, and with which delimiter; None while undecided.

        Undecided, a too-large frame is reported (and what is surely part of
        a skipped frame is dropped).
        """
        size = len(buffer)
        end, delimiter = self._search(buffer, size)
        if end < 0 and size <= self._max_length and not self._skipping:
            return None  # nothing to decide: the usual case, kept cheap
        if end < 0 or (size - end < self._longest and not self._eof):
            # A delimiter may still start at or before ``end`` (if any).
            start = self._unfinished(buffer, size, end if end >= 0 else size - 1)
            if start >= 0 or end < 0:
                self._undecided(start if start >= 0 else size)
                return None
        return end, delimiter

    def _search(self, buffer: ReceiveBuffer, size: int) -> tuple[int, bytes]:
        """The earliest complete delimiter (the longest there) and where it starts; -1 if none."""
        end, found = -1, b""
        at, clear = self._at, self._clear
        for index, delimiter in enumerate(self._delimiters):
            where = at[index]
            if where < 0:
                last = size - len(delimiter) + 1  # positions where it could start, complete
                if clear[index] >= last:
                    continue  # no new position to look at
                if clear[index] and not buffer.count(delimiter, clear[index], size):
                    clear[index] = last  # not in the new bytes: the old ones stay clear
                    continue
                where = buffer.find(delimiter)
                if where < 0:
                    clear[index] = last
                    continue
                at[index] = where
            if end < 0 or where < end or (where == end and len(delimiter) > len(found)):
                end, found = where, delimiter
        return end, found

    def _unfinished(self, buffer: ReceiveBuffer, size: int, upto: int) -> int:
        """The first start, at or before ``upto``, of a delimiter that the next bytes may complete.

        That is where the buffer's last bytes are the start of a delimiter
        (-1 if they are not).
        """
        begin = max(0, size - self._longest + 1)
        if begin > upto:
            return -1
        tail = bytes([buffer.byte_at(index) for index in range(begin, size)])
        starts = self._starts
        for start in range(begin, min(upto, size - 1) + 1):
            if tail[start - begin :] in starts:
                return start
        return -1

    def _undecided(self, seen: int) -> None:
        """The frame is not over, and holds at least ``seen`` payload bytes: check, or skip them."""
        if self._skipping:
            self._skip(seen)  # keep only what may be the start of its delimiter
        elif seen > self._max_length:
            # Drop what is buffered of the frame now: the caller may feed
            # another chunk before asking again.
            self._skipping = True
            self._skip(seen)
            raise FrameTooLarge(seen, self._max_length)

    def _skip(self, size: int) -> None:
        self._buffer.skip(size)
        self._consumed(size)

    def _consumed(self, size: int) -> None:
        """``size`` bytes left the buffer: move each search's findings back by as many."""
        at, clear = self._at, self._clear
        for index, where in enumerate(at):
            if where >= size:
                at[index] = where - size
            elif where >= 0:  # that delimiter went with the frame: look for the next one
                at[index] = -1
                clear[index] = 0
            else:
                clear[index] = max(0, clear[index] - size)

    def detach(self) -> bytes:
        """The buffered bytes after the frame being skipped, if any (they are no message)."""
        if self._skipping and self._error is None:
            decided = self._frame_end(self._buffer)  # drops what is surely part of it
            if decided is not None:  # up to its delimiter; if none came yet, the next
                self._skip(decided[0] + len(decided[1]))  # decoder starts mid-frame
        return super().detach()

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """The end of a skipped frame is no error; any other unterminated frame is."""
        if self._skipping:
            self._skip(len(buffer))
            self._skipping = False
            return None
        return super().decode_eof(buffer)

    def reset_frame(self) -> None:
        """Stop skipping; the buffer was emptied: every search starts afresh."""
        self._skipping = False
        self._at = [-1] * len(self._delimiters)
        self._clear = [0] * len(self._delimiters)
