"""construct as an independent oracle for length-prefixed wire forms, and construct headers."""

from __future__ import annotations

import pickle

import construct as c
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framing import (
    EncodeError,
    Frame,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
)
from helpers import chunked, decode_chunks, decode_every_way, encode_all, fed, kinds, only_error

# Each struct format and the construct integer that lays out the same bytes.
ORACLES = [
    ("!I", c.Int32ub),
    ("<I", c.Int32ul),
    (">H", c.Int16ub),
    ("<H", c.Int16ul),
    ("B", c.Int8ub),
    (">Q", c.Int64ub),
    ("<Q", c.Int64ul),
    ("!i", c.Int32sb),
    ("<h", c.Int16sl),
    ("b", c.Int8sb),
    ("varint", c.VarInt),
]
IDS = [fmt for fmt, _ in ORACLES]
PAYLOADS = st.binary(max_size=300)


def _fits(fmt: str, payload: bytes) -> bool:
    return len(payload) <= LengthPrefixed(fmt).max_length


@pytest.mark.parametrize(("fmt", "integer"), ORACLES, ids=IDS)
@given(payloads=st.lists(PAYLOADS, max_size=4))
def test_encode_is_what_construct_builds_and_parses(
    fmt: str, integer: c.Construct, payloads: list[bytes]
) -> None:
    oracle = c.Prefixed(integer, c.GreedyBytes)
    payloads = [p for p in payloads if _fits(fmt, p)]
    wire = encode_all(LengthPrefixed(fmt), payloads)
    assert wire == b"".join(map(oracle.build, payloads))
    assert list(c.GreedyRange(oracle).parse(wire)) == payloads


@pytest.mark.parametrize(("fmt", "integer"), ORACLES, ids=IDS)
@given(data=st.data())
def test_decoder_reads_what_construct_builds_in_any_chunking(
    fmt: str, integer: c.Construct, data: st.DataObject
) -> None:
    payloads = [p for p in data.draw(st.lists(PAYLOADS, max_size=4)) if _fits(fmt, p)]
    wire = b"".join(c.Prefixed(integer, c.GreedyBytes).build(p) for p in payloads)
    assert decode_chunks(LengthPrefixed(fmt), data.draw(chunked(wire))) == payloads


@given(payload=PAYLOADS)
def test_construct_varint_header_is_the_varint_header(payload: bytes) -> None:
    assert LengthPrefixed(c.VarInt).encode(payload) == LengthPrefixed("varint").encode(payload)


@pytest.mark.parametrize(("fmt", "integer"), ORACLES, ids=IDS)
def test_construct_integer_header_is_the_struct_header(fmt: str, integer: c.Construct) -> None:
    wire = LengthPrefixed(fmt).encode(b"abc")
    assert LengthPrefixed(integer).encode(b"abc") == wire
    assert LengthPrefixed(integer).decode(wire) == [b"abc"]


# -- construct integers of other widths -------------------------------------------


@pytest.mark.parametrize(
    ("integer", "header"),
    [
        (c.Int24ub, b"\x00\x01\x02"),
        (c.Int24ul, b"\x02\x01\x00"),
        (c.Int24sb, b"\x00\x01\x02"),
        (c.BytesInteger(5), b"\x00\x00\x00\x01\x02"),
        (c.BytesInteger(3, swapped=True), b"\x02\x01\x00"),
    ],
    ids=["Int24ub", "Int24ul", "Int24sb", "BytesInteger(5)", "BytesInteger(3,swapped)"],
)
def test_odd_width_integer_header_round_trips(integer: c.Construct, header: bytes) -> None:
    payload = b"\x07" * 258
    codec = LengthPrefixed(integer)
    assert (
        codec.encode(payload)
        == header + payload
        == c.Prefixed(integer, c.GreedyBytes).build(payload)
    )
    assert decode_every_way(codec, header + payload[:3], eof=False) == []
    assert codec.decode(header + payload) == [payload]


def test_int24_default_max_length_is_what_it_can_express() -> None:
    assert LengthPrefixed(c.Int24ub).max_length == 2**24 - 1
    assert LengthPrefixed(c.Int24sb).max_length == 2**23 - 1


def test_int24_max_length_beyond_it_is_refused() -> None:
    with pytest.raises(ValueError, match="max_length"):
        LengthPrefixed(c.Int24ub, max_length=2**24)


def test_negative_int24_length_is_invalid() -> None:
    assert kinds(decode_every_way(LengthPrefixed(c.Int24sb), b"\xff\xff\xffabc")) == [InvalidFrame]


def test_hostile_int24_length_is_too_large_at_once() -> None:
    decoder = fed(LengthPrefixed(c.Int24ub, max_length=1000), b"\xff\xff\xff")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (2**24 - 1, 1000)


@pytest.mark.parametrize("header", [c.Float32b, c.Bytes(4), c.GreedyBytes, c.CString("ascii")])
def test_construct_that_is_not_a_fixed_size_integer_is_refused(header: c.Construct) -> None:
    with pytest.raises(ValueError, match="header"):
        LengthPrefixed(header)


# -- construct Struct headers ------------------------------------------------------

HEADER = c.Struct("magic" / c.Const(b"FR"), "type" / c.Int8ub, "length" / c.Int16ub)


def test_struct_header_encodes_const_fields_and_the_length() -> None:
    assert LengthPrefixed(HEADER).encode(b"hello", type=3) == b"FR\x03\x00\x05hello"


def test_struct_header_is_what_construct_builds() -> None:
    frame = c.Struct("header" / HEADER, "payload" / c.Bytes(c.this.header.length))
    wire = LengthPrefixed(HEADER).encode(b"hello", type=9)
    assert frame.parse(wire).payload == b"hello"
    assert frame.parse(wire).header.type == 9


def test_struct_header_decodes_to_frames_with_fields() -> None:
    events = decode_every_way(LengthPrefixed(HEADER), b"FR\x03\x00\x05helloFR\x07\x00\x00")
    assert events == [b"hello", b""]
    assert all(isinstance(frame, Frame) for frame in events)
    assert [frame.fields for frame in events] == [{"type": 3}, {"type": 7}]


def test_frame_re_encodes_with_its_fields() -> None:
    codec = LengthPrefixed(HEADER)
    [frame] = codec.decode(b"FR\x03\x00\x02hi")
    assert codec.encode(frame) == b"FR\x03\x00\x02hi"
    assert codec.encode(frame, type=4) == b"FR\x04\x00\x02hi"


def test_struct_header_const_mismatch_is_invalid() -> None:
    assert kinds(decode_every_way(LengthPrefixed(HEADER), b"XX\x03\x00\x02hi")) == [InvalidFrame]


def test_struct_header_const_mismatch_after_good_frames() -> None:
    codec = LengthPrefixed(HEADER)
    events = decode_every_way(codec, codec.encode(b"a", type=1) + b"FX\x01\x00\x00")
    assert kinds(events) == [b"a", InvalidFrame]


def test_struct_header_missing_field_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="type"):
        LengthPrefixed(HEADER).encode(b"hello")


def test_struct_header_unknown_field_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="colour"):
        LengthPrefixed(HEADER).encode(b"hello", type=1, colour=2)


def test_struct_header_field_construct_cannot_build_is_an_encode_error() -> None:
    with pytest.raises(EncodeError):
        LengthPrefixed(HEADER).encode(b"hello", type=256)


def test_struct_header_max_length_is_the_length_field_range() -> None:
    assert LengthPrefixed(HEADER).max_length == 65535
    with pytest.raises(ValueError, match="max_length"):
        LengthPrefixed(HEADER, max_length=65536)


def test_struct_header_length_above_max_length_is_too_large() -> None:
    events = decode_every_way(LengthPrefixed(HEADER, max_length=4), b"FR\x01\x00\x05hello")
    assert kinds(events) == [FrameTooLarge]
    assert (events[0].length, events[0].max_length) == (5, 4)


def test_struct_header_includes_header() -> None:
    codec = LengthPrefixed(HEADER, includes_header=True)
    assert codec.encode(b"hi", type=1) == b"FR\x01\x00\x07hi"
    assert codec.decode(b"FR\x01\x00\x07hi") == [b"hi"]


def test_struct_header_eof_mid_header_keeps_its_bytes() -> None:
    error = only_error(decode_every_way(LengthPrefixed(HEADER), b"FR\x01\x00"), IncompleteFrame)
    assert error.partial == b"FR\x01\x00"


def test_struct_header_without_a_length_field_is_refused() -> None:
    with pytest.raises(ValueError, match="length"):
        LengthPrefixed(c.Struct("type" / c.Int8ub, "size" / c.Int16ub))


def test_encoding_fields_without_a_struct_header_is_refused() -> None:
    with pytest.raises(EncodeError):
        LengthPrefixed("!I").encode(b"hello", type=3)


def test_signed_construct_integer_of_any_kind_has_a_signed_range() -> None:
    # Hex() wraps Int16sb: not a FormatField, so read through construct itself.
    codec = LengthPrefixed(c.Hex(c.Int16sb))
    assert codec.max_length == 2**15 - 1
    assert codec.decode(codec.encode(b"abc")) == [b"abc"]
    with pytest.raises(ValueError, match="max_length"):
        LengthPrefixed(c.Hex(c.Int16sb), max_length=2**15)


def test_unsigned_construct_integer_of_any_kind_has_the_full_range() -> None:
    assert LengthPrefixed(c.Hex(c.Int16ub)).max_length == 2**16 - 1


def test_construct_integer_that_refuses_a_length_refuses_it_both_ways() -> None:
    codec = LengthPrefixed(c.ExprValidator(c.Int8ub, lambda length, _: length < 100))
    assert codec.decode(codec.encode(b"x" * 99)) == [b"x" * 99]
    with pytest.raises(EncodeError):
        codec.encode(b"x" * 100)
    assert kinds(decode_every_way(codec, b"\x64" + b"x" * 100)) == [InvalidFrame]


def test_construct_that_cannot_parse_zeros_is_not_a_length() -> None:
    with pytest.raises(ValueError, match="integer"):
        LengthPrefixed(c.Const(b"\x01\x02"))


def test_integer_with_a_computed_byte_order_is_read_through_construct() -> None:
    header = c.BytesInteger(3, swapped=lambda _: True)
    codec = LengthPrefixed(header)
    assert codec.encode(b"abc") == b"\x03\x00\x00abc"
    assert decode_every_way(codec, b"\x03\x00\x00abc") == [b"abc"]


def test_frame_is_its_payload_with_fields_and_pickles() -> None:
    frame = LengthPrefixed(HEADER).decode(b"FR\x05\x00\x02hi")[0]
    assert frame == b"hi"
    assert "hi" in repr(frame)
    assert "'type': 5" in repr(frame)
    copy = pickle.loads(pickle.dumps(frame))
    assert (copy, copy.fields, type(copy)) == (b"hi", {"type": 5}, Frame)
