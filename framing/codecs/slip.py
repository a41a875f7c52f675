"""SLIP framing (RFC 1055): payload with END and ESC bytes escaped, ended by END.

::

    PAYLOAD            INPUT (wire)                       DECODED
    +----+----+----+   +----+----+----+----+----+----+   +----+----+----+
    | 01 | C0 | DB |   | C0 | 01 | DB DC   | DB DD   | C0 |   | 01 | C0 | DB |
    +----+----+----+   +----+----+---------+---------+----+   +----+----+----+
                        END       ESC ESC_END ESC ESC_ESC END

>>> codec = SLIP()
>>> codec.encode(b"\\x01\\xc0\\xdb").hex(" ")
'c0 01 db dc db dd c0'
>>> codec.decode(b"\\xc0\\x01\\xdb\\xdc\\xdb\\xdd\\xc0")
[b'\\x01\\xc0\\xdb']

Like RFC 1055's ``send_packet``, ``encode`` sends an END first to flush any
line noise the receiver holds (``leading_end=False`` leaves it out), and, like
its ``recv_packet``, the decoder drops empty packets, so an empty message
cannot be sent (``EncodeError``). An ESC followed by anything but ESC_END or
ESC_ESC is ``InvalidFrame``; the packet is skipped and decoding goes on.
"""

from __future__ import annotations

from ..core.codec import Codec, as_view, check_max_length, check_payload_length
from ..core.frozen import Frozen
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge, InvalidFrame
from .delimited import DEFAULT_MAX_LENGTH, DelimitedDecoder

__all__ = ["SLIP"]

# RFC 1055, "SLIP DRIVERS": the special characters, in octal there.
END = b"\xc0"  # 0300: end of packet
ESC = b"\xdb"  # 0333: byte stuffing
ESC_END = b"\xdb\xdc"  # ESC 0334: END data byte
ESC_ESC = b"\xdb\xdd"  # ESC 0335: ESC data byte


class SLIP(Frozen, Codec):
    """RFC 1055 packets: the payload with END and ESC escaped, between END bytes.

    ``b"hello"`` goes out as ``c0 68 65 6c 6c 6f c0``. Options:

    - ``max_length`` (default 65536): the longest payload, unescaped; a
      longer packet is ``FrameTooLarge`` as soon as that many payload bytes
      have arrived, then skipped.
    - ``leading_end`` (default ``True``): ``encode`` sends an END first, as
      RFC 1055's ``send_packet`` does, to flush any line noise the receiver
      holds; ``False`` leaves it out.

    The decoder drops empty packets, as RFC 1055's ``recv_packet`` does, so
    an empty message cannot be sent (``EncodeError``). An ESC followed by
    anything but ESC_END or ESC_ESC is ``InvalidFrame``; the packet is
    skipped and decoding goes on.
    """

    _fields = ("max_length", "leading_end")
    max_length: int
    leading_end: bool

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH, leading_end: bool = True) -> None:
        check_max_length(max_length)
        self._set(max_length=max_length, leading_end=leading_end)

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """END, the escaped payload, END; ``EncodeError`` for an empty message."""
        view = as_view(message)
        if not len(view):
            raise EncodeError("SLIP cannot frame an empty message: receivers drop empty packets")
        check_payload_length(len(view), self.max_length)
        escaped = bytes(view).replace(ESC, ESC_ESC).replace(END, ESC_END)
        return (END, escaped, END) if self.leading_end else (escaped, END)

    def decoder(self) -> SLIPDecoder:
        """A fresh decoder."""
        return SLIPDecoder(self)

    @property
    def largest_frame(self) -> int:
        """Every byte escaped (two bytes each), between two ENDs."""
        return 2 * self.max_length + 2


class SLIPDecoder(DelimitedDecoder):
    """Splits at END, drops empty packets and unescapes the others."""

    def __init__(self, codec: SLIP) -> None:
        super().__init__(codec, END)
        self._counted_to = 0  # buffered bytes of the frame already counted for escapes
        self._escapes = 0  # valid escape pairs among them, one payload byte per two wire bytes

    def _complete(self, end: int) -> bytes | None:
        buffer = self._buffer
        if not end:
            buffer.skip(1)
            return None
        # A payload is never longer than its escaped form, nor shorter than
        # that less one byte per ESC: only a frame too long even so is
        # measured exactly (its escape pairs counted) without being taken.
        if end > self._max_length and end - buffer.count(ESC, 0, end) > self._max_length:
            length = self._payload_seen(end)
            if length > self._max_length:
                buffer.skip(end + 1)
                raise FrameTooLarge(length, self._max_length)
        escaped = buffer.take(end)
        buffer.skip(1)
        if ESC not in escaped:
            return escaped
        payload = escaped.replace(ESC_END, END).replace(ESC_ESC, ESC)
        if len(payload) > self._max_length:
            raise FrameTooLarge(len(payload), self._max_length)
        # Each replacement shortened the frame by one byte, and every ESC must
        # have begun one of the two pairs (which cannot overlap).
        if escaped.count(ESC) != len(escaped) - len(payload):
            raise InvalidFrame(
                f"bad escape in SLIP packet of {end} bytes: ESC must be followed by "
                "ESC_END (0xDC) or ESC_ESC (0xDD)"
            )
        return payload

    def _batch_terminator(self) -> bytes | None:
        return None  # each frame is unstuffed and checked on its own: frame by frame

    def _payload_seen(self, end: int) -> int:
        # Count escape pairs incrementally, backing up one byte for a pair split
        # across chunks (a pair ending before _counted_to was counted already).
        buffer = self._buffer
        begin = max(0, self._counted_to - 1)
        self._escapes += buffer.count(ESC_END, begin, end) + buffer.count(ESC_ESC, begin, end)
        self._counted_to = end
        return end - self._escapes

    def reset_frame(self) -> None:
        """Forget how far the frame was measured."""
        super().reset_frame()
        self._counted_to = 0
        self._escapes = 0
