"""Lines: payload + LF out, LF or CRLF in; strict CRLF, unterminated and universal modes."""

from __future__ import annotations

import pytest
from hypothesis import settings

from framing import EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame, Lines
from framing.testing import check_codec
from helpers import decode_every_way, fed, kinds, only_error
from test_linear import BOUND, MIB, growth, many_frames_in_one_chunk, one_frame_in_chunks

EXAMPLES = min(25, settings().max_examples)  # per check of the conformance suite


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


# --------------------------------------------------------------------------
# universal_newlines: b"\n", b"\r\n" and a lone b"\r" all end a line
# --------------------------------------------------------------------------

UNIVERSAL = Lines(universal_newlines=True)


@pytest.mark.parametrize(
    ("wire", "lines"),
    [
        (b"a\nb\r\nc\r", [b"a", b"b", b"c"]),
        (b"a\rb\r", [b"a", b"b"]),
        (b"\r\r\n\n\r", [b"", b"", b"", b""]),
        (b"a\r\r\n", [b"a", b""]),
        (b"a\n\r\n", [b"a", b""]),
        (b"a\n\rb\n", [b"a", b"", b"b"]),
        (b"a\tb \x00\n", [b"a\tb \x00"]),
    ],
)
def test_universal_newlines_end_lines_at_lf_crlf_and_a_lone_cr(
    wire: bytes, lines: list[bytes]
) -> None:
    assert decode_every_way(UNIVERSAL, wire) == lines


def test_universal_newlines_crlf_split_across_chunks_is_one_line_end() -> None:
    decoder = fed(UNIVERSAL, b"one\r")
    assert decoder.next_frame() is None  # a lone b"\r", or the start of b"\r\n"?
    decoder.feed(b"\n")
    assert list(decoder) == [b"one"]
    decoder.feed(b"two\r")
    decoder.feed(b"\n")
    decoder.feed(b"three\r")
    decoder.feed(b"four\n")
    assert list(decoder) == [b"two", b"three", b"four"]  # and no empty line
    assert decoder.buffered == 0


def test_universal_newlines_lone_cr_at_eof_ends_the_last_line() -> None:
    decoder = fed(UNIVERSAL, b"a\r\nlast\r")
    assert list(decoder) == [b"a"]
    assert decoder.buffered == 5
    decoder.feed_eof()
    assert list(decoder) == [b"last"]
    assert decoder.buffered == 0


def test_universal_newlines_unterminated_last_line_is_incomplete_by_default() -> None:
    error = only_error(decode_every_way(UNIVERSAL, b"a\rbc"), IncompleteFrame)
    assert error.partial == b"bc"


def test_universal_newlines_allow_unterminated_returns_the_last_line() -> None:
    codec = Lines(universal_newlines=True, allow_unterminated=True)
    assert decode_every_way(codec, b"a\rbc") == [b"a", b"bc"]
    assert decode_every_way(codec, b"a\rbc\r") == [b"a", b"bc"]
    assert decode_every_way(codec, b"a\r") == [b"a"]
    assert decode_every_way(codec, b"") == []


def test_universal_newlines_encode_writes_lf() -> None:
    assert UNIVERSAL.encode(b"hello") == b"hello\n"
    assert UNIVERSAL.encode_parts(b"hello") == (b"hello", b"\n")
    assert UNIVERSAL.encode(bytearray(b"")) == b"\n"


@pytest.mark.parametrize("payload", [b"a\rb", b"\r", b"a\r", b"a\nb", b"\ra"])
@pytest.mark.parametrize(
    "as_type", [bytes, bytearray, memoryview], ids=["bytes", "bytearray", "memoryview"]
)
def test_universal_newlines_encode_refuses_cr_and_lf_anywhere(
    payload: bytes, as_type: type
) -> None:
    with pytest.raises(EncodeError, match=r"contains b'\\[rn]'"):
        UNIVERSAL.encode(as_type(payload))


def test_universal_newlines_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError, match="4 bytes exceeds max_length of 3"):
        Lines(universal_newlines=True, max_length=3).encode(b"abcd")


def test_universal_newlines_and_strict_crlf_contradict_each_other() -> None:
    with pytest.raises(ValueError, match="cannot both be set"):
        Lines(strict_crlf=True, universal_newlines=True)


def test_universal_newlines_shows_in_the_repr_only_when_set() -> None:
    assert repr(Lines()) == "Lines(max_length=65536, strict_crlf=False, allow_unterminated=False)"
    assert repr(UNIVERSAL) == (
        "Lines(max_length=65536, strict_crlf=False, allow_unterminated=False, "
        "universal_newlines=True)"
    )
    assert Lines(universal_newlines=False) == Lines()
    assert hash(Lines(universal_newlines=False)) == hash(Lines())
    assert Lines() != UNIVERSAL
    assert Lines(universal_newlines=True) == UNIVERSAL
    assert (Lines().universal_newlines, UNIVERSAL.universal_newlines) == (False, True)
    assert UNIVERSAL.largest_frame == 65536 + 2


def test_universal_newlines_line_of_exactly_max_length_is_accepted() -> None:
    codec = Lines(universal_newlines=True, max_length=3)
    assert decode_every_way(codec, b"abc\rabc\r\nabc\n") == [b"abc", b"abc", b"abc"]


def test_universal_newlines_too_long_line_is_reported_once_then_skipped() -> None:
    codec = Lines(universal_newlines=True, max_length=3)
    events = decode_every_way(codec, b"ok\rabcd\r\nok\n")
    assert kinds(events) == [b"ok", FrameTooLarge, b"ok"]
    assert (events[1].length, events[1].max_length) == (4, 3)


def test_universal_newlines_too_long_line_is_reported_before_its_end_arrives() -> None:
    decoder = fed(Lines(universal_newlines=True, max_length=3), b"abcd")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (4, 3)
    decoder.feed(b"e\r")
    assert decoder.next_frame() is None
    decoder.feed(b"\nok\r")
    decoder.feed_eof()
    assert list(decoder) == [b"ok"]


def test_universal_newlines_a_cr_that_may_start_crlf_is_not_counted_in_max_length() -> None:
    decoder = fed(Lines(universal_newlines=True, max_length=3), b"abc\r")
    assert decoder.next_frame() is None
    decoder.feed(b"\n")
    assert decoder.next_frame() == b"abc"


def test_universal_newlines_allow_unterminated_last_line_over_max_length_is_too_large() -> None:
    codec = Lines(universal_newlines=True, max_length=3, allow_unterminated=True)
    assert kinds(decode_every_way(codec, b"ab\rabcd")) == [b"ab", FrameTooLarge]


def test_universal_newlines_detach_hands_over_a_line_waiting_for_the_next_byte() -> None:
    decoder = fed(UNIVERSAL, b"a\nb\r")
    assert list(decoder) == [b"a"]
    assert decoder.buffered == 2
    assert decoder.detach() == b"b\r"
    assert decoder.buffered == 0
    decoder.feed(b"\nc\n")
    assert list(decoder) == [b"", b"c"]  # a fresh start: this b"\n" ends an empty line


def test_universal_newlines_endless_line_is_too_large_at_max_length_and_memory_stays_bounded() -> (
    None
):
    codec = Lines(universal_newlines=True, max_length=1000)
    decoder = codec.decoder()
    errors = []
    for fed_before in range(0, 4_000_000, 1000):
        decoder.feed(b"x" * 1000)
        try:
            assert decoder.next_frame() is None
        except FrameTooLarge as error:
            errors.append((fed_before, error.length))
        assert decoder.buffered <= codec.largest_frame
    assert errors == [(1000, 2000)]  # once, as soon as the line went past max_length
    decoder.feed(b"\rok\r\n")
    assert list(decoder) == [b"ok"]


@pytest.mark.parametrize(
    "codec",
    [
        Lines(universal_newlines=True, max_length=5),
        Lines(universal_newlines=True, allow_unterminated=True, max_length=4),
        Lines(universal_newlines=True),
    ],
    ids=repr,
)
def test_universal_newlines_pass_the_conformance_suite(codec: Lines) -> None:
    check_codec(codec, max_examples=EXAMPLES)


def test_universal_newlines_decode_in_linear_time() -> None:
    codec = Lines(universal_newlines=True, max_length=2 * MIB)
    assert growth(lambda size: one_frame_in_chunks(codec, size), 256 * 1024, MIB) < BOUND
    many = growth(lambda n: many_frames_in_one_chunk(codec, n, iterate=False), 4096, 16384)
    assert many < BOUND
