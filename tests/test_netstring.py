"""Netstring: D. J. Bernstein's ``<digits>:<payload>,`` (cr.yp.to/proto/netstrings.txt)."""

from __future__ import annotations

import pytest

from framing import EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame, Netstring
from helpers import decode_every_way, fed, kinds, only_error


@pytest.mark.parametrize(
    ("payload", "wire"),
    [
        (b"hello world!", b"12:hello world!,"),
        (b"", b"0:,"),
        (b"a", b"1:a,"),
        (b"1:a,", b"4:1:a,,"),
        (b"x" * 10, b"10:" + b"x" * 10 + b","),
    ],
)
def test_encode_matches_the_specification(payload: bytes, wire: bytes) -> None:
    assert Netstring().encode(payload) == wire


@pytest.mark.parametrize(
    ("wire", "payload"),
    [(b"12:hello world!,", b"hello world!"), (b"0:,", b""), (b"3:a,b,", b"a,b")],
)
def test_read_single_netstring_any_chunking(wire: bytes, payload: bytes) -> None:
    assert decode_every_way(Netstring(), wire) == [payload]


def test_read_netstrings_back_to_back() -> None:
    assert decode_every_way(Netstring(), b"1:a,0:,2:bc,") == [b"a", b"", b"bc"]


@pytest.mark.parametrize("wire", [b"01:a,", b"00:,", b"0001:a,"])
def test_leading_zero_is_invalid(wire: bytes) -> None:
    assert kinds(decode_every_way(Netstring(), wire)) == [InvalidFrame]


@pytest.mark.parametrize("wire", [b"3:abcd,", b"3:abcX", b"3:abc\n", b"0:x"])
def test_missing_comma_is_invalid(wire: bytes) -> None:
    assert kinds(decode_every_way(Netstring(), wire)) == [InvalidFrame]


@pytest.mark.parametrize("wire", [b":a,", b"a:b,", b"1a:b,", b"-1:a,", b" 1:a,", b"+1:a,"])
def test_bad_length_header_is_invalid(wire: bytes) -> None:
    assert kinds(decode_every_way(Netstring(), wire)) == [InvalidFrame]


@pytest.mark.parametrize("wire", [b"3:abc", b"3:ab", b"3:", b"3", b"12:hello"])
def test_eof_inside_a_netstring_is_incomplete_with_its_bytes(wire: bytes) -> None:
    error = only_error(decode_every_way(Netstring(), wire), IncompleteFrame)
    assert error.partial == wire


def test_messages_before_a_bad_netstring_come_first() -> None:
    events = decode_every_way(Netstring(), b"1:a,2:bc,01:x,1:y,")
    assert kinds(events) == [b"a", b"bc", InvalidFrame]


def test_partial_after_complete_netstrings_is_only_the_unfinished_one() -> None:
    error = only_error(decode_every_way(Netstring(), b"1:a,5:he"), IncompleteFrame)
    assert error.partial == b"5:he"


def test_declared_length_above_max_length_is_too_large_at_the_colon() -> None:
    decoder = fed(Netstring(max_length=10), b"11:")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert (info.value.length, info.value.max_length) == (11, 10)


def test_more_digits_than_max_length_has_is_too_large_before_the_colon() -> None:
    decoder = fed(Netstring(max_length=99), b"100")
    with pytest.raises(FrameTooLarge) as info:
        decoder.next_frame()
    assert info.value.max_length == 99


def test_endless_digits_are_too_large_and_never_buffered() -> None:
    decoder = fed(Netstring(), b"9" * 100)
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"9" * 10_000)
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    assert decoder.buffered <= 100


def test_netstring_of_exactly_max_length_is_accepted() -> None:
    codec = Netstring(max_length=10)
    assert decode_every_way(codec, b"10:0123456789,") == [b"0123456789"]


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError):
        Netstring(max_length=3).encode(b"abcd")


def test_bytes_needed_counts_the_rest_of_the_payload_and_the_comma() -> None:
    decoder = fed(Netstring(), b"10:abc")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed == 8


def test_bytes_needed_is_unknown_inside_the_length() -> None:
    decoder = fed(Netstring(), b"10")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed is None


def test_failed_netstring_decoder_stays_failed() -> None:
    decoder = fed(Netstring(), b"01:a,")
    with pytest.raises(InvalidFrame) as first:
        decoder.next_frame()
    decoder.feed(b"1:a," * 100)
    with pytest.raises(InvalidFrame) as again:
        decoder.next_frame()
    assert again.value.args == first.value.args
    assert decoder.buffered <= len(b"01:a,")


def test_default_max_length_is_16_mib() -> None:
    assert Netstring().max_length == 16 * 1024 * 1024
