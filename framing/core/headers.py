"""Length-header layouts for ``LengthPrefixed``: parse one from the buffer, build one.

Every layout answers the same two questions:

- ``parse(buffer)``: ``None`` while the header is incomplete, else
  ``(header_size, declared_length, fields)``; ``InvalidFrame`` if malformed.
- ``build(length, fields)``: the header bytes for a declared length.

A plain integer header decodes with a precompiled ``struct.Struct`` (or
``int.from_bytes`` for odd widths); construct is used only to *declare*
layouts, and to parse the ``Struct`` headers that carry more than a length
(``framing.core.construct_headers``, imported only for a construct header).
"""

from __future__ import annotations

import re
import struct
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidFrame
from .buffer import ReceiveBuffer
from .frozen import Frozen

__all__ = [
    "BytesIntegerLayout",
    "HeaderLayout",
    "Parsed",
    "StructLayout",
    "Varint",
    "VarintLayout",
    "check_not_negative",
    "layout_for",
]

Parsed = tuple[int, int, "dict[str, Any] | None"]

_INTEGER_FORMAT = re.compile(r"[@=<>!]?[bBhHiIlLqQnN]")
VARINT_MAX_BYTES = 10  # 64 bits, 7 per byte
VARINT_MAX_VALUE = 2**64 - 1


class HeaderLayout(ABC):
    """How a length (and maybe other fields) is laid out in front of the payload."""

    size: int | None = None  # fixed header size, None when it varies
    max_size: int = 0  # the longest header accepted on the wire
    max_value: int = 0  # the largest length the header can express
    has_fields = False  # whether frames carry fields besides the length

    @abstractmethod
    def parse(self, buffer: ReceiveBuffer) -> Parsed | None:
        """The header at the start of ``buffer``, or None if it is not all there."""

    @abstractmethod
    def build(self, length: int, fields: Mapping[str, Any]) -> bytes:
        """The header bytes declaring ``length``."""

    def header_size(self, length: int) -> int:
        """The size of the header that declares ``length``."""
        assert self.size is not None
        return self.size


class StructLayout(HeaderLayout):
    """A one-integer ``struct`` format: ``"!I"``, ``">H"``, ``"<q"``, ``"B"``, ..."""

    def __init__(self, format: str) -> None:
        if not _INTEGER_FORMAT.fullmatch(format):
            raise ValueError(
                f"header format {format!r} is not one struct integer such as '!I', '>H' or 'B'"
            )
        try:
            self.struct = self._struct = struct.Struct(format)
        except struct.error as error:  # "<n": size_t exists only in native mode
            raise ValueError(f"header format {format!r} is not a struct format: {error}") from None
        self.size = self.max_size = self._struct.size
        signed = format[-1].islower()
        self.max_value = 2 ** (8 * self.size - signed) - 1

    def parse(self, buffer: ReceiveBuffer) -> Parsed | None:
        if len(buffer) < self._struct.size:
            return None
        (length,) = buffer.unpack(self._struct)
        return self._struct.size, check_not_negative(length), None

    def build(self, length: int, fields: Mapping[str, Any]) -> bytes:
        return self._struct.pack(length)


class BytesIntegerLayout(HeaderLayout):
    """An integer of any byte width, such as construct's ``Int24ub``."""

    def __init__(self, size: int, *, signed: bool, little: bool) -> None:
        self.size = self.max_size = size
        self._signed = signed
        self._order: Any = "little" if little else "big"
        self.max_value = 2 ** (8 * size - signed) - 1

    def parse(self, buffer: ReceiveBuffer) -> Parsed | None:
        assert self.size is not None
        if len(buffer) < self.size:
            return None
        length = int.from_bytes(buffer.peek(self.size), self._order, signed=self._signed)
        return self.size, check_not_negative(length), None

    def build(self, length: int, fields: Mapping[str, Any]) -> bytes:
        assert self.size is not None
        return length.to_bytes(self.size, self._order, signed=self._signed)


class Varint(Frozen):
    """A varint length header: unsigned LEB128, 7 bits a byte, low bits first.

    ``Varint()`` is protobuf's (what ``"varint"`` names): up to 10 bytes, an
    overlong form such as ``80 00`` for 0 accepted. ``minimal=True`` refuses
    overlong forms and ``max_bytes`` caps the length, both with
    ``InvalidFrame``: ``Varint(minimal=True, max_bytes=9)`` is multiformats'
    unsigned-varint (libp2p, ``"uvarint"``), ``Varint(minimal=True,
    max_bytes=4)`` MQTT's remaining length (``"mqtt"``, at most 268,435,455)::

        300  ->  ac 02        (0b10_0101100: 0x2c | 0x80, then 0b10)
    """

    _fields = ("minimal", "max_bytes")
    minimal: bool
    max_bytes: int

    def __init__(self, *, minimal: bool = False, max_bytes: int = VARINT_MAX_BYTES) -> None:
        if isinstance(max_bytes, bool) or not 1 <= max_bytes <= VARINT_MAX_BYTES:
            raise ValueError(f"max_bytes must be 1 to {VARINT_MAX_BYTES}, not {max_bytes!r}")
        self._set(minimal=bool(minimal), max_bytes=max_bytes)


#: The varint headers named by a string.
NAMED_VARINTS = {
    "varint": Varint(),
    "uvarint": Varint(minimal=True, max_bytes=9),
    "mqtt": Varint(minimal=True, max_bytes=4),
}


class VarintLayout(HeaderLayout):
    """Unsigned LEB128 (see ``Varint``)."""

    def __init__(self, spec: Varint = NAMED_VARINTS["varint"]) -> None:
        self.minimal = spec.minimal
        self.max_size = spec.max_bytes
        self.max_value = min(VARINT_MAX_VALUE, 2 ** (7 * spec.max_bytes) - 1)

    def parse(self, buffer: ReceiveBuffer) -> Parsed | None:
        most = self.max_size
        head = buffer.peek(most)
        length = 0
        for index, byte in enumerate(head):
            length |= (byte & 0x7F) << (7 * index)
            if byte < 0x80:
                if length > self.max_value:
                    raise InvalidFrame(f"varint length {length} exceeds {self.max_value}")
                if self.minimal and index and not byte:
                    shown = head[: index + 1].hex(" ")
                    raise InvalidFrame(f"overlong varint: {index + 1} bytes for {length} ({shown})")
                return index + 1, length, None
        if len(head) == most:
            raise InvalidFrame(f"varint length longer than {most} bytes")
        return None

    def build(self, length: int, fields: Mapping[str, Any]) -> bytes:
        return encode_varint(length)

    def header_size(self, length: int) -> int:
        return (max(length.bit_length(), 1) + 6) // 7


def encode_varint(value: int) -> bytes:
    """``value`` as unsigned LEB128."""
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def check_not_negative(length: int) -> int:
    """``length``, or ``InvalidFrame`` if a signed header declared a negative one."""
    if length < 0:
        raise InvalidFrame(f"negative length {length} in the header")
    return length


def layout_for(header: Any, max_header_size: int = 32) -> HeaderLayout:
    """The layout for a ``LengthPrefixed`` header specification.

    A string needs only ``struct``; construct is imported for a construct
    header alone (it costs about 50 ms to import).
    """
    if isinstance(header, str):
        named = NAMED_VARINTS.get(header)
        return StructLayout(header) if named is None else VarintLayout(named)
    if isinstance(header, Varint):
        return VarintLayout(header)
    from .construct_headers import construct_layout

    return construct_layout(header, max_header_size)
