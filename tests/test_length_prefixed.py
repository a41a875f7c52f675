"""LengthPrefixed: struct integer or varint header, then the payload."""

from __future__ import annotations

import array

import pytest

from framing import (
    EncodeError,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
)
from helpers import decode_every_way, encode_all, fed, kinds

MIB = 1024 * 1024

# Every width and byte order; 258 == 0x0102 shows the byte order.
STRUCT_WIRE = [
    ("B", 3, b"\x03"),
    ("b", 3, b"\x03"),
    ("B", 255, b"\xff"),
    ("b", 127, b"\x7f"),
    (">H", 258, b"\x01\x02"),
    ("<H", 258, b"\x02\x01"),
    ("!H", 258, b"\x01\x02"),
    (">h", 258, b"\x01\x02"),
    ("<h", 258, b"\x02\x01"),
    ("!I", 258, b"\x00\x00\x01\x02"),
    (">I", 258, b"\x00\x00\x01\x02"),
    ("<I", 258, b"\x02\x01\x00\x00"),
    ("!i", 258, b"\x00\x00\x01\x02"),
    ("<i", 258, b"\x02\x01\x00\x00"),
    (">Q", 258, b"\x00" * 6 + b"\x01\x02"),
    ("<Q", 258, b"\x02\x01" + b"\x00" * 6),
    (">q", 258, b"\x00" * 6 + b"\x01\x02"),
    ("<q", 258, b"\x02\x01" + b"\x00" * 6),
]


@pytest.mark.parametrize(("fmt", "size", "header"), STRUCT_WIRE)
def test_struct_header_has_its_width_and_byte_order(fmt: str, size: int, header: bytes) -> None:
    payload = b"\x07" * size
    assert LengthPrefixed(fmt).encode(payload) == header + payload


@pytest.mark.parametrize(("fmt", "size", "header"), STRUCT_WIRE)
def test_struct_header_decodes_any_chunking(fmt: str, size: int, header: bytes) -> None:
    payload = b"\x07" * size
    assert decode_every_way(LengthPrefixed(fmt), header + payload) == [payload]


def test_default_header_is_network_order_u32() -> None:
    assert LengthPrefixed().encode(b"hello") == b"\x00\x00\x00\x05hello"


@pytest.mark.parametrize(
    ("length", "header"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")],
)
def test_varint_header_is_leb128(length: int, header: bytes) -> None:
    payload = b"v" * length
    assert LengthPrefixed("varint").encode(payload) == header + payload


@pytest.mark.parametrize(("length", "header"), [(127, b"\x7f"), (128, b"\x80\x01")])
def test_varint_frames_decode_any_chunking(length: int, header: bytes) -> None:
    payload = b"v" * length
    assert decode_every_way(LengthPrefixed("varint"), header + payload + b"\x00") == [payload, b""]


def test_varint_header_of_2_to_32_minus_1_is_read_as_such() -> None:
    decoder = fed(LengthPrefixed("varint"), b"\xff\xff\xff\xff\x0f")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert info.value.length == 2**32 - 1


def test_largest_ten_byte_varint_is_2_to_64_minus_1() -> None:
    decoder = fed(LengthPrefixed("varint"), b"\xff" * 9 + b"\x01")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert info.value.length == 2**64 - 1


def test_non_minimal_varint_is_accepted() -> None:
    wire = b"\x80" * 9 + b"\x00" + b"\x82\x00ab"
    assert decode_every_way(LengthPrefixed("varint"), wire) == [b"", b"ab"]


def test_eleven_byte_varint_is_invalid() -> None:
    wire = b"\x80" * 10 + b"\x00"
    assert kinds(decode_every_way(LengthPrefixed("varint"), wire)) == [InvalidFrame]


def test_endless_varint_continuation_is_invalid_and_never_buffered() -> None:
    decoder = fed(LengthPrefixed("varint"), b"\x80" * 11)
    with pytest.raises(InvalidFrame):
        decoder.next_frame()
    decoder.feed(b"\x80" * 10_000)
    with pytest.raises(InvalidFrame):
        decoder.next_frame()
    assert decoder.buffered <= 11


@pytest.mark.parametrize(
    ("fmt", "header"), [("b", b"\xff"), ("!i", b"\xff\xff\xff\xff"), ("<h", b"\x00\x80")]
)
def test_negative_signed_length_is_invalid(fmt: str, header: bytes) -> None:
    assert kinds(decode_every_way(LengthPrefixed(fmt), header + b"abc")) == [InvalidFrame]


def test_includes_header_counts_the_header() -> None:
    assert LengthPrefixed("!I", includes_header=True).encode(b"abc") == b"\x00\x00\x00\x07abc"


def test_includes_header_decodes_any_chunking() -> None:
    codec = LengthPrefixed(">H", includes_header=True)
    assert decode_every_way(codec, b"\x00\x05abc\x00\x02") == [b"abc", b""]


@pytest.mark.parametrize("declared", [b"\x00\x00\x00\x00", b"\x00\x00\x00\x03"])
def test_includes_header_length_below_the_header_size_is_invalid(declared: bytes) -> None:
    codec = LengthPrefixed("!I", includes_header=True)
    assert kinds(decode_every_way(codec, declared + b"abc")) == [InvalidFrame]


@pytest.mark.parametrize(("size", "header"), [(126, b"\x7f"), (127, b"\x81\x01")])
def test_varint_includes_header_counts_its_own_width(size: int, header: bytes) -> None:
    codec = LengthPrefixed("varint", includes_header=True)
    wire = codec.encode(b"p" * size)
    assert wire == header + b"p" * size
    assert codec.decode(wire) == [b"p" * size]


def test_hostile_length_is_too_large_before_any_payload() -> None:
    decoder = fed(LengthPrefixed("!I", max_length=MIB), b"\xff\xff\xff\xff")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (2**32 - 1, MIB)
    assert decoder.buffered <= 4


def test_hostile_decoder_stays_failed_and_discards_input() -> None:
    decoder = fed(LengthPrefixed("!I", max_length=MIB), b"\xff\xff\xff\xff")
    with pytest.raises(FrameTooLarge) as first:
        decoder.next_frame()
    decoder.feed(LengthPrefixed("!I").encode(b"fine") * 1000)
    with pytest.raises(FrameTooLarge) as again:
        decoder.next_frame()
    assert again.value.args == first.value.args
    assert decoder.buffered <= 4


def test_messages_before_a_bad_header_come_first() -> None:
    codec = LengthPrefixed(">H", max_length=10)
    events = decode_every_way(codec, encode_all(codec, [b"a", b"bc"]) + b"\x00\x0bxxxx")
    assert kinds(events) == [b"a", b"bc", FrameTooLarge]
    assert (events[-1].length, events[-1].max_length) == (11, 10)


def test_length_of_exactly_max_length_is_accepted() -> None:
    codec = LengthPrefixed(">H", max_length=3)
    assert decode_every_way(codec, b"\x00\x03abc") == [b"abc"]


@pytest.mark.parametrize("cut", range(1, 9))
def test_eof_mid_header_or_payload_keeps_the_frame_bytes(cut: int) -> None:
    codec = LengthPrefixed("!I")
    second = codec.encode(b"hello")
    events = decode_every_way(codec, codec.encode(b"a") + second[:cut])
    assert kinds(events) == [b"a", IncompleteFrame]
    assert events[-1].partial == second[:cut]


@pytest.mark.parametrize(
    ("header", "max_length"),
    [
        ("B", 256),
        ("b", 128),
        (">H", 65536),
        ("<h", 32768),
        ("!I", 2**32),
        ("B", 2**40),
        ("varint", 2**64),
    ],
)
def test_max_length_beyond_the_header_is_refused(header: str, max_length: int) -> None:
    with pytest.raises(ValueError, match="max_length"):
        LengthPrefixed(header, max_length=max_length)


def test_max_length_beyond_the_header_is_refused_counting_the_header() -> None:
    with pytest.raises(ValueError, match="max_length"):
        LengthPrefixed("B", max_length=255, includes_header=True)


@pytest.mark.parametrize(
    ("header", "includes_header", "expected"),
    [
        ("!I", False, 16 * MIB),
        ("B", False, 255),
        ("b", False, 127),
        (">H", False, 65535),
        ("B", True, 254),
        (">H", True, 65533),
        ("varint", False, 16 * MIB),
        ("<Q", False, 16 * MIB),
    ],
)
def test_default_max_length_is_what_the_header_can_express_up_to_16_mib(
    header: str, includes_header: bool, expected: int
) -> None:
    assert LengthPrefixed(header, includes_header=includes_header).max_length == expected


def test_largest_expressible_max_length_is_accepted() -> None:
    assert LengthPrefixed("B", max_length=255).max_length == 255


@pytest.mark.parametrize("header", ["II", "4s", "f", "d", "", "!", "x"])
def test_header_that_is_not_one_integer_is_refused(header: str) -> None:
    with pytest.raises(ValueError, match="header"):
        LengthPrefixed(header)


def test_header_of_a_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError):
        LengthPrefixed(4)  # type: ignore[arg-type]


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        LengthPrefixed("!I", max_length=3).encode(b"abcd")


def test_encode_refuses_what_the_header_cannot_express() -> None:
    with pytest.raises(EncodeError):
        LengthPrefixed("B").encode(bytes(256))


def test_encode_counts_bytes_not_items_of_a_buffer() -> None:
    items = array.array("H", [1, 2])
    assert LengthPrefixed("B").encode(items) == b"\x04" + items.tobytes()


def test_encode_parts_do_not_copy_the_payload() -> None:
    payload = bytes(1000)
    parts = LengthPrefixed("!I").encode_parts(payload)
    assert any(p is payload or (isinstance(p, memoryview) and p.obj is payload) for p in parts)


def test_bytes_needed_is_the_rest_of_the_payload_once_the_header_is_read() -> None:
    decoder = fed(LengthPrefixed("!I"), b"\x00\x00\x00\x0aabc")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed == 7


def test_buffered_counts_a_parsed_header() -> None:
    decoder = fed(LengthPrefixed("!I"), b"\x00\x00\x00\x0aabc")
    assert decoder.next_frame() is None
    assert decoder.buffered == 7


def test_detach_returns_a_parsed_header_with_the_payload_so_far() -> None:
    decoder = fed(LengthPrefixed("!I"), b"\x00\x00\x00\x0aabc")
    assert decoder.next_frame() is None
    assert decoder.detach() == b"\x00\x00\x00\x0aabc"
    assert decoder.buffered == 0


@pytest.mark.parametrize("header", ["<n", "!N", ">n"])
def test_native_only_size_formats_with_a_byte_order_are_refused(header: str) -> None:
    # struct accepts n and N only in native mode; the error must be a ValueError.
    with pytest.raises(ValueError, match="header"):
        LengthPrefixed(header)


def test_ten_byte_varint_above_2_to_64_minus_1_is_invalid() -> None:
    wire = b"\xff" * 9 + b"\x02"
    assert kinds(decode_every_way(LengthPrefixed("varint"), wire)) == [InvalidFrame]


def test_bytes_needed_is_unknown_before_the_header_is_complete() -> None:
    decoder = fed(LengthPrefixed("!I"), b"\x00\x00")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed is None
