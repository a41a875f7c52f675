r"""HDLC-like framing (RFC 1662, section 4: PPP's octet-stuffed framing), with its FCS.

Every frame begins and ends with the flag 0x7E. Between the flags go the
payload and its Frame Check Sequence, with every 0x7E, 0x7D and control
character of the ACCM sent as 0x7D and the byte XOR 0x20::

    PAYLOAD                 WIRE (FCS-16, default ACCM)
    +----+----+----+----+   +----+----+-------+-------+----+-------+----+
    | ff | 03 | 7e | 41 |   | 7e | ff | 7d 23 | 7d 5e | 41 | 31 ef | 7e |
    +----+----+----+----+   +----+----+-------+-------+----+-------+----+
                             flag      03      7e            FCS-16  flag
                                       escaped escaped       LSB first

>>> codec = HDLC()
>>> codec.encode(b"\xff\x03\x7eA").hex(" ")
'7e ff 7d 23 7d 5e 41 31 ef 7e'
>>> codec.decode(bytes.fromhex("7e ff 7d 23 7d 5e 41 31 ef 7e 7e"))
[b'\xff\x03~A']

The rules, section by section of RFC 1662:

- 4.1, flags: a flag may end one frame and begin the next; two flags in a
  row make an empty frame, silently discarded (so is the inter-frame fill
  of repeated flags). ``encode`` writes both flags of each frame, or, with
  ``leading_flag=False``, only the closing one ("only one Flag Sequence is
  required between two frames"), for back-to-back frames.
- 4.2, transparency: ``encode`` escapes 0x7D, 0x7E and each control
  character (0x00-0x1F) whose bit is set in ``accm`` (bit 0 is 0x00; the
  RFC's default, all ones, escapes all 32; ``accm=0`` escapes only 0x7D and
  0x7E). On receipt, control characters of the ACCM that arrive unescaped
  are removed first ("it may have been inserted by intervening data
  communications equipment"), then each 0x7D is removed and the byte after
  it XORed with 0x20, whatever that byte is.
- 4.3, invalid frames, silently discarded: a frame that ends with 0x7D
  right before its closing flag (the abort sequence 7D 7E), and frames "too
  short (less than 4 octets when using the 16-bit FCS)": two octets before
  the FCS at least, the rule kept for FCS-32 (6 octets) and for no FCS (2
  octets). ``encode`` refuses such payloads (``EncodeError``).
- Appendix C, the FCS: ``fcs=16`` is FCS-16 (CRC-16/X-25), ``fcs=32`` is
  FCS-32 (CRC-32), computed over the unescaped payload, sent least
  significant octet first and escaped with the payload; ``fcs=None`` sends
  none (RFC 1570's "null FCS"). A bad FCS is ``ChecksumMismatch`` (an
  ``InvalidFrame``): the RFC discards the frame and counts an FCS error, so
  the error is raised and decoding goes on with the next frame.

The FCS is ``Checksummed``'s: ``HDLC(fcs=16)`` is ``Checksummed`` around
the octet stuffing, with ``"crc16-x25"`` written little-endian (and needs
no extra package). The payload is everything the FCS covers: Address,
Control, Protocol, Information and Padding fields, as they are; this codec
does not interpret them (nor compress them: ACFC and PFC are the
caller's). ``max_length`` counts those bytes (default 65536; PPP's default
MRU, 1500 bytes of Information, makes 1504 with Address, Control and a
two-byte Protocol). A frame with more is ``FrameTooLarge`` as soon as that
many have arrived, also if it holds more than twice that many wire bytes
(unescaped control characters never count as payload, but they do take
memory); it is skipped up to its closing flag. Bit-synchronous HDLC (bit
stuffing) is not an octet framing and is not covered.
"""

from __future__ import annotations

import re
from typing import Literal

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge
from .checksummed import ChecksumAlgorithm, Checksummed

__all__ = ["DEFAULT_ACCM", "HDLC"]

# RFC 1662, 4.1 and 4.2.
FLAG = b"\x7e"  # Flag Sequence: begins and ends every frame
ESCAPE = b"\x7d"  # Control Escape: the next byte is XORed with 0x20
FLIP = 0x20
#: The Async-Control-Character-Map until LCP negotiates another: all 32 control characters.
DEFAULT_ACCM = 0xFFFFFFFF
# 4.3: "less than 4 octets when using the 16-bit FCS" are too short: two before the FCS.
MIN_PAYLOAD = 2
# Precedents as for the other delimited styles (see delimited.py).
DEFAULT_MAX_LENGTH = 65536

FCS = Literal[16, 32]


def _no_fcs(data: Buffer) -> int:
    return 0


_FCS_ALGORITHMS: dict[int | None, ChecksumAlgorithm] = {
    16: ChecksumAlgorithm.named("crc16-x25"),  # Appendix C.2, FCS-16
    32: ChecksumAlgorithm.named("crc32"),  # Appendix C.3, FCS-32
    None: ChecksumAlgorithm("none", 0, _no_fcs),
}

_ESCAPED = {bytes([byte]): ESCAPE + bytes([byte ^ FLIP]) for byte in range(256)}
_UNESCAPED = {bytes([byte ^ FLIP]): bytes([byte]) for byte in range(256)}
_ESCAPE_PAIR = re.compile(re.escape(ESCAPE) + b"(.)", re.DOTALL)


class HDLC(Checksummed):
    """RFC 1662 frames: 0x7E, the escaped payload and FCS (LSB first), 0x7E."""

    fcs: FCS | None  # 16, 32 or None: the size in bits of the Frame Check Sequence
    accm: int  # the control characters (bit n: character n) escaped on the wire
    leading_flag: bool  # each frame begins with a flag of its own

    def __init__(
        self,
        *,
        fcs: FCS | None = 16,
        accm: int = DEFAULT_ACCM,
        max_length: int = DEFAULT_MAX_LENGTH,
        leading_flag: bool = True,
    ) -> None:
        if fcs not in _FCS_ALGORITHMS or isinstance(fcs, bool):
            raise ValueError(f"fcs must be 16, 32 or None, not {fcs!r}")
        if isinstance(accm, bool) or not isinstance(accm, int) or not 0 <= accm <= 0xFFFFFFFF:
            raise ValueError(f"accm must be a 32-bit map of control characters, not {accm!r}")
        check_max_length(max_length)
        algorithm = _FCS_ALGORITHMS[fcs]
        leading_flag = bool(leading_flag)
        octets = _Octets(accm, max_length + algorithm.size, algorithm.size, leading_flag)
        super().__init__(octets, algorithm, byteorder="little")
        object.__setattr__(self, "fcs", fcs)
        object.__setattr__(self, "accm", accm)
        object.__setattr__(self, "leading_flag", leading_flag)

    def __repr__(self) -> str:
        return (
            f"HDLC(fcs={self.fcs!r}, accm=0x{self.accm:08x}, max_length={self.max_length}, "
            f"leading_flag={self.leading_flag})"
        )


class _Octets(Codec):
    """Octet-stuffed frames between flags, FCS included (``HDLC`` checks it)."""

    def __init__(self, accm: int, max_length: int, fcs_size: int, leading_flag: bool) -> None:
        self.accm = accm
        self.max_length = max_length  # payload and FCS
        self.fcs_size = fcs_size
        self.leading_flag = leading_flag
        self.min_length = MIN_PAYLOAD + fcs_size
        controls = bytes(byte for byte in range(32) if accm >> byte & 1)
        self.controls = controls  # removed when they arrive unescaped
        escaped = b"".join(b"\\x%02x" % byte for byte in FLAG + ESCAPE + controls)
        self.escapes = re.compile(b"([" + escaped + b"])")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Octets):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[int, int, int, bool]:
        return (self.accm, self.max_length, self.fcs_size, self.leading_flag)

    def __repr__(self) -> str:
        return f"<HDLC octet stuffing, accm=0x{self.accm:08x}, max_length={self.max_length}>"

    def encode_parts(self, message: Buffer) -> tuple[Buffer, ...]:
        """Flag (unless left out), the escaped payload and FCS, flag."""
        view = as_view(message)
        check_payload_length(len(view), self.max_length)
        if len(view) < self.min_length:
            raise EncodeError(
                f"a payload of {len(view) - self.fcs_size} bytes is too short for HDLC: "
                f"RFC 1662 (4.3) discards frames of less than {MIN_PAYLOAD} octets before the FCS"
            )
        pieces = self.escapes.split(bytes(view))
        pieces[1::2] = [_ESCAPED[byte] for byte in pieces[1::2]]
        escaped = b"".join(pieces)
        return (FLAG, escaped, FLAG) if self.leading_flag else (escaped, FLAG)

    def decoder(self) -> _OctetsDecoder:
        """A fresh decoder."""
        return _OctetsDecoder(self)

    @property
    def largest_frame(self) -> int:
        """Every byte escaped (two bytes each), between two flags."""
        return 2 * self.max_length + 2


class _OctetsDecoder(Decoder):
    """Splits at flags, removes the ACCM's control characters, unescapes; drops what 4.3 says."""

    resynchronises = True

    def __init__(self, codec: _Octets) -> None:
        super().__init__(codec)
        self._max_length = codec.max_length
        self._min_length = codec.min_length
        self._controls = codec.controls
        self._controls_list = [bytes([byte]) for byte in codec.controls]
        # The most wire bytes a frame's payload and FCS take, every one escaped.
        self._wire_limit = 2 * codec.max_length
        self._skipping = False  # discarding a too-large frame up to its closing flag
        self._measured = 0  # bytes of the unfinished frame whose payload bytes are counted
        self._seen = 0  # payload bytes among them, at least

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next frame's payload and FCS; empty, aborted and short frames are skipped."""
        while True:
            if self._skipping:
                end = buffer.find(FLAG)
                if end < 0:
                    buffer.skip(len(buffer))
                    return None
                buffer.skip(end + 1)
                self._skipping = False
            end = buffer.find(FLAG)
            if end < 0:
                if len(buffer) > self._max_length:  # it may hold too many payload bytes
                    seen = self._payload_seen(buffer)
                    if seen > self._max_length or len(buffer) > self._wire_limit:
                        buffer.skip(len(buffer))
                        self.reset_frame()
                        self._skipping = True
                        raise FrameTooLarge(seen, self._max_length)
                return None
            self._measured = self._seen = 0
            escaped = buffer.take(end)
            buffer.skip(1)
            if not escaped:
                continue  # 4.1: an empty frame
            frame, aborted = self._unescape(escaped)
            if len(frame) > self._max_length or end > self._wire_limit:
                raise FrameTooLarge(len(frame), self._max_length)
            if aborted or len(frame) < self._min_length:
                continue  # 4.3: silently discarded
            return frame

    def _unescape(self, escaped: bytes) -> tuple[bytes, bool]:
        """The frame's bytes, and whether it ended with the abort sequence."""
        if self._controls:
            escaped = escaped.translate(None, self._controls)
        if ESCAPE[0] not in escaped:
            return escaped, False
        # [bytes, escaped byte, bytes, escaped byte, ..., bytes]; a 0x7D with
        # no byte after it can only be the very last.
        pieces = _ESCAPE_PAIR.split(escaped)
        pieces[1::2] = [_UNESCAPED[byte] for byte in pieces[1::2]]
        aborted = pieces[-1].endswith(ESCAPE)
        if aborted:
            pieces[-1] = pieces[-1][:-1]
        return b"".join(pieces), aborted

    def _payload_seen(self, buffer: ReceiveBuffer) -> int:
        """Payload bytes of the unfinished frame, at least: counted once, as they arrive.

        Every byte but the control characters of the ACCM and the escapes,
        counting each 0x7D as an escape (a lower bound, exact for frames a
        sender escaped as the RFC says): never more than the frame holds,
        so a frame within the limit is never refused.
        """
        end = len(buffer)
        start = self._measured
        seen = end - start - buffer.count(ESCAPE, start, end)
        for control in self._controls_list:
            seen -= buffer.count(control, start, end)
        self._seen += seen
        self._measured = end
        return self._seen

    def detach(self) -> bytes:
        """The buffered bytes after the frame being skipped, if any (they are no message)."""
        skipping = self._skipping
        data = super().detach()
        if skipping:
            end = data.find(FLAG)
            data = data[end + 1 :] if end >= 0 else b""
        return data

    def reset_frame(self) -> None:
        """Forget the frame being measured or skipped."""
        self._skipping = False
        self._measured = self._seen = 0
