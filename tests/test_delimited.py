"""Delimited: payload + delimiter, any delimiter, split across feeds or not."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing import Delimited, EncodeError, Frame, FrameTooLarge, IncompleteFrame
from framing.codecs.delimited import DelimitedFrame
from framing.testing import check_codec
from helpers import chunked, decode_chunks, decode_every_way, fed, kinds, only_error
from test_linear import (
    BOUND,
    MIB,
    frames_straddling_chunks,
    growth,
    many_frames_in_one_chunk,
    one_frame_in_chunks,
)

EXAMPLES = min(25, settings().max_examples)  # per check of the conformance suite


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


# --------------------------------------------------------------------------
# several delimiters: the earliest ends the frame, the longest at one byte
# --------------------------------------------------------------------------

ANY_LINE_END = [b"\r\n", b"\n", b"\r"]


@pytest.mark.parametrize(
    ("delimiters", "wire", "expected"),
    [
        ([b"\r\n", b"\n", b"\x00"], b"a\r\nb\nc\x00", [b"a", b"b", b"c"]),
        (ANY_LINE_END, b"a\rb\r\nc\n\r\n\r", [b"a", b"b", b"c", b"", b""]),
        (ANY_LINE_END, b"a\r\r\n", [b"a", b""]),
        (ANY_LINE_END, b"a\n\r", [b"a", b""]),
        ([b"\r\n", b"\r"], b"a\r\r\nb\r", [b"a", b"", b"b"]),
        (
            [b"\r\n\r\n", b"\r\n"],
            b"a\r\nb\r\n\r\nc\r\n\r",
            [b"a", b"b", b"c", (IncompleteFrame, b"\r")],
        ),
        ([b"aa", b"a"], b"xaaay", [b"x", b"", (IncompleteFrame, b"y")]),
        ([b"ab", b"b"], b"xabbb", [b"x", b"", b""]),
        ([b"\n", b"ab\nc"], b"xab\nc\n", [b"x", b""]),
        ([b"\n", b"ab\nc"], b"xab\nd\n", [b"xab", b"d"]),
        ([b"\n", b"ab\nc"], b"xab\n", [b"xab"]),
        ([b"--", b"-"], b"a-b--c---", [b"a", b"b", b"c", b""]),
    ],
)
def test_several_delimiters_end_a_frame_at_the_earliest_the_longest_at_one_byte(
    delimiters: list[bytes], wire: bytes, expected: list[object]
) -> None:
    events = decode_every_way(Delimited(delimiters), wire)
    summary = [(type(e), e.partial) if isinstance(e, IncompleteFrame) else e for e in events]
    assert summary == expected


def test_the_order_of_the_delimiters_does_not_change_decoding() -> None:
    wire = b"a\rb\r\nc\n\r\n\rd"
    orders = [[b"\r\n", b"\n", b"\r"], [b"\n", b"\r\n", b"\r"], [b"\r\n", b"\r", b"\n"]]
    results = [kinds(decode_every_way(Delimited(order), wire)) for order in orders]
    assert results == [[b"a", b"b", b"c", b"", b"", IncompleteFrame]] * 3


def test_a_chunk_ending_in_a_shorter_delimiter_waits_for_the_next_byte() -> None:
    decoder = fed(Delimited(ANY_LINE_END), b"a\r")
    assert decoder.next_frame() is None
    assert decoder.buffered == 2
    decoder.feed(b"\nb\r")
    assert list(decoder) == [b"a"]  # one line end, not a then an empty line
    decoder.feed(b"c")
    assert list(decoder) == [b"b"]  # the byte after b"\r" decided it
    decoder.feed(b"\r")
    decoder.feed_eof()
    assert list(decoder) == [b"c"]  # at EOF the shorter delimiter ends the frame
    assert decoder.buffered == 0


def test_a_longer_delimiter_that_starts_earlier_is_waited_for() -> None:
    decoder = fed(Delimited([b"\n", b"ab\nc"]), b"xab\n")
    assert decoder.next_frame() is None  # b"ab\nc" may still end the frame at 1
    decoder.feed(b"d")
    assert decoder.next_frame() == b"xab"
    assert decoder.buffered == 1


def test_the_decision_waits_no_longer_than_the_longest_delimiter() -> None:
    decoder = fed(Delimited([b"\r\n\r\n", b"\r\n"]), b"a\r\n\r")
    assert decoder.next_frame() is None
    decoder.feed(b"x")
    assert decoder.next_frame() == b"a"
    assert decoder.detach() == b"\rx"


def test_encode_writes_the_first_delimiter() -> None:
    assert Delimited([b"\r\n", b"\n"]).encode(b"hi") == b"hi\r\n"
    assert Delimited([b"\n", b"\r\n"]).encode(b"hi") == b"hi\n"
    assert Delimited([b"\r\n", b"\r"]).encode_parts(b"hi") == (b"hi", b"\r\n")


@pytest.mark.parametrize(
    ("delimiters", "payload"),
    [
        ([b"\r\n", b"\n", b"\x00"], b"a\x00b"),
        ([b"\r\n", b"\n", b"\x00"], b"a\nb"),
        ([b"\r\n", b"\n", b"\x00"], b"a\r\nb"),
        ([b"\n", b"\r\n"], b"a\r"),  # a\r + \n holds b"\r\n" before the end
        ([b"\n", b"ab\nc"], b"xab"),  # b"ab\nc" may complete after the frame
        ([b"\n", b"ab\nc"], b"ab"),  # ... starting at the payload's first byte
        ([b"\r\n", b"\r"], b"a\r"),
        ([b"ab", b"ba"], b"b"),
    ],
)
def test_encode_refuses_payloads_that_may_not_decode_back_with_several_delimiters(
    delimiters: list[bytes], payload: bytes
) -> None:
    with pytest.raises(EncodeError):
        Delimited(delimiters).encode(payload)


@pytest.mark.parametrize(
    ("delimiters", "payload"),
    [
        ([b"\r\n", b"\n", b"\x00"], b"a\rb"),
        ([b"\r\n", b"\n", b"\x00"], b"\r\x01"),
        ([b"\n", b"ab\nc"], b"xa"),
        ([b"\n", b"ab\nc"], b"b"),  # b"ab\nc" would need b"ab" before b"\n"
        ([b"\r\n", b"\r"], b"\n\n"),
        ([b"ab", b"b"], b"aa"),
        ([b"ab", b"b"], b"xa"),
    ],
)
def test_encode_with_several_delimiters_accepts_partial_ones_that_decode_back(
    delimiters: list[bytes], payload: bytes
) -> None:
    codec = Delimited(delimiters)
    assert codec.decode(codec.encode(payload) * 2) == [payload, payload]


@pytest.mark.parametrize("as_type", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_encode_with_several_delimiters_takes_any_bytes_like(as_type: type) -> None:
    codec = Delimited([b"\r\n", b"\n"])
    assert codec.encode(as_type(b"ok")) == b"ok\r\n"
    with pytest.raises(EncodeError):
        codec.encode(as_type(b"a\nb"))


def test_encode_with_several_delimiters_refuses_more_than_max_length() -> None:
    codec = Delimited([b"\r\n", b"\n"], max_length=2)
    assert codec.encode(b"ab") == b"ab\r\n"
    with pytest.raises(EncodeError, match="3 bytes exceeds max_length of 2"):
        codec.encode(b"abc")


def test_the_first_delimiter_must_begin_no_other() -> None:
    with pytest.raises(ValueError, match=r"b'\\r', and it begins b'\\r\\n'"):
        Delimited([b"\r", b"\r\n"])
    assert Delimited([b"\r\n", b"\r"]).delimiter == b"\r\n"


@pytest.mark.parametrize(
    ("delimiter", "error", "match"),
    [
        ([], ValueError, "empty"),
        ([b"\n", b""], ValueError, "empty"),
        ([b"\n", b"\n"], ValueError, "twice"),
        ([b"\n", "\r"], TypeError, "encode it first"),
        ([b"\n", 13], TypeError, "must be bytes, not int"),
        ("\n", TypeError, "encode it first"),
        (10, TypeError, "bytes or a sequence of bytes, not int"),
    ],
)
def test_bad_delimiters_are_refused(delimiter: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Delimited(delimiter)


def test_delimiters_are_any_bytes_like_in_any_iterable() -> None:
    codec = Delimited(iter([bytearray(b"\r\n"), memoryview(b"\n")]))
    assert codec.delimiters == (b"\r\n", b"\n")
    assert all(type(each) is bytes for each in codec.delimiters)
    assert Delimited(bytearray(b"\r\n")) == Delimited(b"\r\n")


def test_one_delimiter_in_a_sequence_is_the_same_codec() -> None:
    codec = Delimited([b"\r\n"])
    assert codec == Delimited(b"\r\n")
    assert hash(codec) == hash(Delimited(b"\r\n"))
    assert repr(codec) == "Delimited(delimiter=b'\\r\\n', max_length=65536)"
    assert (codec.delimiter, codec.delimiters) == (b"\r\n", (b"\r\n",))


def test_a_single_delimiter_codec_shows_compares_and_hashes_as_before() -> None:
    codec = Delimited(b"\r\n", max_length=10)
    assert repr(codec) == "Delimited(delimiter=b'\\r\\n', max_length=10)"
    assert codec._values() == (b"\r\n", 10)
    assert codec != Delimited(b"\r\n", max_length=10, keep_delimiter=True)
    assert codec != Delimited(b"\r\n", max_length=10, report_delimiter=True)


def test_several_delimiters_and_options_show_in_the_repr_and_make_other_codecs() -> None:
    codec = Delimited([b"\r\n", b"\n"], keep_delimiter=True, report_delimiter=True)
    assert repr(codec) == (
        "Delimited(delimiter=(b'\\r\\n', b'\\n'), max_length=65536, "
        "keep_delimiter=True, report_delimiter=True)"
    )
    assert codec == Delimited((b"\r\n", b"\n"), keep_delimiter=True, report_delimiter=True)
    assert len({codec, Delimited([b"\r\n", b"\n"]), Delimited([b"\n", b"\r\n"])}) == 3
    assert eval(repr(codec), {"Delimited": Delimited}) == codec


def test_largest_frame_counts_the_longest_delimiter() -> None:
    assert Delimited([b"\n", b"\r\n\r\n"], max_length=10).largest_frame == 14
    assert Delimited([b"\n", b"\r\n"], max_length=10, keep_delimiter=True).largest_frame == 12


# -- keep_delimiter and report_delimiter -------------------------------------


def test_keep_delimiter_leaves_each_delimiter_at_the_end_of_its_message() -> None:
    codec = Delimited(ANY_LINE_END, keep_delimiter=True)
    assert decode_every_way(codec, b"a\rb\r\nc\n\r\n") == [b"a\r", b"b\r\n", b"c\n", b"\r\n"]


def test_keep_delimiter_with_one_delimiter() -> None:
    codec = Delimited(b"\r\n", keep_delimiter=True)
    assert decode_every_way(codec, b"a\r\n\r\n") == [b"a\r\n", b"\r\n"]
    assert codec.encode(b"a\r\n") == b"a\r\n"


def test_keep_delimiter_encode_writes_a_whole_frame_as_it_is() -> None:
    codec = Delimited([b"\r\n", b"\n"], keep_delimiter=True)
    assert codec.encode(b"a\n") == b"a\n"
    assert codec.encode_parts(b"a\r\n") == (b"a\r\n",)
    assert codec.encode(memoryview(b"\n")) == b"\n"


@pytest.mark.parametrize(
    ("delimiters", "message", "match"),
    [
        ([b"\r\n", b"\n"], b"a", "does not end with a delimiter"),
        ([b"\r\n", b"\n"], b"", "does not end with a delimiter"),
        ([b"\r\n", b"\n"], b"a\nb\n", "contains a delimiter"),
        ([b"\r\n", b"\r"], b"a\r", r"ends with b'\\r', which begins a longer delimiter"),
        ([b"\n", b"ab\nc"], b"ab\n", "ends in the start of a delimiter"),
    ],
)
def test_keep_delimiter_encode_refuses_what_would_not_decode_back(
    delimiters: list[bytes], message: bytes, match: str
) -> None:
    with pytest.raises(EncodeError, match=match):
        Delimited(delimiters, keep_delimiter=True).encode(message)


def test_keep_delimiter_max_length_counts_the_bytes_before_the_delimiter() -> None:
    codec = Delimited([b"\r\n", b"\n"], max_length=2, keep_delimiter=True)
    assert decode_every_way(codec, b"ab\r\nab\n") == [b"ab\r\n", b"ab\n"]
    assert kinds(decode_every_way(codec, b"abc\r\nok\n")) == [FrameTooLarge, b"ok\n"]
    assert codec.encode(b"ab\r\n") == b"ab\r\n"
    with pytest.raises(EncodeError):
        codec.encode(b"abc\n")


def test_report_delimiter_says_which_delimiter_ended_each_frame() -> None:
    codec = Delimited(ANY_LINE_END, report_delimiter=True)
    frames = decode_every_way(codec, b"a\rb\r\nc\n")
    assert frames == [b"a", b"b", b"c"]
    assert all(type(frame) is DelimitedFrame for frame in frames)
    assert [frame.delimiter for frame in frames] == [b"\r", b"\r\n", b"\n"]
    assert frames[0].fields == {"delimiter": b"\r"}


def test_report_delimiter_with_keep_delimiter() -> None:
    codec = Delimited([b"\r\n", b"\n"], keep_delimiter=True, report_delimiter=True)
    [first, second] = decode_every_way(codec, b"a\nb\r\n")
    assert (first, first.delimiter, second, second.delimiter) == (b"a\n", b"\n", b"b\r\n", b"\r\n")


def test_report_delimiter_with_one_delimiter() -> None:
    [frame] = Delimited(b"\x00", report_delimiter=True).decode(b"a\x00")
    assert (frame, frame.delimiter) == (b"a", b"\x00")


def test_encode_writes_a_delimited_frame_with_its_own_delimiter() -> None:
    codec = Delimited(ANY_LINE_END, report_delimiter=True)
    wire = b"a\r\nb\nc\r"
    frames = codec.decode(wire)
    # An echo keeps each line's ending, except a lone b"\r": it begins b"\r\n",
    # so the receiver would wait for the byte after it; the first is written.
    assert b"".join(map(codec.encode, frames)) == b"a\r\nb\nc\r\n"
    assert codec.encode(DelimitedFrame(b"d", b"\x00")) == b"d\r\n"  # not one of its own
    assert Delimited(b"\n").encode(DelimitedFrame(b"d", b"\r\n")) == b"d\n"


def test_delimited_frame_is_bytes_with_a_delimiter_field() -> None:
    frame = DelimitedFrame(bytearray(b"ab"), b"\n")
    assert isinstance(frame, Frame)
    assert isinstance(frame, bytes)
    assert frame == b"ab"
    assert repr(frame) == "DelimitedFrame(b'ab', delimiter=b'\\n')"
    again = pickle.loads(pickle.dumps(frame))
    assert (type(again), again, again.delimiter) == (DelimitedFrame, b"ab", b"\n")


# -- limits, errors and resynchronisation with several delimiters --------------


def test_several_delimiters_frame_of_exactly_max_length_is_accepted() -> None:
    codec = Delimited(ANY_LINE_END, max_length=3)
    assert decode_every_way(codec, b"abc\rabc\r\nabc\n") == [b"abc", b"abc", b"abc"]


def test_several_delimiters_too_long_frame_is_reported_once_then_skipped() -> None:
    codec = Delimited(ANY_LINE_END, max_length=3)
    events = decode_every_way(codec, b"ok\rabcd\r\nok\n")
    assert kinds(events) == [b"ok", FrameTooLarge, b"ok"]
    assert events[1].max_length == 3


def test_several_delimiters_too_long_frame_is_reported_as_soon_as_max_length_is_exceeded() -> None:
    decoder = fed(Delimited(ANY_LINE_END, max_length=5), b"abcdef")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (6, 5)
    assert decoder.buffered == 0  # dropped when reported


def test_a_tail_that_may_be_a_delimiter_is_not_counted_as_payload() -> None:
    decoder = fed(Delimited([b"\r\n\r\n", b"\x00"], max_length=3), b"abc\r\n\r")
    assert decoder.next_frame() is None
    decoder.feed(b"x")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert info.value.length == 7  # b"abc\r\n\rx": no delimiter, nor the start of one
    decoder.feed(b"\x00ok\x00")
    assert list(decoder) == [b"ok"]


def test_a_shorter_delimiter_inside_a_longer_one_ends_the_frame_at_eof() -> None:
    # The longer delimiter, begun before it, cannot complete any more.
    codec = Delimited([b"\r\n\r\n", b"\n"])
    events = decode_every_way(codec, b"x\r\n\r")
    assert kinds(events) == [b"x\r", IncompleteFrame]
    assert events[1].partial == b"\r"
    assert decode_every_way(codec, b"x\r\n\r\n") == [b"x"]


def test_too_long_frame_waiting_for_a_longer_delimiter_is_reported_once() -> None:
    # b"abcd" is over max_length whichever delimiter ends it.
    events = decode_every_way(Delimited([b"\r\n", b"\r"], max_length=3), b"abcd\r")
    assert kinds(events) == [FrameTooLarge]
    events = decode_every_way(Delimited([b"\r\n", b"\r"], max_length=3), b"abcd\r\nok\r")
    assert kinds(events) == [FrameTooLarge, b"ok"]


def test_frame_that_fits_if_a_longer_delimiter_ends_it_early_waits() -> None:
    # b"ab\nc" starting at 1 would leave b"x"; b"\n" at 3 leaves b"xab": too long.
    codec = Delimited([b"\n", b"ab\nc"], max_length=2)
    decoder = fed(codec, b"xab\n")
    assert decoder.next_frame() is None
    decoder.feed(b"c")
    assert decoder.next_frame() == b"x"
    assert kinds(decode_every_way(codec, b"xab\nd\n")) == [FrameTooLarge, b"d"]


def test_several_delimiters_eof_inside_a_frame_is_incomplete_with_its_bytes() -> None:
    codec = Delimited([b"\r\n\r\n", b"\x00"])
    error = only_error(decode_every_way(codec, b"a\x00bc\r\n\r"), IncompleteFrame)
    assert error.partial == b"bc\r\n\r"


def test_eof_inside_a_skipped_frame_ends_the_stream_cleanly() -> None:
    decoder = fed(Delimited(ANY_LINE_END, max_length=2), b"abcdef")
    decoder.feed_eof()
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    assert [decoder.next_frame(), decoder.next_frame()] == [None, None]
    assert decoder.buffered == 0


def test_detach_while_skipping_hands_over_what_follows_the_bad_frame() -> None:
    decoder = fed(Delimited(ANY_LINE_END, max_length=2), b"abcdef")
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"gh\r\nnext")
    assert decoder.buffered == 8
    assert decoder.detach() == b"next"
    decoder.feed(b"ok\n")
    assert list(decoder) == [b"ok"]


def test_detach_while_skipping_keeps_what_may_start_the_delimiter() -> None:
    decoder = fed(Delimited([b"\r\n"], max_length=2, report_delimiter=True), b"abcd\r")
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    assert decoder.detach() == b"\r"  # the next decoder starts mid-delimiter, as with one
    assert decoder.buffered == 0


def test_detach_hands_over_a_frame_waiting_for_the_next_byte() -> None:
    decoder = fed(Delimited(ANY_LINE_END), b"a\nb\r")
    assert decoder.next_frame() == b"a"
    assert decoder.next_frame() is None
    assert decoder.buffered == 2
    assert decoder.detach() == b"b\r"
    decoder.feed(b"c\n")
    assert list(decoder) == [b"c"]  # a clean decoder: the old searches are forgotten


def test_several_delimiters_bytes_needed_is_unknown() -> None:
    decoder = fed(Delimited(ANY_LINE_END), b"abc")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed is None


# -- hostile peers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "filler"),
    [
        (Delimited(ANY_LINE_END, max_length=1000), b"x"),
        (Delimited([b"\r\n\r\n", b"\x00"], max_length=1000, keep_delimiter=True), b"\r\n\r"),
        (Delimited(b"\r\n", max_length=1000, report_delimiter=True), b"\r"),
    ],
    ids=["plain", "partial-delimiters", "partial-delimiter"],
)
def test_an_endless_frame_is_too_large_at_max_length_and_memory_stays_bounded(
    codec: Delimited, filler: bytes
) -> None:
    chunk = (filler * 1000)[:1000]
    decoder = codec.decoder()
    errors = []
    for fed_before in range(0, 4_000_000, len(chunk)):
        decoder.feed(chunk)
        try:
            assert decoder.next_frame() is None
        except FrameTooLarge as error:
            errors.append((fed_before, error.length, error.max_length))
        assert decoder.buffered <= codec.largest_frame
    # Reported once, on the chunk that took the frame past max_length.
    assert len(errors) == 1
    fed_before, length, max_length = errors[0]
    assert (fed_before, max_length) == (1000, 1000)
    assert 1000 < length <= 2000
    decoder.feed(
        codec.delimiter + codec.encode(b"ok" + (codec.delimiter if codec.keep_delimiter else b""))
    )
    assert list(decoder) == [b"ok" + (codec.delimiter if codec.keep_delimiter else b"")]


# -- every chunking, checked against a model -----------------------------------


def model_decode(delimiters: list[bytes], wire: bytes, max_length: int, keep: bool) -> list[object]:
    """What a decoder must give for the whole stream: found by trying every position."""
    events: list[object] = []
    starts = {d[:size] for d in delimiters for size in range(1, len(d))}
    position = 0
    while position < len(wire):
        end = next(
            (
                i
                for i in range(position, len(wire))
                if any(wire.startswith(d, i) for d in delimiters)
            ),
            None,
        )
        if end is None:  # unterminated: its payload ends where a delimiter may begin
            seen = next((i for i in range(position, len(wire)) if wire[i:] in starts), len(wire))
            too_large = seen - position > max_length
            events.append(FrameTooLarge if too_large else (IncompleteFrame, wire[position:]))
            return events
        delimiter = max((d for d in delimiters if wire.startswith(d, end)), key=len)
        if end - position > max_length:
            events.append(FrameTooLarge)
        else:
            events.append((wire[position : end + len(delimiter) if keep else end], delimiter))
        position = end + len(delimiter)
    return events


def decoded(events: list[object]) -> list[object]:
    """Messages as (bytes, delimiter), errors as their type (IncompleteFrame with its bytes)."""
    out: list[object] = []
    for event in events:
        if isinstance(event, IncompleteFrame):
            out.append((IncompleteFrame, bytes(event.partial)))
        elif isinstance(event, Exception):
            out.append(type(event))
        else:
            assert isinstance(event, DelimitedFrame)
            out.append((bytes(event), event.delimiter))
    return out


@st.composite
def delimiter_lists(draw: st.DrawFn) -> list[bytes]:
    """Delimiters over a small alphabet, so that they overlap and begin one another."""
    pieces = st.binary(min_size=1, max_size=3).map(lambda b: bytes(b"ab\r\n"[x % 4] for x in b))
    delimiters = draw(st.lists(pieces, min_size=1, max_size=4, unique=True))
    first = next(d for d in delimiters if not any(o != d and o.startswith(d) for o in delimiters))
    return [first] + [d for d in delimiters if d != first]


@given(data=st.data())
def test_several_delimiters_decode_as_the_model_says_however_the_stream_is_cut(
    data: st.DataObject,
) -> None:
    delimiters = data.draw(delimiter_lists(), label="delimiters")
    keep = data.draw(st.booleans(), label="keep")
    max_length = data.draw(st.integers(0, 6), label="max_length")
    codec = Delimited(delimiters, max_length=max_length, keep_delimiter=keep, report_delimiter=True)
    wire = data.draw(st.binary(max_size=40).map(lambda b: bytes(b"ab\r\nx"[x % 5] for x in b)))
    expected = model_decode(delimiters, wire, max_length, keep)
    chunks = data.draw(chunked(wire), label="chunks")
    use_iter = data.draw(st.booleans(), label="use_iter")
    events = decode_chunks(codec, chunks, use_iter=use_iter, bound=codec.largest_frame)
    assert decoded(events) == expected


CONFORMING = [
    Delimited([b"\r\n", b"\n", b"\x00"], max_length=8),
    Delimited([b"\r\n", b"\r"], max_length=5),  # b"\r" begins b"\r\n"
    Delimited([b"aa", b"ab", b"b"], max_length=4),
    Delimited([b"\r\n\r\n", b"\x00"], max_length=300),
    Delimited([b"--", b"-"], max_length=3),
    Delimited([b"\n", b"ab\nc"], max_length=0),
]


@pytest.mark.parametrize("codec", CONFORMING, ids=repr)
def test_several_delimiters_pass_the_conformance_suite(codec: Delimited) -> None:
    check_codec(codec, max_examples=EXAMPLES)


def payloads_for(codec: Delimited) -> st.SearchStrategy[bytes]:
    """Payloads the codec's delimiters can frame, biased to the delimiters' bytes."""
    alphabet = b"".join(codec.delimiters) + b"xy"
    pieces = st.one_of(st.sampled_from([bytes([b]) for b in alphabet]), st.binary(max_size=4))
    raw = st.lists(pieces, max_size=6).map(lambda ps: b"".join(ps)[: codec.max_length])
    return raw.filter(
        lambda payload: encodes(Delimited(codec.delimiters, max_length=1000), payload)
    )


def writable(codec: Delimited) -> list[bytes]:
    """The delimiters encode writes: those that begin no other (a frame ends at once)."""
    ds = codec.delimiters
    return [d for d in ds if not any(other != d and other.startswith(d) for other in ds)]


def encodes(codec: Delimited, message: bytes) -> bool:
    try:
        codec.encode(message)
    except EncodeError:
        return False
    return True


@pytest.mark.parametrize(
    "codec",
    [
        Delimited([b"\r\n", b"\n", b"\r"], max_length=6, keep_delimiter=True),
        Delimited([b"\n\n", b"\n"], max_length=6, keep_delimiter=True),
        Delimited(b"\r\n", max_length=6, keep_delimiter=True),
    ],
    ids=repr,
)
def test_keep_delimiter_passes_the_conformance_suite(codec: Delimited) -> None:
    frames = st.tuples(payloads_for(codec), st.sampled_from(writable(codec))).map(b"".join)
    check_codec(codec, frames.filter(lambda frame: encodes(codec, frame)), max_examples=EXAMPLES)


@pytest.mark.parametrize(
    "codec",
    [
        Delimited([b"\r\n", b"\n", b"\r"], max_length=6, report_delimiter=True),
        Delimited([b"\r\n", b"\n"], max_length=6, keep_delimiter=True, report_delimiter=True),
        Delimited(b"aba", max_length=3, report_delimiter=True),
    ],
    ids=repr,
)
def test_report_delimiter_passes_the_conformance_suite(codec: Delimited) -> None:
    stripped = Delimited(codec.delimiters, max_length=codec.max_length, report_delimiter=True)
    frames = st.builds(DelimitedFrame, payloads_for(codec), st.sampled_from(writable(codec)))
    frames = frames.filter(lambda frame: encodes(stripped, frame))
    if codec.keep_delimiter:
        frames = frames.map(lambda f: DelimitedFrame(bytes(f) + f.delimiter, f.delimiter))
    check_codec(codec, frames.filter(lambda frame: encodes(codec, frame)), max_examples=EXAMPLES)


@pytest.mark.parametrize(
    "codec",
    [
        Delimited(ANY_LINE_END, max_length=2 * MIB),
        Delimited([b"\r\n\r\n", b"\r\n"], max_length=2 * MIB),
    ],
    ids=repr,
)
def test_several_delimiters_decode_in_linear_time(codec: Delimited) -> None:
    assert growth(lambda size: one_frame_in_chunks(codec, size), 256 * 1024, MIB) < BOUND
    many = growth(lambda n: many_frames_in_one_chunk(codec, n, iterate=True), 4096, 16384)
    assert many < BOUND
    assert growth(lambda n: frames_straddling_chunks(codec, n), 1024, 4096) < BOUND


def test_a_rare_delimiter_is_not_looked_for_again_for_every_frame() -> None:
    # Many frames end with b"\n"; one b"\x00" at the end of the chunk: its
    # position is remembered, not searched for again from every frame.
    codec = Delimited([b"\n", b"\x00"])

    def run(count: int) -> None:
        decoder = codec.decoder()
        decoder.feed(b"0123456789abcdef\n" * count + b"end\x00")
        assert len(list(decoder)) == count + 1

    assert growth(run, 4096, 16384) < BOUND


# -- batches: every frame at once when one delimiter ends them all ------------


@pytest.mark.parametrize(
    ("codec", "frame"),
    [
        (Delimited(ANY_LINE_END), b"line\r\n"),
        (Delimited(ANY_LINE_END), b"line\n"),
        (Delimited(ANY_LINE_END, keep_delimiter=True), b"line\r\n"),
        (Delimited([b"\r\n", b"\x00"], report_delimiter=True), b"line\r\n"),
    ],
    ids=["crlf", "lf", "keep", "report"],
)
def test_frames_ended_by_one_delimiter_come_in_a_batch_that_detach_rebuilds(
    codec: Delimited, frame: bytes
) -> None:
    decoder = fed(codec, frame * 5 + b"rest\r")
    assert decoder._take_batch()  # one batch (a look inside: the result is the same without)
    decoder = fed(codec, frame * 5 + b"rest\r")
    messages = iter(decoder)
    first = next(messages)
    assert first == (frame if codec.keep_delimiter else b"line")
    assert decoder.buffered == 4 * len(frame) + 5
    assert decoder.detach() == frame * 4 + b"rest\r"
    assert list(messages) == []  # the batch went with detach()
    if codec.report_delimiter:
        assert first.delimiter == b"\r\n"


def test_a_batch_of_delimited_frames_says_which_delimiter_ended_each() -> None:
    decoder = fed(Delimited(ANY_LINE_END, report_delimiter=True), b"a\nb\n")
    assert [(frame, frame.delimiter) for frame in decoder] == [(b"a", b"\n"), (b"b", b"\n")]


@pytest.mark.parametrize(
    "wire",
    [b"a\r\nb\nc\r\n", b"a\rb\r\nc\n", b"a\nb\x00c\n", b"a\r\n\rb\r\n"],
    ids=["crlf-and-lf", "cr-and-crlf", "lf-and-nul", "lone-cr-among-crlf"],
)
def test_mixed_delimiters_decode_frame_by_frame_the_same(wire: bytes) -> None:
    codec = Delimited([b"\r\n", b"\n", b"\r", b"\x00"])
    expected = decode_chunks(codec, [wire])
    assert list(fed(codec, wire)) == [e for e in expected if isinstance(e, bytes)]
    assert decode_every_way(codec, wire) == expected


def test_a_longer_delimiter_inside_the_stream_stops_the_batch() -> None:
    decoder = fed(Delimited([b"\r\n\r\n", b"\r\n"]), b"a\r\nb\r\n\r\nc\r\n")
    assert list(decoder) == [b"a", b"b"]  # b"c" may still end with b"\r\n\r\n"
    decoder.feed_eof()
    assert list(decoder) == [b"c"]


def test_a_batch_leaves_the_frames_a_longer_delimiter_may_still_end() -> None:
    decoder = fed(Delimited([b"\r\n\r\n", b"\r\n"]), b"a\r\nb\r\n\r")
    assert list(decoder) == [b"a"]  # b"b" may end with b"\r\n\r\n"
    assert decoder.buffered == 4
    decoder.feed(b"\n")
    assert list(decoder) == [b"b"]
    decoder.feed(b"c\r\nd\r\n\r")
    decoder.feed_eof()
    assert [decoder.next_frame(), decoder.next_frame()] == [b"c", b"d"]  # the shorter one, at EOF
    with pytest.raises(IncompleteFrame) as info:
        decoder.next_frame()
    assert info.value.partial == b"\r"


def test_a_too_long_frame_in_a_batch_comes_after_the_frames_before_it() -> None:
    decoder = fed(Delimited(ANY_LINE_END, max_length=3), b"ab\r\nabcd\r\nc\r\n")
    messages = iter(decoder)
    assert next(messages) == b"ab"
    with pytest.raises(FrameTooLarge):
        next(messages)
    assert list(decoder) == [b"c"]


@pytest.mark.parametrize(
    "codec",
    [
        Delimited([b"\r\n", b"\n"], max_length=10, keep_delimiter=True),
        Delimited(b"\x00", report_delimiter=True),
    ],
    ids=repr,
)
def test_codecs_with_several_delimiters_or_options_pickle_and_copy(codec: Delimited) -> None:
    again = pickle.loads(pickle.dumps(codec))
    assert again == codec
    assert hash(again) == hash(codec)
    message = b"a" + codec.delimiter if codec.keep_delimiter else b"a"
    assert again.decode(again.encode(message)) == [message]


def test_a_long_frame_begun_after_a_batch_is_collected_then_whole() -> None:
    # The batch leaves 5000 bytes of an unfinished frame: the chunks that
    # follow are collected uncopied, and joined once when its delimiter comes.
    decoder = fed(Delimited(b"\n"), b"a\nb\n" + b"x" * 5000)
    assert list(decoder) == [b"a", b"b"]
    for _ in range(10):
        decoder.feed(b"y" * 1000)
        assert list(decoder) == []
    decoder.feed(b"z\nc\n")
    assert list(decoder) == [b"x" * 5000 + b"y" * 10_000 + b"z", b"c"]
    assert decoder.buffered == 0
