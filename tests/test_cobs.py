"""COBS: Consistent Overhead Byte Stuffing (Cheshire & Baker) + a zero delimiter."""

from __future__ import annotations

import pytest
from cobs import cobs
from hypothesis import given, settings
from hypothesis import strategies as st

from framing import COBS, EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame
from framing.testing import check_codec
from helpers import chunked, decode_chunks, decode_every_way, kinds, only_error
from test_linear import BOUND, MIB, growth

CHECKS = min(25, settings().max_examples)  # examples per check of the conformance suite

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


@pytest.mark.parametrize(
    ("wire", "messages"),
    [
        (b"\x00\x00\x01\x00", [b""]),
        (b"\x00", []),
        (b"\x00\x00\x00", []),
        (b"\x00\x02a\x00", [b"a"]),
        (b"\x02a\x00\x00\x00\x02b\x00\x00", [b"a", b"b"]),
        (b"\x01\x00\x00\x01\x00", [b"", b""]),
        (b"\x00\x01\x01\x00\x00", [b"\x00"]),
    ],
)
def test_empty_frames_are_skipped_silently(wire: bytes, messages: list[bytes]) -> None:
    # A lone 00 is no COBS frame (the empty message is 01 00): noise, or a
    # zero sent to mark a frame boundary; never a phantom empty message.
    assert decode_every_way(COBS(), wire) == messages


def test_a_zero_before_each_frame_ends_line_noise_as_a_frame_of_its_own() -> None:
    codec = COBS()
    wire = b"".join(b"\x00" + codec.encode(m) for m in [b"a", b"", b"\x00b"])
    events = decode_every_way(codec, b"\x11\x22" + wire)
    assert kinds(events) == [InvalidFrame, b"a", b"", b"\x00b"]
    assert decode_every_way(codec, wire) == [b"a", b"", b"\x00b"]


def test_skipped_zeros_are_buffered_until_decoded_then_dropped() -> None:
    decoder = COBS().decoder()
    decoder.feed(b"\x00\x00\x02")
    assert decoder.buffered == 3  # fed, not yet looked at: they are no message yet
    assert decoder.next_frame() is None
    assert decoder.buffered == 1  # the zeros are gone, the frame's first byte is held
    assert decoder.detach() == b"\x02"
    assert decoder.buffered == 0


def test_detach_before_decoding_hands_over_the_zeros_too() -> None:
    decoder = COBS().decoder()
    decoder.feed(b"\x00\x02a")
    assert decoder.detach() == b"\x00\x02a"  # nothing decoded yet: every byte is handed over
    decoder.feed(b"\x00\x00\x02b\x00")
    assert list(decoder) == [b"b"]


def test_zeros_at_eof_end_the_stream_cleanly() -> None:
    decoder = COBS().decoder()
    decoder.feed(b"\x02a\x00\x00\x00")
    decoder.feed_eof()
    assert list(decoder) == [b"a"]
    assert [decoder.next_frame(), decoder.next_frame()] == [None, None]
    assert decoder.buffered == 0


def test_zeros_after_a_too_large_frame_are_skipped_too() -> None:
    codec = COBS(max_length=2)
    wire = COBS().encode(b"abc") + b"\x00\x00" + codec.encode(b"ok")
    assert kinds(decode_every_way(codec, wire)) == [FrameTooLarge, b"ok"]


def test_a_flood_of_zeros_gives_nothing_keeps_nothing_and_costs_linear_time() -> None:
    codec = COBS(max_length=10)

    def flood(size: int) -> None:
        decoder = codec.decoder()
        for _ in range(size // 4096):
            decoder.feed(bytes(4096))
            assert list(decoder) == []
            assert decoder.buffered == 0
        decoder.feed(codec.encode(b"ok"))
        assert list(decoder) == [b"ok"]

    assert growth(flood, 256 * 1024, MIB) < BOUND


@pytest.mark.parametrize("codec", [COBS(max_length=20), COBS(max_length=300), COBS()], ids=repr)
def test_cobs_passes_the_conformance_suite(codec: COBS) -> None:
    check_codec(codec, max_examples=CHECKS)


@pytest.mark.parametrize("codec", [COBS(max_length=5), COBS()], ids=repr)
@given(data=st.data())
def test_zeros_anywhere_between_frames_change_nothing_however_cut(
    codec: COBS, data: st.DataObject
) -> None:
    messages = data.draw(st.lists(st.binary(max_size=5), max_size=5), label="messages")
    zeros = data.draw(
        st.lists(st.integers(0, 3), min_size=len(messages) + 1, max_size=len(messages) + 1)
    )
    framed = [bytes(n) + codec.encode(m) for n, m in zip(zeros, messages, strict=False)]
    wire = b"".join(framed) + bytes(zeros[-1])
    chunks = data.draw(chunked(wire), label="chunks")
    assert decode_chunks(codec, chunks, bound=codec.largest_frame) == messages


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
