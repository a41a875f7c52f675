"""FixedLength: exactly ``size`` bytes per message, nothing else on the wire."""

from __future__ import annotations

import pytest

from framing import EncodeError, FixedLength, IncompleteFrame
from helpers import decode_every_way, fed, only_error


def test_encode_is_the_message_itself() -> None:
    assert FixedLength(4).encode(b"abcd") == b"abcd"


@pytest.mark.parametrize("message", [b"", b"abc", b"abcde"])
def test_encode_refuses_another_size(message: bytes) -> None:
    with pytest.raises(EncodeError):
        FixedLength(4).encode(message)


def test_read_frames_multi_packet() -> None:
    assert decode_every_way(FixedLength(3), b"abcdefghi") == [b"abc", b"def", b"ghi"]


def test_read_one_byte_frames() -> None:
    assert decode_every_way(FixedLength(1), b"\x00\xff") == [b"\x00", b"\xff"]


@pytest.mark.parametrize("tail", [b"x", b"xy"])
def test_eof_inside_a_frame_is_incomplete_with_its_bytes(tail: bytes) -> None:
    error = only_error(decode_every_way(FixedLength(3), b"abc" + tail), IncompleteFrame)
    assert error.partial == tail


def test_empty_stream_is_a_clean_eof() -> None:
    assert decode_every_way(FixedLength(3), b"") == []


@pytest.mark.parametrize("size", [0, -1])
def test_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match=str(size)):
        FixedLength(size)


def test_max_length_is_the_size() -> None:
    assert FixedLength(7).max_length == 7


def test_bytes_needed_is_the_rest_of_the_frame() -> None:
    decoder = fed(FixedLength(10), b"abcd")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed == 6


def test_incomplete_frame_is_raised_again_after_eof() -> None:
    decoder = fed(FixedLength(3), b"ab")
    decoder.feed_eof()
    for _ in range(2):
        with pytest.raises(IncompleteFrame) as info:
            decoder.next_frame()
        assert info.value.partial == b"ab"
