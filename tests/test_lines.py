"""Lines: payload + LF out, LF or CRLF in; strict CRLF and unterminated modes."""

from __future__ import annotations

import pytest

from framing import EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame, Lines
from helpers import decode_every_way, fed, kinds, only_error


def test_encode_appends_lf() -> None:
    assert Lines().encode(b"hello") == b"hello\n"


def test_strict_crlf_encode_appends_crlf() -> None:
    assert Lines(strict_crlf=True).encode(b"hello") == b"hello\r\n"


def test_read_lf_and_crlf_lines() -> None:
    assert decode_every_way(Lines(), b"a\nb\r\n\n\r\n") == [b"a", b"b", b"", b""]


def test_only_one_trailing_cr_is_stripped() -> None:
    assert decode_every_way(Lines(), b"a\r\r\n") == [b"a\r"]


def test_cr_inside_a_line_is_kept() -> None:
    assert decode_every_way(Lines(), b"a\rb\n") == [b"a\rb"]


@pytest.mark.parametrize("payload", [b"a\nb", b"\n", b"a\r", b"\r"])
def test_encode_refuses_lf_and_trailing_cr(payload: bytes) -> None:
    with pytest.raises(EncodeError):
        Lines().encode(payload)


@pytest.mark.parametrize("payload", [b"a\nb", b"a\r"])
def test_strict_crlf_encode_refuses_lf_and_trailing_cr(payload: bytes) -> None:
    with pytest.raises(EncodeError):
        Lines(strict_crlf=True).encode(payload)


def test_encode_keeps_a_cr_inside_the_line() -> None:
    assert Lines().encode(b"a\rb") == b"a\rb\n"


def test_strict_crlf_rejects_a_bare_lf_and_goes_on() -> None:
    events = decode_every_way(Lines(strict_crlf=True), b"a\r\nb\nc\r\n")
    assert kinds(events) == [b"a", InvalidFrame, b"c"]


def test_unterminated_last_line_is_incomplete_by_default() -> None:
    error = only_error(decode_every_way(Lines(), b"a\nbc"), IncompleteFrame)
    assert error.partial == b"bc"


def test_unterminated_cr_at_eof_is_part_of_the_partial() -> None:
    error = only_error(decode_every_way(Lines(), b"bc\r"), IncompleteFrame)
    assert error.partial == b"bc\r"


def test_allow_unterminated_returns_the_last_line_at_eof() -> None:
    assert decode_every_way(Lines(allow_unterminated=True), b"a\nbc") == [b"a", b"bc"]


def test_allow_unterminated_adds_nothing_after_a_complete_line() -> None:
    assert decode_every_way(Lines(allow_unterminated=True), b"a\n") == [b"a"]


def test_stripped_cr_does_not_count_towards_max_length() -> None:
    assert decode_every_way(Lines(max_length=3), b"abc\r\nabc\n") == [b"abc", b"abc"]


def test_line_just_over_max_length_is_too_large() -> None:
    events = decode_every_way(Lines(max_length=3), b"abcd\nok\n")
    assert kinds(events) == [FrameTooLarge, b"ok"]
    assert events[0].max_length == 3


def test_inner_cr_counts_towards_max_length() -> None:
    assert kinds(decode_every_way(Lines(max_length=3), b"ab\rc\n")) == [FrameTooLarge]


def test_resynchronise_after_a_too_long_line() -> None:
    wire = b"first\n" + b"x" * 100 + b"\r\nnext\r\n"
    events = decode_every_way(Lines(max_length=10), wire)
    assert kinds(events) == [b"first", FrameTooLarge, b"next"]


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        Lines(max_length=3).encode(b"abcd")


def test_encode_allows_exactly_max_length() -> None:
    assert Lines(max_length=3).encode(b"abc") == b"abc\n"


def test_defaults() -> None:
    codec = Lines()
    assert (codec.max_length, codec.strict_crlf, codec.allow_unterminated) == (65536, False, False)


@pytest.mark.parametrize("wire", [b"abcde\n", b"abcd\n", b"abc\rd\n"])
def test_strict_too_long_bare_lf_line_is_too_large_whatever_the_chunking(wire: bytes) -> None:
    # Cut byte by byte, the decoder sees too many bytes before it sees the
    # bare LF; whole, it must report the same error.
    assert kinds(decode_every_way(Lines(strict_crlf=True, max_length=3), wire)) == [FrameTooLarge]


def test_strict_bare_lf_line_within_max_length_is_invalid() -> None:
    assert kinds(decode_every_way(Lines(strict_crlf=True, max_length=3), b"abc\n")) == [
        InvalidFrame
    ]


@pytest.mark.parametrize("as_type", [bytearray, memoryview], ids=["bytearray", "memoryview"])
@pytest.mark.parametrize("payload", [b"a\nb", b"a\r"])
def test_encode_refuses_lf_and_trailing_cr_in_any_bytes_like(as_type: type, payload: bytes) -> None:
    with pytest.raises(EncodeError):
        Lines().encode(as_type(payload))


def test_allow_unterminated_last_line_over_max_length_is_too_large() -> None:
    events = decode_every_way(Lines(max_length=3, allow_unterminated=True), b"ab\nabcd")
    assert kinds(events) == [b"ab", FrameTooLarge]


def test_unterminated_line_over_max_length_is_too_large_not_incomplete() -> None:
    assert kinds(decode_every_way(Lines(max_length=3), b"abcd")) == [FrameTooLarge]


def test_unterminated_line_ending_in_cr_may_still_fit() -> None:
    error = only_error(decode_every_way(Lines(max_length=3), b"abc\r"), IncompleteFrame)
    assert error.partial == b"abc\r"


def test_allow_unterminated_last_line_strips_its_cr_like_any_other_line() -> None:
    # b"last\r" at EOF is the line b"last": what Lines.encode can send back.
    codec = Lines(allow_unterminated=True)
    assert codec.decode(b"a\r\nlast\r") == [b"a", b"last"]
    assert kinds(decode_every_way(codec, b"a\r\nlast\r")) == [b"a", b"last"]
    assert codec.decode(b"\r") == [b""]


def test_allow_unterminated_last_line_ending_in_cr_fits_max_length_without_it() -> None:
    # b"abc\r" is a 3-byte line once its CR is stripped, at EOF as before a LF.
    assert kinds(decode_every_way(Lines(max_length=3, allow_unterminated=True), b"abc\r")) == [
        b"abc"
    ]
    decoder = fed(Lines(max_length=3, allow_unterminated=True), b"abcd\r")
    decoder.feed_eof()
    with pytest.raises(FrameTooLarge) as info:
        list(decoder)
    assert (info.value.length, info.value.max_length) == (4, 3)
