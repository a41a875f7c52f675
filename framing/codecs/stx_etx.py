r"""STX/ETX framing, as serial devices speak it: STX, the payload with DLE stuffing, ETX.

Two conventions are common; ``STXETX()`` writes and reads the first,
``STXETX(transparent=True)`` the second.

Escaped (the default), as the DLE encoder of the FSFW flight software
framework and its ``dle-encoder`` package write it: STX (02), the payload,
ETX (03). Inside, STX and ETX are sent as DLE (10) and the byte plus 0x40,
DLE as DLE DLE, so that STX and ETX never occur inside a frame::

    PAYLOAD               WIRE
    +----+----+----+      +----+----+-------+-------+----+
    | 41 | 02 | 10 |  --> | 02 | 41 | 10 42 | 10 10 | 03 |
    +----+----+----+      +----+----+-------+-------+----+
                           STX       DLE     DLE     ETX
                                     STX+40  DLE

>>> codec = STXETX()
>>> codec.encode(b"A\x02\x10").hex(" ")
'02 41 10 42 10 10 03'
>>> codec.decode(bytes.fromhex("02 41 10 42 10 10 03"))
[b'A\x02\x10']

Transparent (``transparent=True``), as BISYNC's transparent text mode,
Allen-Bradley's DF1 and the ``dlestxetx`` package write it: DLE STX, the
payload with every DLE doubled, DLE ETX; a lone STX or ETX is payload::

    PAYLOAD               WIRE
    +----+----+----+      +-------+----+----+-------+-------+
    | 41 | 02 | 10 |  --> | 10 02 | 41 | 02 | 10 10 | 10 03 |
    +----+----+----+      +-------+----+----+-------+-------+
                           DLE STX           DLE DLE DLE ETX

>>> STXETX(transparent=True).encode(b"A\x02\x10").hex(" ")
'10 02 41 02 10 10 10 03'

Either way the decoder hunts for the start of a frame (STX, or DLE STX):
bytes outside frames are line noise, skipped without a word. A frame that
a new start interrupts (its end was lost) is ``InvalidFrame``, and the new
frame is decoded; so is a frame with a bad escape (a DLE followed by
anything but the bytes above), once it ends. More than ``max_length``
payload bytes without an end is ``FrameTooLarge`` as soon as they have
arrived; the rest of that frame is skipped. A stream that ends inside a
frame is ``IncompleteFrame``.

No checksum is part of either convention; ``Checksummed(STXETX(),
"crc16-xmodem")`` puts one inside each frame, after the payload and stuffed
with it. (Protocols that send a check *after* ETX, such as DF1's BCC or
CRC, need a codec of their own.)
"""

from __future__ import annotations

import re

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.types import Buffer
from ..errors import FrameTooLarge, InvalidFrame

__all__ = ["STXETX"]

# ASCII control characters.
STX = 0x02  # start of text
ETX = 0x03  # end of text
DLE = 0x10  # data link escape
_STX, _ETX, _DLE = b"\x02", b"\x03", b"\x10"
# Escaped mode: STX and ETX as DLE and the byte plus 0x40 (FSFW's ESCAPE_JUMP).
_SHIFT = 0x40
_UNSTUFFED = {b"\x10": _DLE, bytes([STX + _SHIFT]): _STX, bytes([ETX + _SHIFT]): _ETX}
_ESCAPE_PAIR = re.compile(re.escape(_DLE) + b"(.)", re.DOTALL)
# Transparent mode: the two-byte markers.
_DLE_STX, _DLE_ETX, _DLE_DLE = _DLE + _STX, _DLE + _ETX, _DLE + _DLE

# Precedents as for the other delimited styles (see delimited.py).
DEFAULT_MAX_LENGTH = 65536
# Bytes are searched in blocks of at least this many: a block without the
# byte looked for is passed over with one bytes.count, one with it is
# looked at byte by byte (the first 64 bytes at most, when it is an STX).
_BLOCK = 64


class STXETX(Codec):
    """STX, the DLE-stuffed payload, ETX; or DLE STX ... DLE ETX with ``transparent=True``."""

    max_length: int
    transparent: bool  # DLE STX ... DLE ETX, DLE doubled, instead of STX ... ETX

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH, transparent: bool = False) -> None:
        check_max_length(max_length)
        object.__setattr__(self, "max_length", max_length)
        object.__setattr__(self, "transparent", bool(transparent))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, STXETX)
        return (self.max_length, self.transparent) == (other.max_length, other.transparent)

    def __hash__(self) -> int:
        return hash((type(self), self.max_length, self.transparent))

    def __repr__(self) -> str:
        return f"STXETX(max_length={self.max_length}, transparent={self.transparent})"

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """Start, the stuffed payload, end."""
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        payload = bytes(view).replace(_DLE, _DLE_DLE)
        if self.transparent:
            return (_DLE_STX, payload, _DLE_ETX)
        payload = payload.replace(_STX, bytes([DLE, STX + _SHIFT]))
        return (_STX, payload.replace(_ETX, bytes([DLE, ETX + _SHIFT])), _ETX)

    def decoder(self) -> Decoder:
        """A fresh decoder."""
        if self.transparent:
            return _TransparentDecoder(self)
        return _EscapedDecoder(self)

    @property
    def largest_frame(self) -> int:
        """Every payload byte stuffed (two bytes each), and the start and end."""
        return 2 * self.max_length + (4 if self.transparent else 2)


class _EscapedDecoder(Decoder):
    """STX ... ETX: STX and ETX occur nowhere else, so each is found with one search.

    The frame being decoded starts at the buffer's first byte, its STX.
    Only bytes that arrived since the last step are searched for an STX
    that would interrupt it, and only those are measured.
    """

    resynchronises = True

    def __init__(self, codec: STXETX) -> None:
        super().__init__(codec)
        self._max_length = codec.max_length
        self._searched = 1  # bytes of the frame searched for an interrupting STX
        self._measured = 1  # bytes of the frame whose payload bytes are counted
        self._seen = 0  # payload bytes among them
        self._escape = False  # the last byte measured is a DLE that escapes the next

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload; noise before an STX is skipped."""
        max_length = self._max_length
        while True:
            size = len(buffer)
            if not size:
                return None
            if buffer.byte_at(0) != STX:  # noise, or the rest of a frame too large
                start = buffer.find(_STX)
                if start < 0:
                    buffer.skip(size)
                    return None
                buffer.skip(start)
                self.reset_frame()
                continue
            end = buffer.find(_ETX)
            cut = self._next_start(buffer, size if end < 0 else end)
            if cut:
                seen = self._payload_seen(buffer, cut) if cut > max_length else 0
                buffer.skip(cut)
                self.reset_frame()
                if seen > max_length:
                    raise FrameTooLarge(seen, max_length)
                raise InvalidFrame(
                    f"STX/ETX frame of {cut} bytes interrupted by the STX of the next: "
                    "its ETX was lost"
                )
            if end < 0:
                if size > max_length and self._payload_seen(buffer, size) > max_length:
                    buffer.skip(size)
                    seen = self._seen
                    self.reset_frame()
                    raise FrameTooLarge(seen, max_length)
                return None
            buffer.skip(1)
            stuffed = buffer.take(end - 1)
            buffer.skip(1)
            self.reset_frame()
            payload, valid = _unstuff(stuffed)
            if len(payload) > max_length:
                raise FrameTooLarge(len(payload), max_length)
            if not valid:
                raise InvalidFrame(
                    f"bad escape in STX/ETX frame of {end + 1} bytes: "
                    "DLE must be followed by DLE, 0x42 or 0x43"
                )
            return payload

    def _next_start(self, buffer: ReceiveBuffer, stop: int) -> int:
        """Where an STX interrupts the frame before ``stop``; 0 if none does.

        Searched in blocks that double in size, so that finding an STX costs
        in proportion to how far it is, not to how much is buffered after it
        (a burst of interrupted frames is decoded in linear time).
        """
        start = self._searched
        size = _BLOCK
        while start < stop:
            end = min(stop, start + size)
            if buffer.count(_STX, start, end):
                while end - start > _BLOCK:  # halve the block holding it
                    middle = (start + end) // 2
                    if buffer.count(_STX, start, middle):
                        end = middle
                    else:
                        start = middle
                while buffer.byte_at(start) != STX:
                    start += 1
                return start
            start = end
            size *= 2
        self._searched = max(self._searched, stop)
        return 0

    def _payload_seen(self, buffer: ReceiveBuffer, end: int) -> int:
        """Payload bytes in the frame's first ``end`` bytes (after its STX), counted once.

        Each escape is a DLE and the byte after it: in a run of k DLEs,
        ceil(k / 2) escape (pairs from its start, the last one perhaps the byte
        after the run). Runs are split by other bytes, so the escapes are
        ``count(DLE) - count(DLE DLE)``; only a run at the end is walked, for
        whether its last DLE still waits for the byte it escapes.
        """
        start = self._measured
        if start < end and self._escape:  # the byte escaped by the DLE before it
            self._escape = False
            self._seen += 1
            start += 1
        if start < end:
            escapes = buffer.count(_DLE, start, end) - buffer.count(_DLE + _DLE, start, end)
            self._seen += end - start - escapes
            run = end
            while run > start and buffer.byte_at(run - 1) == DLE:
                run -= 1
            self._escape = (end - run) % 2 == 1
        self._measured = max(self._measured, end)
        return self._seen

    def reset_frame(self) -> None:
        """Forget what was searched and measured of the frame."""
        self._searched = self._measured = 1
        self._seen = 0
        self._escape = False


def _unstuff(stuffed: bytes) -> tuple[bytes, bool]:
    """The payload of an escaped frame's stuffed bytes, and whether every escape was valid.

    A bad escape stands for the byte after its DLE, and a DLE with nothing
    after it for nothing: the payload is as long as ``_payload_seen`` counts.
    """
    if DLE not in stuffed:
        return stuffed, True
    pieces = _ESCAPE_PAIR.split(stuffed)  # bytes, escaped byte, bytes, ..., bytes
    escaped = pieces[1::2]
    valid = all(byte in _UNSTUFFED for byte in escaped)
    pieces[1::2] = [_UNSTUFFED.get(byte, byte) for byte in escaped]
    if pieces[-1].endswith(_DLE):  # a DLE right before the ETX
        pieces[-1] = pieces[-1][:-1]
        valid = False
    return b"".join(pieces), valid


# What _TransparentDecoder._scan finds.
_NOTHING, _END, _START, _TOO_LARGE = range(4)


class _TransparentDecoder(Decoder):
    """DLE STX ... DLE ETX: a DLE's meaning depends on the DLEs before it, so bytes are scanned.

    Scanning is resumed where it stopped, and a block of bytes with no DLE
    is passed over with one ``count``. While hunting for DLE STX and while
    skipping a frame too large, the bytes are consumed as they are scanned
    (but a DLE that may begin a marker is kept).
    """

    resynchronises = True

    def __init__(self, codec: STXETX) -> None:
        super().__init__(codec)
        self._max_length = codec.max_length
        self._in_frame = False  # a frame starts at the buffer's first byte (its DLE STX)
        self._skipping = False  # the bytes are the rest of a frame too large
        self._scanned = 0  # bytes of the buffer scanned
        self._escape = False  # the last byte scanned is a DLE that escapes the next
        self._seen = 0  # payload bytes of the frame scanned
        self._bad = False  # the frame holds a bad escape
        # Whether _whole_frame may look for the frame's end: not again before
        # the end it failed on is passed (else each DLE STX before it would
        # cost a copy of the bytes up to it).
        self._whole = True

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload; noise before DLE STX is skipped."""
        while True:
            if not (self._in_frame or self._skipping):
                start = buffer.find(_DLE_STX)
                if start < 0:
                    size = len(buffer)
                    if size and buffer.byte_at(size - 1) == DLE:
                        size -= 1  # keep it: it may begin DLE STX
                    buffer.skip(size)
                    return None
                buffer.skip(start)
                self._begin()
            if self._scanned == 2 and self._whole:  # nothing scanned yet: all of it may be here
                payload = self._whole_frame(buffer)
                if payload is not None:
                    return payload
            found, at = self._scan(buffer)
            if found == _NOTHING:
                if self._skipping:
                    size = len(buffer)
                    if self._escape:  # keep it: it may begin DLE STX or DLE ETX
                        size -= 1
                        self._escape = False
                    buffer.skip(size)
                    self._scanned = 0
                return None
            if found == _TOO_LARGE:
                buffer.skip(at)
                seen = self._seen
                self.reset_frame()
                self._skipping = True
                raise FrameTooLarge(seen, self._max_length)
            if found == _START:  # DLE STX at ``at``
                bad_frame = self._in_frame
                buffer.skip(at)
                self._begin()
                if bad_frame:
                    raise InvalidFrame(
                        f"STX/ETX frame of {at} bytes interrupted by the DLE STX of the next: "
                        "its DLE ETX was lost"
                    )
                continue
            # DLE ETX ends the frame at ``at``.
            self._whole = True
            if self._skipping or self._bad:
                bad_frame = not self._skipping  # a frame too large was reported already
                buffer.skip(at)
                self.reset_frame()
                if bad_frame:
                    raise InvalidFrame(
                        f"bad escape in STX/ETX frame of {at} bytes: "
                        "DLE must be followed by DLE, STX or ETX"
                    )
                continue
            buffer.skip(2)
            stuffed = buffer.take(at - 4)
            buffer.skip(2)
            self.reset_frame()
            return stuffed.replace(_DLE_DLE, _DLE)

    def _whole_frame(self, buffer: ReceiveBuffer) -> bytes | None:
        """The payload of a whole frame whose every DLE is doubled (the usual case), found at once.

        None when its end has not arrived, or when it holds any other DLE
        (a bad escape, a DLE STX, a DLE DLE ETX that is no end): then it is scanned.
        """
        end = buffer.find(_DLE_ETX)
        if end < 0:
            return None
        stuffed = buffer.peek(end)[2:]
        if stuffed.count(_DLE) != 2 * stuffed.count(_DLE_DLE):
            self._whole = False
            return None
        buffer.skip(end + 2)
        self.reset_frame()
        payload = stuffed.replace(_DLE_DLE, _DLE)
        if len(payload) > self._max_length:
            raise FrameTooLarge(len(payload), self._max_length)
        return payload

    def _begin(self) -> None:
        """A frame starts at the buffer's first byte, its DLE STX."""
        self.reset_frame()
        self._in_frame = True
        self._scanned = 2

    def _scan(self, buffer: ReceiveBuffer) -> tuple[int, int]:
        """Scan the bytes not scanned yet: what was found, and where it ends (or begins)."""
        size = len(buffer)
        index = self._scanned
        counting = self._in_frame
        max_length = self._max_length
        while index < size:
            block = min(size, index + _BLOCK)
            if (
                not self._escape
                and not buffer.count(_DLE, index, block)
                and self._seen + (block - index) * counting <= max_length
            ):
                self._seen += (block - index) * counting
                index = block
                continue
            while index < block:
                byte = buffer.byte_at(index)
                index += 1
                if self._escape:
                    self._escape = False
                    if byte == ETX:
                        self._scanned = index
                        return _END, index
                    if byte == STX:
                        self._scanned = index
                        return _START, index - 2
                    if byte != DLE:
                        self._bad = True
                elif byte == DLE:
                    self._escape = True
                    continue
                if counting:
                    self._seen += 1
                    if self._seen > max_length:
                        self._scanned = index
                        return _TOO_LARGE, index
        self._scanned = size
        return _NOTHING, size

    def detach(self) -> bytes:
        """The buffered bytes after the frame being skipped, if any (they are no message)."""
        skipping = self._skipping
        data = super().detach()
        return _after_skipped(data) if skipping else data

    def reset_frame(self) -> None:
        """Back to hunting for DLE STX."""
        self._in_frame = self._skipping = self._escape = self._bad = False
        self._scanned = self._seen = 0


def _after_skipped(data: bytes) -> bytes:
    """What follows the end (DLE ETX) of the skipped frame ``data`` begins in, from DLE STX on."""
    index = data.find(_DLE)
    while 0 <= index < len(data) - 1:
        after = data[index + 1]
        if after == ETX:
            return data[index + 2 :]
        if after == STX:
            return data[index:]
        index = data.find(_DLE, index + 2)
    return data[index:] if index >= 0 else b""
