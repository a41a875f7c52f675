"""UntilClose: the whole stream is one message, delivered at EOF."""

from __future__ import annotations

import pytest

from framing import EncodeError, FrameTooLarge, UntilClose
from helpers import decode_chunks, decode_every_way, fed, kinds


def test_encode_is_the_message_itself() -> None:
    assert UntilClose().encode(b"HTTP/1.0 200 OK\r\n\r\nbody") == b"HTTP/1.0 200 OK\r\n\r\nbody"


def test_whole_stream_is_one_message_at_eof() -> None:
    assert decode_every_way(UntilClose(), b"a\nb\x00c") == [b"a\nb\x00c"]


def test_empty_stream_is_one_empty_message() -> None:
    assert decode_chunks(UntilClose(), []) == [b""]


def test_nothing_is_delivered_before_eof() -> None:
    assert decode_chunks(UntilClose(), [b"abc", b"def"], eof=False) == []


def test_exactly_one_message_even_when_asked_again() -> None:
    decoder = fed(UntilClose(), b"abc")
    decoder.feed_eof()
    assert decoder.next_frame() == b"abc"
    assert decoder.next_frame() is None
    assert list(decoder) == []


def test_buffered_counts_the_stream_so_far() -> None:
    decoder = fed(UntilClose(), b"abc", b"de")
    assert decoder.next_frame() is None
    assert decoder.buffered == 5


def test_stream_of_exactly_max_length_is_accepted() -> None:
    assert decode_every_way(UntilClose(max_length=5), b"abcde") == [b"abcde"]


def test_stream_over_max_length_is_too_large_before_eof() -> None:
    decoder = fed(UntilClose(max_length=5), b"abcdef")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (6, 5)


def test_stream_over_max_length_stays_failed_past_eof() -> None:
    decoder = fed(UntilClose(max_length=5), b"abcdef")
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"more")
    decoder.feed_eof()
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()


def test_too_large_in_any_chunking() -> None:
    assert kinds(decode_every_way(UntilClose(max_length=3), b"abcd")) == [FrameTooLarge]


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        UntilClose(max_length=3).encode(b"abcd")


def test_default_max_length_is_16_mib() -> None:
    assert UntilClose().max_length == 16 * 1024 * 1024
