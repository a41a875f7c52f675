"""Length headers declared with construct: integers of any kind, and ``Struct`` headers.

Imported only when a ``LengthPrefixed`` codec is given a construct header, so
that ``import framing`` does not pay for construct (about 50 ms, most of it
``pdb`` and ``inspect``). A construct integer that ``struct`` or
``int.from_bytes`` can read is read by them; construct parses the rest.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import construct

from ..errors import EncodeError, InvalidFrame
from .buffer import ReceiveBuffer
from .headers import (
    BytesIntegerLayout,
    HeaderLayout,
    Parsed,
    StructLayout,
    VarintLayout,
    check_not_negative,
)

__all__ = ["ConstructIntegerLayout", "ConstructStructLayout", "construct_layout"]


class ConstructIntegerLayout(HeaderLayout):
    """Any other fixed-size construct that parses to an integer (slow path)."""

    def __init__(self, con: Any, size: int) -> None:
        try:
            sample = con.parse(bytes(size))
        except construct.ConstructError:
            sample = None
        if not isinstance(sample, int):
            raise ValueError(f"header construct {con!r} does not parse to an integer")
        self._con = con
        self.size = self.max_size = size
        try:  # all ones parse to -1 when the integer is signed
            signed = int(con.parse(b"\xff" * size)) < 0
        except construct.ConstructError:
            signed = False
        self.max_value = 2 ** (8 * size - signed) - 1

    def parse(self, buffer: ReceiveBuffer) -> Parsed | None:
        assert self.size is not None
        if len(buffer) < self.size:
            return None
        try:
            length = self._con.parse(buffer.peek(self.size))
        except construct.ConstructError as error:
            raise InvalidFrame(f"bad length header: {error}") from None
        return self.size, check_not_negative(int(length)), None

    def build(self, length: int, fields: Mapping[str, Any]) -> bytes:
        try:
            return bytes(self._con.build(length))
        except construct.ConstructError as error:
            raise EncodeError(f"cannot build the length header for {length}: {error}") from None


class ConstructStructLayout(HeaderLayout):
    """A construct ``Struct`` with a ``length`` field; its other fields travel with the frame.

    ``Const`` fields are checked on decode and written on encode; ``length`` is
    computed on encode; every other field is returned with the payload (in
    ``Frame.fields``) and must be supplied on encode.

    A header whose size depends on its own fields (a ``VarInt``, an ``If``)
    is parsed as its bytes arrive: each attempt reads at most ``max_size``
    bytes, and a header not complete within them is ``InvalidFrame``.
    """

    has_fields = True

    def __init__(self, con: Any, max_size: int) -> None:
        self._con = con
        try:
            self.size = self.max_size = int(con.sizeof())
        except construct.SizeofError:
            self.size = None  # parsed incrementally, up to max_size bytes
            self.max_size = max_size
        names = [sub.name for sub in con.subcons]
        if "length" not in names:
            raise ValueError("a Struct header needs a field named 'length'")
        length_field = con.subcons[names.index("length")].subcon
        self.max_value = construct_layout(length_field).max_value
        self.field_names = frozenset(
            sub.name
            for sub in con.subcons
            if sub.name and sub.name != "length" and not isinstance(sub.subcon, construct.Const)
        )

    def parse(self, buffer: ReceiveBuffer) -> Parsed | None:
        size = self.size
        if size is not None:
            if len(buffer) < size:
                return None
            try:
                parsed = self._con.parse(buffer.peek(size))
            except construct.ConstructError as error:
                raise InvalidFrame(f"bad frame header: {error}") from None
        else:
            head = buffer.peek(self.max_size)
            stream = io.BytesIO(head)
            try:
                parsed = self._con.parse_stream(stream)
            except construct.StreamError:  # it reads past the bytes there are
                if len(head) < self.max_size:
                    return None
                raise InvalidFrame(f"frame header longer than {self.max_size} bytes") from None
            except construct.ConstructError as error:
                raise InvalidFrame(f"bad frame header: {error}") from None
            size = stream.tell()
        fields = {name: parsed[name] for name in self.field_names}
        return size, check_not_negative(int(parsed["length"])), fields

    def header_size(self, length: int) -> int:
        """The size of a header declaring ``length`` (its fields may change it: an estimate)."""
        return self.max_size if self.size is None else self.size

    def build(self, length: int, fields: Mapping[str, Any]) -> bytes:
        missing = self.field_names - fields.keys()
        unknown = fields.keys() - self.field_names
        if missing or unknown:
            raise EncodeError(
                f"header fields: missing {sorted(missing)}, unknown {sorted(unknown)}; "
                f"expected {sorted(self.field_names)}"
            )
        try:
            return bytes(self._con.build({**fields, "length": length}))
        except construct.ConstructError as error:
            raise EncodeError(f"cannot build the frame header: {error}") from None


def construct_layout(header: Any, max_header_size: int = 32) -> HeaderLayout:
    """The layout for a construct header (anything but a string specification).

    ``max_header_size``: the most bytes a ``Struct`` header of varying size may take.
    """
    if not isinstance(header, construct.Construct):
        raise TypeError(
            f"header must be a struct format, 'varint' or a construct, not {type(header).__name__}"
        )
    if isinstance(header, construct.FormatField):
        return StructLayout(header.fmtstr)
    if isinstance(header, construct.BytesInteger) and isinstance(header.length, int):
        signed, swapped = header.signed, header.swapped
        if isinstance(signed, bool) and isinstance(swapped, bool):
            return BytesIntegerLayout(header.length, signed=signed, little=swapped)
    if isinstance(header, type(construct.VarInt)):
        return VarintLayout()
    if isinstance(header, construct.Struct):
        return ConstructStructLayout(header, max_header_size)
    try:
        size = int(header.sizeof())
    except construct.SizeofError:
        raise ValueError(f"header construct {header!r} has no fixed size") from None
    return ConstructIntegerLayout(header, size)
