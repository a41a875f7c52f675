"""COBS: Consistent Overhead Byte Stuffing (Cheshire & Baker) + a zero delimiter."""

from __future__ import annotations

import pytest
from cobs import cobs

from framing import COBS, EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame
from helpers import decode_every_way, kinds, only_error

# The examples table of the COBS article (Wikipedia), delimiter included.
EXAMPLES = [
    (b"\x00", b"\x01\x01\x00"),
    (b"\x00\x00", b"\x01\x01\x01\x00"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01\x00"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33\x00"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44\x00"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01\x00"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255)) + b"\x00"),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255)) + b"\x00"),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff\x00"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01\x00"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01\x00"),
]
IDS = [f"{len(p)}-bytes-{p[:2].hex()}" for p, _ in EXAMPLES]


@pytest.mark.parametrize(("payload", "wire"), EXAMPLES, ids=IDS)
def test_examples_table_agrees_with_the_cobs_package(payload: bytes, wire: bytes) -> None:
    assert cobs.encode(payload) + b"\x00" == wire


@pytest.mark.parametrize(("payload", "wire"), EXAMPLES, ids=IDS)
def test_encode_matches_the_examples_table(payload: bytes, wire: bytes) -> None:
    assert COBS().encode(payload) == wire


@pytest.mark.parametrize(("payload", "wire"), EXAMPLES, ids=IDS)
def test_decode_matches_the_examples_table(payload: bytes, wire: bytes) -> None:
    assert decode_every_way(COBS(), wire) == [payload]


def test_empty_message_round_trips() -> None:
    assert COBS().encode(b"") == b"\x01\x00"
    assert decode_every_way(COBS(), b"\x01\x00") == [b""]


def test_lone_delimiter_is_an_empty_message() -> None:
    assert decode_every_way(COBS(), b"\x00\x02a\x00") == [b"", b"a"]


@pytest.mark.parametrize("frame", [b"\x05\x11\x00", b"\x03a\x00", b"\x01\x03\x00"])
def test_code_byte_past_the_end_of_the_frame_is_invalid_then_resynchronised(
    frame: bytes,
) -> None:
    events = decode_every_way(COBS(), b"\x02a\x00" + frame + b"\x02b\x00")
    assert kinds(events) == [b"a", InvalidFrame, b"b"]


def test_frame_of_exactly_max_length_with_overhead_is_accepted() -> None:
    payload = b"\x01" * 300
    assert decode_every_way(COBS(max_length=300), COBS().encode(payload)) == [payload]


def test_frame_one_byte_over_max_length_is_too_large_then_resynchronised() -> None:
    codec = COBS(max_length=300)
    events = decode_every_way(codec, COBS().encode(b"\x01" * 301) + codec.encode(b"ok"))
    assert kinds(events) == [FrameTooLarge, b"ok"]
    assert events[0].max_length == 300


def test_all_zero_frame_of_max_length_is_accepted() -> None:
    assert decode_every_way(COBS(max_length=5), COBS().encode(bytes(5))) == [bytes(5)]


def test_all_zero_frame_over_max_length_is_too_large() -> None:
    assert kinds(decode_every_way(COBS(max_length=5), COBS().encode(bytes(6)))) == [FrameTooLarge]


@pytest.mark.parametrize("cut", range(1, 4))
def test_eof_inside_a_frame_keeps_its_bytes(cut: int) -> None:
    second = COBS().encode(b"\x11\x00\x22")
    error = only_error(decode_every_way(COBS(), b"\x02a\x00" + second[:cut]), IncompleteFrame)
    assert error.partial == second[:cut]


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        COBS(max_length=3).encode(b"abcd")


def test_default_max_length_is_64_kib() -> None:
    assert COBS().max_length == 65536
