"""SLIP: RFC 1055 framing with END/ESC escapes."""

from __future__ import annotations

import pytest

from framing import SLIP, EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame
from helpers import decode_every_way, fed, kinds, only_error

# RFC 1055, "SLIP special character codes".
END = b"\xc0"
ESC = b"\xdb"
ESC_END = b"\xdc"
ESC_ESC = b"\xdd"


@pytest.mark.parametrize(
    ("payload", "escaped"),
    [
        (b"hello", b"hello"),
        (END, ESC + ESC_END),
        (ESC, ESC + ESC_ESC),
        (b"a" + END + ESC + b"b", b"a" + ESC + ESC_END + ESC + ESC_ESC + b"b"),
        (ESC_END + ESC_ESC, ESC_END + ESC_ESC),
        (ESC + ESC_END, ESC + ESC_ESC + ESC_END),
    ],
)
def test_encode_escapes_as_rfc_1055_with_a_leading_end(payload: bytes, escaped: bytes) -> None:
    assert SLIP().encode(payload) == END + escaped + END
    assert SLIP(leading_end=False).encode(payload) == escaped + END


@pytest.mark.parametrize(
    ("wire", "payload"),
    [
        (END + b"hello" + END, b"hello"),
        (b"hello" + END, b"hello"),
        (END + ESC + ESC_END + ESC + ESC_ESC + END, END + ESC),
        (ESC_END + ESC_ESC + END, ESC_END + ESC_ESC),
    ],
)
def test_decode_unescapes_any_chunking(wire: bytes, payload: bytes) -> None:
    assert decode_every_way(SLIP(), wire) == [payload]


def test_empty_packets_are_dropped() -> None:
    assert decode_every_way(SLIP(), END * 3 + b"a" + END * 2 + b"b" + END) == [b"a", b"b"]


def test_stream_of_only_ends_is_a_clean_eof() -> None:
    assert decode_every_way(SLIP(), END * 4) == []


def test_encode_refuses_an_empty_message() -> None:
    with pytest.raises(EncodeError):
        SLIP().encode(b"")


@pytest.mark.parametrize("bad", [ESC + b"a", ESC + ESC, ESC + b"\x00"])
def test_bad_escape_is_invalid_then_resynchronised(bad: bytes) -> None:
    wire = END + b"a" + END + END + bad + b"zz" + END + b"b" + END
    assert kinds(decode_every_way(SLIP(), wire)) == [b"a", InvalidFrame, b"b"]


def test_escape_before_end_is_invalid_and_end_still_delimits() -> None:
    assert kinds(decode_every_way(SLIP(), b"x" + ESC + END + b"b" + END)) == [InvalidFrame, b"b"]


def test_escaped_frame_of_max_length_is_accepted() -> None:
    payload = END * 4
    assert decode_every_way(SLIP(max_length=4), SLIP().encode(payload)) == [payload]


def test_frame_over_max_length_is_too_large_then_resynchronised() -> None:
    wire = SLIP().encode(b"abcde") + SLIP().encode(b"ok")
    events = decode_every_way(SLIP(max_length=4), wire)
    assert kinds(events) == [FrameTooLarge, b"ok"]
    assert events[0].max_length == 4


def test_escaped_frame_over_max_length_is_too_large() -> None:
    events = decode_every_way(SLIP(max_length=4), SLIP().encode(ESC * 5))
    assert kinds(events) == [FrameTooLarge]


@pytest.mark.parametrize("cut", range(1, 5))
def test_eof_inside_a_frame_keeps_its_bytes(cut: int) -> None:
    codec = SLIP(leading_end=False)
    second = codec.encode(b"a" + END + b"b")
    error = only_error(decode_every_way(codec, codec.encode(b"x") + second[:cut]), IncompleteFrame)
    assert error.partial == second[:cut]


def test_eof_after_a_leading_end_keeps_the_unfinished_bytes() -> None:
    error = only_error(decode_every_way(SLIP(), SLIP().encode(b"x") + END + b"ab"), IncompleteFrame)
    assert error.partial in (b"ab", END + b"ab")
    decoder = fed(SLIP(), SLIP().encode(b"x") + END + b"ab")
    assert decoder.next_frame() == b"x"
    assert decoder.next_frame() is None
    assert decoder.detach() == error.partial


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        SLIP(max_length=3).encode(b"abcd")


def test_default_max_length_is_64_kib() -> None:
    assert SLIP().max_length == 65536
