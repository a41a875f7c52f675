"""Shared helpers for the codec tests: run a decoder over chunks, three ways.

The central idea is h11's ``tr()``: every wire case is decoded whole, one byte
at a time, and split in two at every index (with empty chunks thrown in), and
all runs must agree. ``decode_every_way`` does that and returns the events of
the run, so a test body is one line::

    assert kinds(decode_every_way(Netstring(), b"0:,")) == [b""]

An *event* is a decoded message (``bytes``) or a ``FramingError`` raised by
the decoder, in stream order.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hypothesis import strategies as st

from framing import (
    COBS,
    SLIP,
    Delimited,
    FixedLength,
    FrameTooLarge,
    FramingError,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)

Event = bytes | FramingError

#: Styles whose decoders skip a bad frame and go on (DESIGN.md).
RESYNCHRONISING = (Delimited, Lines, COBS, SLIP)


# --------------------------------------------------------------------------
# running a decoder
# --------------------------------------------------------------------------


def is_terminal(codec: Any, error: FramingError) -> bool:
    """True when no more events can follow ``error`` from this codec's decoder."""
    if isinstance(error, IncompleteFrame):
        return True
    return not codec.decoder().resynchronises  # as the decoder says, for any codec


def drain(decoder: Any, events: list[Event], *, use_iter: bool = False) -> bool:
    """Append every message and error available now; True once the decoder is done."""
    limit = decoder.buffered + 2  # every error must consume at least one byte
    while True:
        try:
            message = _next(decoder, use_iter)
        except FramingError as error:
            events.append(error)
            if is_terminal(decoder.codec, error):
                return True
            limit -= 1
            assert limit >= 0, f"decoder raises forever: {events[-3:]!r}"
            continue
        if message is None:
            return False
        assert isinstance(message, bytes), f"message is {type(message).__name__}"
        events.append(message)


def _next(decoder: Any, use_iter: bool) -> bytes | None:
    if not use_iter:
        result: bytes | None = decoder.next_frame()
        return result
    return next(iter(decoder), None)


def decode_chunks(
    codec: Any,
    chunks: Iterable[bytes],
    *,
    eof: bool = True,
    use_iter: bool = False,
    bound: int | None = None,
) -> list[Event]:
    """Feed ``chunks`` one by one, draining after each, then EOF; return the events.

    With ``bound``, also check that the decoder never holds more than
    ``bound`` bytes plus the chunk just fed, nor more than ``bound`` once
    drained.
    """
    decoder = codec.decoder()
    events: list[Event] = []
    for chunk in chunks:
        decoder.feed(chunk)
        if bound is not None:
            assert decoder.buffered <= bound + len(chunk), (decoder.buffered, bound)
        if drain(decoder, events, use_iter=use_iter):
            return events
        if bound is not None:
            assert decoder.buffered <= bound, (decoder.buffered, bound)
    if eof:
        decoder.feed_eof()
        failed = drain(decoder, events, use_iter=use_iter)
        check_stays_finished(decoder, events[-1] if failed else None)
    return events


def check_stays_finished(decoder: Any, error: Event | None) -> None:
    """After the end, asking again gives nothing more, or the same error again."""
    again: FramingError | None = None
    message = None
    try:
        message = decoder.next_frame()
    except FramingError as raised:
        again = raised
    assert type(again) is type(error), f"{again!r} after {error!r}"
    assert message is None, f"{message!r} after the end of the stream"


def chunkings(data: bytes) -> Iterator[list[bytes]]:
    """Whole, one byte at a time, and split at every index (empty chunks around)."""
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for i in range(len(data) + 1):
        yield [b"", data[:i], b"", data[i:]]


def summary(events: Sequence[Event]) -> list[object]:
    """What must not depend on chunking: messages, error types, partials, limits."""
    result: list[object] = []
    for event in events:
        if isinstance(event, IncompleteFrame):
            result.append((IncompleteFrame, bytes(event.partial)))
        elif isinstance(event, FrameTooLarge):
            result.append((FrameTooLarge, event.max_length))
        elif isinstance(event, FramingError):
            result.append(type(event))
        else:
            result.append(bytes(event))
    return result


def kinds(events: Sequence[Event]) -> list[object]:
    """Messages as bytes and errors as their type: what most tests compare."""
    return [type(e) if isinstance(e, FramingError) else e for e in events]


def decode_every_way(
    codec: Any, wire: bytes, *, eof: bool = True, bounded: bool = False
) -> list[Event]:
    """Decode ``wire`` in every chunking of ``chunkings``; all runs must agree.

    ``bounded``: also hold the decoder to ``codec.largest_frame`` bytes (plus
    the chunk just fed) all along.
    """
    bound = codec.largest_frame if bounded else None
    expected = decode_chunks(codec, [wire], eof=eof)
    for chunks in chunkings(wire):
        for use_iter in (False, True):
            got = decode_chunks(codec, chunks, eof=eof, use_iter=use_iter, bound=bound)
            assert summary(got) == summary(expected), f"chunks={chunks!r}"
    return expected


def only_error(events: Sequence[Event], error_type: type[FramingError]) -> Any:
    """The last event, checked to be an error of ``error_type``."""
    assert events, "no event at all"
    error = events[-1]
    assert isinstance(error, error_type), f"{error!r} is not a {error_type.__name__}"
    return error


def fed(codec: Any, *chunks: bytes) -> Any:
    """A fresh decoder fed ``chunks`` (without draining)."""
    decoder = codec.decoder()
    for chunk in chunks:
        decoder.feed(chunk)
    return decoder


def take_all(decoder: Any) -> list[bytes]:
    """Every message available now (errors propagate)."""
    return list(decoder)


def encode_all(codec: Any, messages: Iterable[bytes]) -> bytes:
    """The wire form of ``messages`` one after another."""
    return b"".join(codec.encode(m) for m in messages)


def wire_bound(codec: Any) -> int:
    """Wire bytes a decoder may need to hold for one largest legal frame."""
    m = codec.max_length
    if isinstance(codec, FixedLength):
        return int(codec.size)
    if isinstance(codec, Lines):
        return m + 2
    if isinstance(codec, Delimited):
        return m + len(codec.delimiter)
    if isinstance(codec, LengthPrefixed):
        return m + 64  # the largest header we configure is well below 64 bytes
    if isinstance(codec, Netstring):
        return len(str(m)) + m + 2
    if isinstance(codec, COBS):
        return m + m // 254 + 2
    if isinstance(codec, SLIP):
        return 2 * m + 2
    if isinstance(codec, UntilClose):
        return m + 1
    raise AssertionError(f"no bound for {codec!r}")


# --------------------------------------------------------------------------
# hypothesis strategies
# --------------------------------------------------------------------------


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut anywhere, repeated cut points giving empty chunks."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    bounds = [0, *cuts, len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    if draw(st.booleans()):
        chunks = [data[i : i + 1] for i in range(len(data))]
    return chunks


def payloads(alphabet: bytes = b"", max_size: int = 40) -> st.SearchStrategy[bytes]:
    """Binary payloads, biased towards the bytes in ``alphabet`` when given."""
    if not alphabet:
        return st.binary(max_size=max_size)
    special = st.sampled_from([bytes([b]) for b in alphabet])
    piece = st.one_of(special, st.binary(max_size=8))
    return st.lists(piece, max_size=8).map(lambda pieces: b"".join(pieces)[:max_size])


def fragments(tokens: Sequence[bytes], max_size: int = 12) -> st.SearchStrategy[bytes]:
    """Arbitrary input: random bytes mixed with meaningful tokens of a codec."""
    piece = st.one_of(st.binary(max_size=6), st.sampled_from(list(tokens)))
    return st.lists(piece, max_size=max_size).map(b"".join)


# --------------------------------------------------------------------------
# codec configurations shared by the property and memory tests
# --------------------------------------------------------------------------


class Config:
    """A codec with a strategy for its valid messages and tokens for garbage."""

    def __init__(
        self,
        codec: Any,
        messages: st.SearchStrategy[bytes],
        tokens: Sequence[bytes] = (),
        *,
        one_message: bool = False,
    ) -> None:
        self.codec = codec
        self.message = messages
        self.tokens = [*tokens, *_sample_encodings(codec)]
        self.one_message = one_message

    def message_lists(self) -> st.SearchStrategy[list[bytes]]:
        """Lists of valid messages (exactly one for UntilClose)."""
        if self.one_message:
            return st.lists(self.message, min_size=1, max_size=1)
        return st.lists(self.message, max_size=5)

    def garbage(self) -> st.SearchStrategy[bytes]:
        """Arbitrary input, biased towards this codec's meaningful bytes."""
        return fragments(self.tokens)

    def __repr__(self) -> str:
        return repr(self.codec)


def _sample_encodings(codec: Any) -> list[bytes]:
    samples = []
    for message in (b"", b"x", b"xyz", b"\x00\n\xc0\xdb"):
        with contextlib.suppress(ValueError):
            samples.append(codec.encode(message))
    return samples


def delimited_payloads(delimiter: bytes, max_size: int) -> st.SearchStrategy[bytes]:
    """Payloads that Delimited(delimiter) can carry (DESIGN.md's encode rule)."""

    def fix(p: bytes) -> bytes:
        p = p.replace(delimiter, b"")
        while (p + delimiter).find(delimiter) != len(p):
            p = p[:-1]
        return p

    return payloads(delimiter + b"x", max_size).map(fix)


def line_payloads(max_size: int) -> st.SearchStrategy[bytes]:
    """Payloads that Lines can carry: no LF, no trailing CR."""
    return payloads(b"\r\n", max_size).map(lambda p: p.replace(b"\n", b"").rstrip(b"\r"))


def _lp(header: Any, max_size: int = 40, **kwargs: Any) -> Config:
    codec = LengthPrefixed(header, **kwargs)
    size = min(max_size, codec.max_length)
    return Config(codec, st.binary(max_size=size), [b"\x00", b"\xff", b"\x80", b"\x7f"])


def _size(kwargs: dict[str, Any]) -> int:
    return min(40, kwargs.get("max_length", 40))


SLIP_BYTES = b"\xc0\xdb\xdc\xdd"
NETSTRING_BYTES = [b"0", b"1", b"9", b":", b",", b"10:", b"0:,"]
STRUCT_FORMATS = ["B", "b", ">H", "<H", "!I", "<I", ">Q", "<Q", "!i", "<h", ">q"]

CONFIGS = [
    Config(FixedLength(1), st.binary(min_size=1, max_size=1)),
    Config(FixedLength(3), st.binary(min_size=3, max_size=3)),
    *[
        Config(Delimited(d, **kw), delimited_payloads(d, _size(kw)), [d, d[:1]])
        for d, kw in [
            (b"\n", {}),
            (b"\x00", {}),
            (b"\r\n", {}),
            (b"\r\n\r\n", {}),
            (b"aa", {}),
            (b"aba", {}),
            (b"\r\n", {"max_length": 4}),
            (b"aba", {"max_length": 3}),
            (b"\n", {"max_length": 0}),
        ]
    ],
    *[
        Config(Lines(**kw), line_payloads(_size(kw)), [b"\r", b"\n", b"\r\n"])
        for kw in [
            {},
            {"max_length": 4},
            {"strict_crlf": True},
            {"strict_crlf": True, "max_length": 3},
            {"allow_unterminated": True},
        ]
    ],
    *[_lp(fmt) for fmt in STRUCT_FORMATS],
    _lp("varint", max_size=300),
    _lp("!I", includes_header=True),
    _lp("B", includes_header=True),
    _lp("varint", max_size=300, includes_header=True),
    _lp("!I", max_length=5),
    _lp("varint", max_length=200, max_size=300),
    Config(UntilClose(), st.binary(max_size=60), one_message=True),
    Config(UntilClose(max_length=5), st.binary(max_size=5), one_message=True),
    Config(Netstring(), payloads(b"0123456789:,"), NETSTRING_BYTES),
    Config(Netstring(max_length=12), payloads(b"0123456789:,", 12), NETSTRING_BYTES),
    Config(COBS(), payloads(b"\x00\x01\xff", 600), [b"\x00", b"\x01", b"\xff", b"\x05"]),
    Config(COBS(max_length=5), payloads(b"\x00\x01", 5), [b"\x00", b"\x01", b"\x03"]),
    Config(SLIP(), payloads(SLIP_BYTES).filter(bool), list(map(bytes, zip(SLIP_BYTES)))),
    Config(SLIP(leading_end=False), payloads(SLIP_BYTES).filter(bool), [b"\xc0", b"\xdb"]),
    Config(SLIP(max_length=4), payloads(SLIP_BYTES, 4).filter(bool), [b"\xc0", b"\xdb\xdc"]),
]
