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

from collections.abc import Callable, Sequence
from typing import Any, cast

from ..core.buffer import ReceiveBuffer
from ..core.codec import Codec, Decoder, as_view, check_max_length, check_payload_length
from ..core.compiled import VarintHeader, native_varint, prefixed_header
from ..core.frozen import Frozen
from ..core.headers import HeaderLayout, Parsed, StructLayout, VarintLayout, layout_for
from ..core.types import Buffer
from ..errors import EncodeError, FrameTooLarge, FramingError, InvalidFrame

__all__ = ["Frame", "LengthPrefixed"]

DEFAULT_MAX_LENGTH = 16 * 1024 * 1024


class Frame(bytes):
    """A payload (it *is* the payload's bytes) with the header fields it came with.

    ``fields``: the header's fields other than the length, for a
    ``LengthPrefixed`` codec with a construct ``Struct`` header
    (``{"type": 1}``) or a ``length_offset`` (``{"prefix": b"\\x30"}``).
    ``encode`` of a ``Frame`` writes its fields back out, so an echo server
    keeps them.
    """

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
    """A length header, then that many payload bytes; every header shape of Netty's and tokio's.

    ``LengthPrefixed("!I")`` sends ``b"hello"`` as ``00 00 00 05 68 65 6c 6c 6f``.

    ``header``: a ``struct`` integer format (``"!I"``, the default, ``">H"``,
    ``"<Q"``, ``"B"``, ...), ``"varint"`` (protobuf's), ``"uvarint"``
    (libp2p's), ``"mqtt"``, a ``Varint(...)``, a construct integer or
    ``Struct``. ``max_length``: the largest payload, checked the moment the
    header is complete (default: 16 MiB, or less if the header cannot
    declare that much). ``includes_header``: the declared length counts the
    header too. The rest, with the names tokio-util's
    ``LengthDelimitedCodec`` and Netty's ``LengthFieldBasedFrameDecoder``
    give them:

    - ``length_offset`` (``length_field_offset``): bytes before the length
      field, such as a type byte. A decoded frame is a ``Frame`` that keeps
      them in ``.fields["prefix"]``; ``encode`` takes them as ``prefix=``.
    - ``length_adjustment`` (signed, the same name in both): the payload is
      ``declared + length_adjustment`` bytes. A length that also counts 2
      bytes of something else (a version field in the header after it) is
      ``length_adjustment=-2``; one that leaves out a payload's 2-byte tail
      (kept in the payload) is ``+2``. ``includes_header=True`` is its common
      case: the declared length counts the whole header.
    - ``keep_header`` (``num_skip(0)``, ``initialBytesToStrip=0``): a decoded
      message is the whole wire frame, header included, and ``encode`` takes
      a whole frame (checked, sent as it is): for proxies.
    - ``discard_oversized`` (Netty's discard mode): a frame declaring more
      than ``max_length`` is reported once (``FrameTooLarge``) and its bytes
      are dropped as they arrive, never buffered; decoding goes on after it.
      Off by default: trusting the length of a frame that is too large also
      trusts a corrupt header, and then the stream is desynchronised.
    - ``max_header_size``: for a ``Struct`` header whose size depends on its
      own fields, the most bytes it may take (it is parsed as they arrive).
    """

    _fields = (
        "header",
        "max_length",
        "includes_header",
        "length_offset",
        "length_adjustment",
        "keep_header",
        "discard_oversized",
        "max_header_size",
    )
    header: Any
    max_length: int
    includes_header: bool
    length_offset: int
    length_adjustment: int
    keep_header: bool
    discard_oversized: bool
    max_header_size: int
    _layout: HeaderLayout
    # For a plain struct header: its pack, and what the declared length adds to the payload's.
    _pack: Callable[[int], bytes] | None
    _declared_extra: int
    _simple: bool  # the header is the length of the payload, nothing more

    def __init__(
        self,
        header: Any = "!I",
        *,
        max_length: int | None = None,
        includes_header: bool = False,
        length_offset: int = 0,
        length_adjustment: int = 0,
        keep_header: bool = False,
        discard_oversized: bool = False,
        max_header_size: int = 32,
    ) -> None:
        for name, value in (("length_offset", length_offset), ("max_header_size", max_header_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        if isinstance(length_adjustment, bool) or not isinstance(length_adjustment, int):
            raise ValueError(f"length_adjustment must be an integer, not {length_adjustment!r}")
        layout = layout_for(header, max_header_size)
        # The largest payload the header can declare.
        capacity = layout.max_value + length_adjustment
        if includes_header:
            capacity -= length_offset + layout.header_size(layout.max_value)
        if max_length is None:
            max_length = max(0, min(DEFAULT_MAX_LENGTH, capacity))
        check_max_length(max_length)
        if max_length > capacity:
            raise ValueError(
                f"max_length of {max_length} bytes is more than the header {header!r} "
                f"can declare ({capacity} bytes)"
            )
        plain = (
            layout.struct
            if isinstance(layout, StructLayout) and not length_offset and not keep_header
            else None
        )
        extra = (plain.size if plain and includes_header else 0) - length_adjustment
        self._set(
            header=header,
            max_length=max_length,
            includes_header=bool(includes_header),
            length_offset=length_offset,
            length_adjustment=length_adjustment,
            keep_header=bool(keep_header),
            discard_oversized=bool(discard_oversized),
            max_header_size=max_header_size,
            _layout=layout,
            _pack=plain.pack if plain and extra >= 0 else None,
            _declared_extra=extra,
            _simple=not (
                layout.has_fields
                or includes_header
                or length_offset
                or length_adjustment
                or keep_header
            ),
        )

    def __repr__(self) -> str:
        # The options at their defaults are left out: the common codecs read as before.
        shown = self._fields[:3] + tuple(
            name for name in self._fields[3:] if getattr(self, name) != _DEFAULTS[name]
        )
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"LengthPrefixed({values})"

    @property
    def _carries_fields(self) -> bool:
        """Whether decoded frames carry fields (a ``Struct`` header's, or the offset's prefix)."""
        return (self._layout.has_fields or bool(self.length_offset)) and not self.keep_header

    def encode_parts(self, message: Buffer, **fields: Any) -> tuple[Buffer, ...]:
        """Header and payload, the payload not copied.

        A ``Struct`` header's fields (and an offset's ``prefix``) come from
        keywords, or from ``message``'s own ``.fields`` when it is a ``Frame``
        (keywords win). With ``keep_header``, ``message`` is a whole frame.
        """
        if self._simple and not fields:
            view = as_view(message)
            check_payload_length(len(view), self.max_length)
            return (self._layout.build(len(view), fields), view)
        if self.keep_header:
            return self._whole_frame(message, fields)
        if isinstance(message, Frame) and self._carries_fields:
            fields = {**message.fields, **fields}  # a Frame forwarded elsewhere is its payload
        prefix = b""
        if self.length_offset:
            fields = dict(fields)
            prefix = self._prefix(fields.pop("prefix", None))
        if fields and not self._layout.has_fields:
            raise EncodeError(f"header {self.header!r} has no fields, got {sorted(fields)}")
        view = as_view(message)
        length = len(view)
        check_payload_length(length, self.max_length)
        declared = self._declared(length)
        header = self._layout.build(declared, fields)
        return (prefix + header if prefix else header, view)

    def _prefix(self, prefix: Any) -> bytes:
        if prefix is None:
            raise EncodeError(f"{self.length_offset} prefix bytes are needed: pass prefix=...")
        data = bytes(prefix)
        if len(data) != self.length_offset:
            raise EncodeError(
                f"prefix of {len(data)} bytes given; length_offset is {self.length_offset}"
            )
        return data

    def _declared(self, length: int) -> int:
        """The length field's value for a payload of ``length`` bytes."""
        declared = length - self.length_adjustment
        if self.includes_header:
            # A varint's size depends on the value it declares, which includes it.
            size = self._layout.header_size(declared)
            while self._layout.header_size(declared + self.length_offset + size) != size:
                size += 1
            declared += self.length_offset + size
        if not 0 <= declared <= self._layout.max_value:
            raise EncodeError(
                f"a {length}-byte payload declares {declared}, which the header cannot hold"
            )
        return declared

    def _whole_frame(self, message: Buffer, fields: dict[str, Any]) -> tuple[Buffer, ...]:
        if fields:
            raise EncodeError("with keep_header, a message is a whole frame: no fields")
        view = as_view(message)
        try:
            frames = self.decode(view)
        except FramingError as error:
            raise EncodeError(f"not a whole frame: {error}") from None
        if len(frames) != 1:
            raise EncodeError(f"not one whole frame but {len(frames)}")
        return (view,)

    def encode(self, message: Buffer, **fields: Any) -> bytes:
        """Header and payload in one ``bytes``."""
        pack = self._pack
        if pack and type(message) is bytes and len(message) <= self.max_length and not fields:
            return pack(len(message) + self._declared_extra) + message
        return b"".join(self.encode_parts(message, **fields))

    def encode_many(self, messages: Sequence[Buffer]) -> bytes:
        """The frames of several messages as one ``bytes``: for ``bytes`` messages and a
        plain integer header, the hand-written ``b"".join(pack(len(m)) + m ...)`` loop."""
        pack = self._pack
        if pack and set(map(type, messages)) <= {bytes}:
            plain = cast("Sequence[bytes]", messages)
            if not plain or max(map(len, plain)) <= self.max_length:
                extra = self._declared_extra
                if not extra:
                    return b"".join([pack(len(m)) + m for m in plain])
                return b"".join([pack(len(m) + extra) + m for m in plain])
        return super().encode_many(messages)

    def decoder(self) -> LengthPrefixedDecoder:
        """A fresh decoder."""
        if self.discard_oversized:
            return DiscardingDecoder(self)
        return LengthPrefixedDecoder(self)

    @property
    def largest_frame(self) -> int:
        """The longest header the decoder accepts, then ``max_length`` bytes.

        A varint header may be up to 10 bytes long on the wire (or its
        ``max_bytes``), whatever it declares.
        """
        return self.length_offset + self._layout.max_size + self.max_length

    @property
    def payload_trailer(self) -> bytes | None:
        """``b""`` when a frame is an integer header then the payload as it is; None when
        frames carry fields (a ``Struct`` header, an offset's prefix) or keep their header."""
        return None if self._carries_fields or self.keep_header else b""


_DEFAULTS = {
    "length_offset": 0,
    "length_adjustment": 0,
    "keep_header": False,
    "discard_oversized": False,
    "max_header_size": 32,
}


class LengthPrefixedDecoder(Decoder):
    """Reads a header, checks its length at once, then waits for exactly that many bytes."""

    def __init__(self, codec: LengthPrefixed) -> None:
        super().__init__(codec)
        self._layout = codec._layout
        self._max_length = codec.max_length
        self._includes_header = codec.includes_header
        self._offset = codec.length_offset
        self._adjustment = codec.length_adjustment
        self._keep_header = codec.keep_header
        # The batch path: a plain struct header, the payload returned alone,
        # cut out by the compiled core when there is one (``native``).
        self._batches = (
            isinstance(self._layout, StructLayout) and not self._offset and not self._keep_header
        )
        self._native = (
            prefixed_header(
                self._layout.struct,
                (self._layout.struct.size if self._includes_header else 0) - self._adjustment,
            )
            if self._batches and isinstance(self._layout, StructLayout)
            else None
        )
        # A varint header is read in batches too, the compiled core's loop
        # when it is in use (``varint_native``), else its Python twin.
        layout = self._layout
        self._varint: VarintHeader | None = (
            (
                layout.max_size, layout.minimal, layout.max_value, self._includes_header,
                -self._adjustment,
            )
            if isinstance(layout, VarintLayout) and not self._offset and not self._keep_header
            else None
        )  # fmt: skip
        self._varint_native = self._varint is not None and native_varint(-self._adjustment)
        # The current frame's parsed header: (header size, payload length,
        # fields), None until the header is complete. The header's bytes stay
        # buffered until the whole frame is there.
        self._header: Parsed | None = None

    def _take_batch(self) -> list[bytes]:
        layout = self._layout
        header = self._header
        if header is not None and len(self._buffer) < header[0] + header[1]:
            return []  # not even the current frame is complete
        if self._varint is not None:
            payloads, sizes, source, end = self._buffer._take_varint_prefixed(
                self._varint, self._max_length, self._varint_native
            )
            self._batch_overhead = sizes  # each header's size: a varint's varies
            if payloads:  # detach() slices them as received, whatever form a header took
                self._batch_source = (source, end)
        elif self._batches:
            assert isinstance(layout, StructLayout)
            size = layout.struct.size
            adjust = (size if self._includes_header else 0) - self._adjustment
            payloads = self._buffer._take_prefixed(
                layout.struct, self._max_length, adjust, self._native
            )
            self._batch_overhead = size
        else:
            return []  # no fast path
        if payloads:
            self._header = None  # a header parsed earlier belonged to the batch's first frame
        return payloads

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """The next payload: its header is checked the moment it is complete."""
        header = self._header
        if header is None:
            parsed = self._layout.parse(buffer) if not self._offset else self._parse_after(buffer)
            if parsed is None:
                return None
            header = self._header = self._check(buffer, *parsed)
        size, length, fields = header
        if len(buffer) < size + length:
            buffer.expect(size + length)
            return None
        self._header = None
        if self._keep_header:
            whole: bytes = buffer.take(size + length)
            return whole
        buffer.skip(size)
        payload = buffer.take(length)
        return payload if fields is None else Frame(payload, fields)

    def _parse_after(self, buffer: ReceiveBuffer) -> Parsed | None:
        """The header when ``length_offset`` bytes come before its length field."""
        offset = self._offset
        head = buffer.peek(offset + self._layout.max_size)
        if len(head) <= offset:
            return None
        rest = ReceiveBuffer()
        rest.feed(head[offset:])
        parsed = self._layout.parse(rest)
        if parsed is None:
            return None
        size, declared, fields = parsed
        return offset + size, declared, {"prefix": head[:offset], **(fields or {})}

    def _check(
        self, buffer: ReceiveBuffer, size: int, declared: int, fields: dict[str, Any] | None
    ) -> Parsed:
        length = declared + self._adjustment
        if self._includes_header:
            length -= size
        if length < 0:
            raise InvalidFrame(
                f"declared length {declared} leaves {length} payload bytes "
                f"(a {size}-byte header, length adjustment {self._adjustment})"
            )
        if length > self._max_length:
            self._oversized(buffer, size, length)
        return size, length, fields

    def _oversized(self, buffer: ReceiveBuffer, size: int, length: int) -> None:
        raise FrameTooLarge(length, self._max_length)

    def reset_frame(self) -> None:
        """Forget the header parsed."""
        self._header = None


class DiscardingDecoder(LengthPrefixedDecoder):
    """``discard_oversized``: an oversized frame is reported, then dropped as it arrives."""

    resynchronises = True

    def __init__(self, codec: LengthPrefixed) -> None:
        super().__init__(codec)
        self._discarding = 0  # bytes of an oversized frame still to drop

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        """Drop what is left of an oversized frame, then decode on."""
        if self._discarding:
            dropped = min(len(buffer), self._discarding)
            buffer.skip(dropped)
            self._discarding -= dropped
            if self._discarding:
                return None
        return super().decode(buffer)

    def recovers_from(self, error: FramingError) -> bool:
        """After an oversized frame only: a bad header leaves no way to the next frame."""
        return isinstance(error, FrameTooLarge)

    def _take_batch(self) -> list[bytes]:
        # The rest of a dropped frame is no frames, whatever it looks like.
        return [] if self._discarding else super()._take_batch()

    def _oversized(self, buffer: ReceiveBuffer, size: int, length: int) -> None:
        # Consume the header and whatever payload is here, before raising
        # (a resynchronising decoder consumes its bad frame); drop the rest later.
        total = size + length
        dropped = min(len(buffer), total)
        buffer.skip(dropped)
        self._discarding = total - dropped
        super()._oversized(buffer, size, length)

    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        """A stream that ends inside a dropped frame ends there: it was reported already."""
        if self._discarding:
            self._discarding = 0
            return None
        return super().decode_eof(buffer)

    def reset_frame(self) -> None:
        """Forget the header parsed, and a frame being dropped."""
        super().reset_frame()
        self._discarding = 0
