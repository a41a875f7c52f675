"""Length-prefixed framing: a header declares the payload's length.

::

    INPUT (header="!I")                          DECODED
    +--- len ---+---- Payload ----+              +---- Payload ----+
    | 00 00 00 0B |  Hello world  |     -->      |  Hello world    |
    +-------------+---------------+              +-----------------+

>>> codec = LengthPrefixed("!I")
>>> codec.encode(b"Hello world")
b'\\x00\\x00\\x00\\x0bHello world'
>>> codec.decode(b"\\x00\\x00\\x00\\x02hi\\x00\\x00\\x00\\x00")
[b'hi', b'']
>>> LengthPrefixed("varint").encode(b"x" * 300)[:2].hex(" ")
'ac 02'

``header`` is one ``struct`` integer format (``"!I"``, ``">H"``, ``"<Q"``,
``"B"``, signed ones too), ``"varint"`` (unsigned LEB128, as protobuf's
delimited streams), a construct integer (``Int24ub``, ``VarInt``, ...) or a
construct ``Struct`` with a ``length`` field. With ``includes_header=True`` the
declared length counts the header too.

The declared length is checked against ``max_length`` the moment the header
is complete (``FrameTooLarge``; the payload is never buffered). A length
header cannot be resynchronised on: after any error the decoder stays failed.

A ``Struct`` header carries more than a length. Its ``Const`` fields are
checked on decode (``InvalidFrame``) and written on encode; the decoder
returns each payload as a ``Frame``, a ``bytes`` with the other fields in
``.fields``; ``encode`` takes those fields as keywords, or from a ``Frame``::

    header = Struct("magic" / Const(b"FR"), "type" / Int8ub, "length" / Int32ub)
    codec = LengthPrefixed(header)
    wire = codec.encode(b"ping", type=1)       # b"FR\\x01\\x00\\x00\\x00\\x04ping"
    [frame] = codec.decode(wire)
    frame == b"ping", frame.fields == {"type": 1}
    codec.encode(frame) == wire                # echo servers keep the fields
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.frozen import Frozen
from ..core.headers import VARINT_MAX_BYTES, HeaderLayout, Parsed, StructLayout, layout_for
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge, InvalidFrame

__all__ = ["Frame", "LengthPrefixed"]

DEFAULT_MAX_LENGTH = 16 * 1024 * 1024


class Frame(bytes):
    """A payload (it *is* the payload's bytes) with the header fields it came with."""

    fields: dict[str, Any]

    def __new__(cls, payload: Buffer, fields: dict[str, Any] | None = None) -> Frame:
        frame = super().__new__(cls, payload)
        frame.fields = {} if fields is None else fields
        return frame

    def __repr__(self) -> str:
        return f"Frame({bytes(self)!r}, {self.fields!r})"

    def __reduce__(self) -> tuple[type[Frame], tuple[bytes, dict[str, Any]]]:
        return (type(self), (bytes(self), self.fields))


class LengthPrefixed(Frozen, Codec):
    """A length header, then that many payload bytes."""

    _fields = ("header", "max_length", "includes_header")
    header: Any
    max_length: int
    includes_header: bool
    _layout: HeaderLayout
    # For a struct header: its pack, and what the declared length adds to the payload's.
    _pack: Callable[[int], bytes] | None
    _declared_extra: int

    def __init__(
        self,
        header: Any = "!I",
        *,
        max_length: int | None = None,
        includes_header: bool = False,
    ) -> None:
        layout = layout_for(header)
        capacity = layout.max_value  # the largest payload the header can declare
        if includes_header:
            capacity -= layout.header_size(layout.max_value)
        if max_length is None:
            max_length = min(DEFAULT_MAX_LENGTH, capacity)
        check_max_length(max_length)
        if max_length > capacity:
            raise ValueError(
                f"max_length of {max_length} bytes is more than the header {header!r} "
                f"can declare ({capacity} bytes)"
            )
        plain = layout.struct if isinstance(layout, StructLayout) else None
        self._set(
            header=header,
            max_length=max_length,
            includes_header=bool(includes_header),
            _layout=layout,
            _pack=plain.pack if plain else None,
            _declared_extra=plain.size if plain and includes_header else 0,
        )

    def encode_parts(self, message: Buffer, **fields: Any) -> tuple[Buffer, ...]:
        """Header and payload, the payload not copied.

        A ``Struct`` header's fields come from keywords, or from ``message``'s
        own ``.fields`` when it is a ``Frame`` (keywords win).
        """
        if isinstance(message, Frame) and self._layout.has_fields:
            fields = {**message.fields, **fields}  # a Frame forwarded elsewhere is its payload
        if fields and not self._layout.has_fields:
            raise EncodeError(f"header {self.header!r} has no fields, got {sorted(fields)}")
        view = as_view(message)
        length = len(view)
        check_payload_length(length, self.max_length)
        if self.includes_header:
            length = self._declared_with_header(length)
        return (self._layout.build(length, fields), view)

    def encode(self, message: Buffer, **fields: Any) -> bytes:
        """Header and payload in one ``bytes``."""
        pack = self._pack
        if pack and type(message) is bytes and len(message) <= self.max_length and not fields:
            return pack(len(message) + self._declared_extra) + message
        return b"".join(self.encode_parts(message, **fields))

    def _declared_with_header(self, length: int) -> int:
        # A varint's size depends on the value it declares, which includes it.
        size = self._layout.header_size(length)
        while self._layout.header_size(length + size) != size:
            size += 1
        return length + size

    def decoder(self) -> LengthPrefixedDecoder:
        """A fresh decoder."""
        return LengthPrefixedDecoder(self)

    @property
    def largest_frame(self) -> int:
        """The longest header the decoder accepts, then ``max_length`` bytes.

        A varint header may be up to 10 bytes long on the wire, whatever it
        declares.
        """
        header = self._layout.size
        return (VARINT_MAX_BYTES if header is None else header) + self.max_length

    @property
    def payload_trailer(self) -> bytes | None:
        """``b""`` with an integer header: the payload follows it as it is. None with a
        ``Struct`` header, whose frames carry fields and are read through the decoder."""
        return None if self._layout.has_fields else b""


class LengthPrefixedDecoder(Decoder):
    """Reads a header, checks its length at once, then waits for exactly that many bytes."""

    def __init__(self, codec: LengthPrefixed) -> None:
        super().__init__(codec)
        self._layout = codec._layout
        self._max_length = codec.max_length
        self._includes_header = codec.includes_header
        # The current frame's parsed header: (header size, payload length,
        # fields), None until the header is complete. The header's bytes stay
        # buffered until the whole frame is there.
        self._header: Parsed | None = None

    def _take_batch(self) -> list[bytes]:
        layout = self._layout
        header = self._header
        if not isinstance(layout, StructLayout) or (
            header is not None and len(self._buffer) < header[0] + header[1]
        ):
            return []  # no fast path, or not even the current frame is complete
        payloads = self._buffer._take_prefixed(
            layout.struct, self._max_length, self._includes_header
        )
        if payloads:
            self._header = None  # a header parsed earlier belonged to the batch's first frame
        self._batch_overhead = layout.struct.size
        return payloads

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next payload: its header is checked the moment it is complete."""
        header = self._header
        if header is None:
            header = self._layout.parse(buffer)
            if header is None:
                return None
            header = self._header = self._check(*header)
        size, length, fields = header
        if len(buffer) < size + length:
            buffer.expect(size + length)
            return None
        self._header = None
        buffer.skip(size)
        payload = buffer.take(length)
        return payload if fields is None else Frame(payload, fields)

    def _check(self, size: int, declared: int, fields: dict[str, Any] | None) -> Parsed:
        length = declared
        if self._includes_header:
            length -= size
            if length < 0:
                raise InvalidFrame(
                    f"declared length {declared} is smaller than its {size}-byte header"
                )
        if length > self._max_length:
            raise FrameTooLarge(length, self._max_length)
        return size, length, fields

    def reset_frame(self) -> None:
        """Forget the header parsed."""
        self._header = None
