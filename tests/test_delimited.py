"""Delimited: payload + delimiter, any delimiter, split across feeds or not."""

from __future__ import annotations

import pytest

from framing import Delimited, EncodeError, FrameTooLarge, IncompleteFrame
from helpers import decode_chunks, decode_every_way, fed, kinds, only_error


@pytest.mark.parametrize(
    ("delimiter", "payload", "wire"),
    [
        (b"\n", b"hello", b"hello\n"),
        (b"\r\n", b"hello", b"hello\r\n"),
        (b"\x00", b"", b"\x00"),
        (b"\r\n\r\n", b"GET / HTTP/1.0\r\nHost: x", b"GET / HTTP/1.0\r\nHost: x\r\n\r\n"),
        (b"aa", b"ab", b"abaa"),
        (b"aba", b"b", b"baba"),
    ],
)
def test_encode_appends_the_delimiter(delimiter: bytes, payload: bytes, wire: bytes) -> None:
    assert Delimited(delimiter).encode(payload) == wire


def test_read_frames_multi_packet() -> None:
    assert decode_every_way(Delimited(), b"a\nbc\n\n") == [b"a", b"bc", b""]


def test_read_crlf_frames_split_across_the_delimiter() -> None:
    assert decode_every_way(Delimited(b"\r\n"), b"a\r\nb\nc\r\n") == [b"a", b"b\nc"]


def test_read_frames_with_a_four_byte_delimiter() -> None:
    wire = b"GET /\r\nHost: x\r\n\r\nbody\r\n\r\n"
    assert decode_every_way(Delimited(b"\r\n\r\n"), wire) == [b"GET /\r\nHost: x", b"body"]


def test_partial_delimiter_then_payload_is_not_a_delimiter() -> None:
    assert decode_every_way(Delimited(b"\r\n\r\n"), b"a\r\n\r\r\n\r\n") == [b"a\r\n\r"]


@pytest.mark.parametrize(
    ("delimiter", "wire", "expected"),
    [
        (b"aa", b"xaaa", [b"x", (IncompleteFrame, b"a")]),
        (b"aa", b"aaaa", [b"", b""]),
        (b"aba", b"ababa", [b"", (IncompleteFrame, b"ba")]),
        (b"aba", b"babaaba", [b"b", b""]),
        (b"aab", b"aaab", [b"a"]),
    ],
)
def test_self_overlapping_delimiter_is_found_at_its_first_end(
    delimiter: bytes, wire: bytes, expected: list[object]
) -> None:
    events = decode_every_way(Delimited(delimiter), wire)
    summary = [(type(e), e.partial) if isinstance(e, IncompleteFrame) else e for e in events]
    assert summary == expected


@pytest.mark.parametrize(
    ("delimiter", "payload"),
    [
        (b"\n", b"a\nb"),
        (b"\r\n", b"a\r\nb"),
        (b"aa", b"a"),
        (b"aa", b"ba"),
        (b"aa", b"aab"),
        (b"aba", b"ab"),
        (b"aba", b"xaba"),
    ],
)
def test_encode_refuses_payloads_that_would_not_decode_back(
    delimiter: bytes, payload: bytes
) -> None:
    with pytest.raises(EncodeError):
        Delimited(delimiter).encode(payload)


@pytest.mark.parametrize(
    ("delimiter", "payload"), [(b"\r\n", b"a\rb\n"), (b"\r\n", b"\n\r"), (b"aba", b"abb")]
)
def test_encode_accepts_partial_delimiters_that_decode_back(
    delimiter: bytes, payload: bytes
) -> None:
    codec = Delimited(delimiter)
    assert codec.decode(codec.encode(payload)) == [payload]


def test_empty_delimiter_is_refused() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        Delimited(b"")


def test_default_is_newline_with_64_kib_limit() -> None:
    codec = Delimited()
    assert (codec.delimiter, codec.max_length) == (b"\n", 65536)


def test_frame_of_exactly_max_length_is_accepted() -> None:
    assert decode_every_way(Delimited(b"\r\n", max_length=3), b"abc\r\n") == [b"abc"]


def test_too_long_frame_is_reported_once_then_skipped() -> None:
    events = decode_every_way(Delimited(b"\r\n", max_length=3), b"abcd\r\nok\r\n")
    assert kinds(events) == [FrameTooLarge, b"ok"]
    assert events[0].max_length == 3


def test_too_long_frame_is_reported_as_soon_as_max_length_is_exceeded() -> None:
    decoder = fed(Delimited(max_length=5), b"abcdef")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (6, 5)


def test_too_long_frame_length_counts_payload_bytes_seen() -> None:
    decoder = fed(Delimited(max_length=5), b"abcdefghij")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert 6 <= info.value.length <= 10


def test_too_long_frame_with_a_long_tail_is_reported_once() -> None:
    chunks = [b"x" * 10] * 50 + [b"\nok\n"]
    assert kinds(decode_chunks(Delimited(max_length=5), chunks)) == [FrameTooLarge, b"ok"]


def test_messages_before_a_too_long_frame_come_first() -> None:
    events = decode_every_way(Delimited(max_length=2), b"a\nbb\nccc\nd\n")
    assert kinds(events) == [b"a", b"bb", FrameTooLarge, b"d"]


def test_eof_inside_a_frame_is_incomplete_with_its_bytes() -> None:
    error = only_error(decode_every_way(Delimited(b"\r\n"), b"a\r\nbc\r"), IncompleteFrame)
    assert error.partial == b"bc\r"


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        Delimited(max_length=3).encode(b"abcd")


def test_bytes_needed_is_unknown() -> None:
    decoder = fed(Delimited(), b"abc")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed is None


@pytest.mark.parametrize("as_type", [bytearray, memoryview], ids=["bytearray", "memoryview"])
@pytest.mark.parametrize(("delimiter", "payload"), [(b"\n", b"a\nb"), (b"\r\n", b"a\r\nb")])
def test_encode_refuses_the_delimiter_in_any_bytes_like(
    as_type: type, delimiter: bytes, payload: bytes
) -> None:
    with pytest.raises(EncodeError):
        Delimited(delimiter).encode(as_type(payload))


def test_too_long_frame_is_dropped_when_reported() -> None:
    # Memory stays within max_length plus one chunk even if the caller feeds
    # another chunk before iterating again.
    decoder = fed(Delimited(b"\r\n", max_length=5), b"abcdefgh\r")
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    assert decoder.buffered <= 1
    decoder.feed(b"\nok\r\n")
    assert list(decoder) == [b"ok"]


@pytest.mark.parametrize(
    ("delimiter", "wire"),
    [(b"\r\n", b"abcd"), (b"\r\n", b"abc\r\r"), (b"\r\n\r\n", b"abcd\r\n"), (b"aba", b"abcdab")],
)
def test_unterminated_frame_over_max_length_is_too_large_not_incomplete(
    delimiter: bytes, wire: bytes
) -> None:
    # More than max_length payload bytes are there: only a tail that starts
    # the delimiter may still turn out not to be payload.
    assert kinds(decode_every_way(Delimited(delimiter, max_length=3), wire)) == [FrameTooLarge]


@pytest.mark.parametrize(("delimiter", "wire"), [(b"\r\n", b"abc\r"), (b"aba", b"abcab")])
def test_unterminated_frame_ending_in_a_partial_delimiter_may_still_fit(
    delimiter: bytes, wire: bytes
) -> None:
    error = only_error(decode_every_way(Delimited(delimiter, max_length=3), wire), IncompleteFrame)
    assert error.partial == wire
