"""Iteration decodes every complete frame of the buffer as one batch (DESIGN.md's speed bar).

A caller may stop iterating half-way through a batch, or switch to
``next_frame()``: ``buffered`` and ``detach()`` must then still account for
every message not yet handed out, exactly as if frames were decoded one by one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framing import (
    COBS,
    SLIP,
    Delimited,
    FixedLength,
    FrameTooLarge,
    LengthPrefixed,
    Lines,
    Netstring,
)
from framing.testing import check_codec
from helpers import CONFIGS, Config, encode_all

VALID_STREAM_CONFIGS = [config for config in CONFIGS if not config.one_message]


def stop_after(decoder: Any, count: int) -> list[bytes]:
    """Iterate ``decoder`` and break out after ``count`` messages."""
    out: list[bytes] = []
    if count == 0:
        return out
    for message in decoder:
        out.append(message)
        if len(out) == count:
            break
    return out


@pytest.mark.parametrize("config", VALID_STREAM_CONFIGS, ids=repr)
@given(data=st.data())
def test_detach_mid_batch_hands_over_exactly_the_unreturned_frames(
    config: Config, data: st.DataObject
) -> None:
    messages = data.draw(config.message_lists())
    wire = encode_all(config.codec, messages)
    cut = data.draw(st.integers(0, len(wire)))
    taken = data.draw(st.integers(0, len(messages)))
    decoder = config.codec.decoder()
    decoder.feed(wire[:cut])
    first = stop_after(decoder, taken)
    if data.draw(st.booleans()):
        message = decoder.next_frame()
        first += [] if message is None else [message]
    buffered = decoder.buffered
    rest = decoder.detach()
    assert len(rest) == buffered
    assert decoder.buffered == 0
    successor = config.codec.decoder()
    successor.feed(rest + wire[cut:])
    successor.feed_eof()
    assert first + list(successor) == messages


@pytest.mark.parametrize(
    ("codec", "messages"),
    [
        (LengthPrefixed("!I"), [b"a", b"", b"bcd"] * 20),
        (LengthPrefixed("<H", includes_header=True), [b"a", b"", b"bcd"] * 20),
        (Lines(), [b"one", b"", b"three"] * 20),
        (Delimited(b"\r\n"), [b"one", b"", b"three"] * 20),
        (FixedLength(2), [b"ab", b"cd"] * 20),
    ],
    ids=repr,
)
def test_buffered_counts_the_wire_bytes_of_each_message_not_yet_returned(
    codec: Any, messages: list[bytes]
) -> None:
    wire = encode_all(codec, messages)
    decoder = codec.decoder()
    decoder.feed(wire)
    for index, message in enumerate(decoder):
        assert message == messages[index]
        returned = encode_all(codec, messages[: index + 1])
        assert decoder.buffered == len(wire) - len(returned)
    assert decoder.buffered == 0


def test_crlf_lines_split_whole_and_mixed_line_ends_still_decode() -> None:
    decoder = Lines().decoder()
    decoder.feed(b"a\r\nb\r\n" + b"c\nd\r\ne\n" + b"f\r")
    assert list(decoder) == [b"a", b"b", b"c", b"d", b"e"]
    assert decoder.buffered == 2


def test_strict_lines_batch_leaves_a_bare_lf_to_be_reported_in_order() -> None:
    from framing import InvalidFrame

    decoder = Lines(strict_crlf=True).decoder()
    decoder.feed(b"a\r\nb\nc\r\n")
    out: list[bytes] = []
    with pytest.raises(InvalidFrame):
        out.extend(decoder)
    assert out == [b"a"]
    assert list(decoder) == [b"c"]


def test_a_too_long_frame_inside_a_batch_is_reported_after_the_frames_before_it() -> None:
    from framing import FrameTooLarge

    decoder = Delimited(b"\n", max_length=3).decoder()
    decoder.feed(b"ab\ncd\ntoolong\nef\n")
    out: list[bytes] = []
    with pytest.raises(FrameTooLarge) as raised:
        out.extend(decoder)
    assert out == [b"ab", b"cd"]
    assert raised.value.length == 7
    assert list(decoder) == [b"ef"]


@pytest.mark.parametrize("chunk_size", [64, 65536, 1 << 20])
@pytest.mark.parametrize(
    "codec", [LengthPrefixed("!I"), FixedLength(1 << 20), LengthPrefixed("varint")], ids=repr
)
def test_large_frame_arrives_whole_with_the_next_frame_in_its_last_chunk(
    codec: Any, chunk_size: int
) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    small = b"x" * (1 << 20) if isinstance(codec, FixedLength) else b"tail"
    wire = codec.encode(big) + codec.encode(small)
    decoder = codec.decoder()
    out = []
    for start in range(0, len(wire) - 3, chunk_size):
        decoder.feed(wire[start : min(start + chunk_size, len(wire) - 3)])
        out.extend(decoder)
    assert out == [big]
    assert decoder.buffered == len(wire) - len(codec.encode(big)) - 3
    decoder.feed(wire[-3:])
    assert list(decoder) == [small]
    assert decoder.buffered == 0


@pytest.mark.parametrize(
    "codec",
    [LengthPrefixed("!I"), Lines(max_length=1 << 20), Delimited(b"\0", max_length=1 << 20)],
    ids=repr,
)
@given(taken=st.integers(0, 41), detach=st.booleans())
def test_frames_after_a_large_one_in_its_last_chunk_stay_exact_when_iteration_stops(
    codec: Any, taken: int, detach: bool
) -> None:
    # The chunk that completes a collected frame also carries 40 small ones,
    # handed out as a batch after it: stopping anywhere must lose nothing.
    big = b"b" * 200_000
    smalls = [b"s%d" % i for i in range(40)]
    frames = [codec.encode(m) for m in [big, *smalls]]
    wire = b"".join(frames)
    decoder = codec.decoder()
    decoder.feed(wire[:100_000])
    assert list(decoder) == []
    decoder.feed(wire[100_000:])
    first = stop_after(decoder, taken)
    assert first == [big, *smalls][:taken]
    rest = b"".join(frames[taken:])
    assert decoder.buffered == len(rest)
    if detach:
        assert decoder.detach() == rest
    else:
        assert list(decoder) == [big, *smalls][taken:]
    assert decoder.buffered == 0


def test_large_frame_cut_by_eof_reports_every_byte_received() -> None:
    from framing import IncompleteFrame

    codec = LengthPrefixed("!I")
    wire = codec.encode(b"y" * 300_000)
    decoder = codec.decoder()
    for start in range(0, 200_000, 4096):
        decoder.feed(wire[start : start + 4096])
        assert list(decoder) == []
    decoder.feed_eof()
    with pytest.raises(IncompleteFrame) as raised:
        list(decoder)
    assert raised.value.partial == wire[: 49 * 4096]


def test_detach_while_a_large_frame_is_collected_returns_its_bytes_in_order() -> None:
    codec = LengthPrefixed("!I")
    wire = codec.encode(b"z" * 400_000)
    decoder = codec.decoder()
    for start in range(0, 300_000, 50_000):
        decoder.feed(wire[start : start + 50_000])
        assert list(decoder) == []
    assert decoder.bytes_needed == len(wire) - 300_000
    assert decoder.detach() == wire[:300_000]
    assert decoder.buffered == 0


LONG = 300_000  # above the size at which a frame's chunks are collected, not copied


def feed_in(decoder: Any, wire: bytes, size: int) -> list[bytes]:
    out: list[bytes] = []
    for start in range(0, len(wire), size):
        decoder.feed(wire[start : start + size])
        out.extend(decoder)
    return out


@pytest.mark.parametrize("chunk_size", [7, 4096, 65536, 100_000])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_long_line_arrives_whole_however_it_is_cut(chunk_size: int, ending: bytes) -> None:
    line = bytes(range(32, 127)) * (LONG // 95)
    wire = line + ending + b"next" + ending + b"par"
    decoder = Lines(max_length=2 * LONG).decoder()
    assert feed_in(decoder, wire, chunk_size) == [line, b"next"]
    assert decoder.buffered == 3
    decoder.feed(bytearray(ending))
    assert list(decoder) == [b"par"]


def test_long_delimited_frame_is_found_in_a_bytearray_chunk() -> None:
    frame = b"y" * LONG
    decoder = Delimited(b"\x00", max_length=LONG).decoder()
    decoder.feed(frame[:1000])
    assert list(decoder) == []
    decoder.feed(memoryview(frame[1000:] + b"\x00z"))
    assert list(decoder) == [frame]
    assert decoder.detach() == b"z"


def test_line_longer_than_max_length_is_reported_once_while_collected_then_skipped() -> None:
    from framing import FrameTooLarge

    decoder = Lines(max_length=LONG).decoder()
    errors = []
    for _ in range(LONG // 4096 + 10):
        decoder.feed(b"x" * 4096)
        try:
            assert list(decoder) == []
        except FrameTooLarge as error:
            errors.append(error)
    decoder.feed(b"x\nafter\n")
    assert list(decoder) == [b"after"]
    assert [(e.length, e.max_length) for e in errors] == [(errors[0].length, LONG)]
    assert errors[0].length > LONG


def test_eof_inside_a_collected_line_reports_all_its_bytes() -> None:
    from framing import IncompleteFrame

    decoder = Lines(max_length=2 * LONG).decoder()
    wire = b"w" * LONG
    assert feed_in(decoder, wire, 5000) == []
    assert decoder.buffered == LONG
    decoder.feed_eof()
    with pytest.raises(IncompleteFrame) as raised:
        decoder.next_frame()
    assert raised.value.partial == wire


def test_unterminated_collected_line_is_the_last_message_when_allowed() -> None:
    decoder = Lines(max_length=2 * LONG, allow_unterminated=True).decoder()
    assert feed_in(decoder, b"v" * LONG, 3000) == []
    decoder.feed_eof()
    assert list(decoder) == [b"v" * LONG]


def test_unterminated_last_line_ending_in_cr_is_the_line_without_it_at_eof() -> None:
    decoder = Lines(max_length=3, allow_unterminated=True).decoder()
    decoder.feed(b"abc\r")  # the b"\r" may start a b"\r\n": not too large
    assert list(decoder) == []
    decoder.feed_eof()
    assert decoder.next_frame() == b"abc"
    assert decoder.next_frame() is None
    assert decoder.buffered == 0


def test_detach_while_a_line_is_collected_returns_its_bytes_in_order() -> None:
    decoder = Lines(max_length=2 * LONG).decoder()
    wire = bytes(range(256)).replace(b"\n", b"") * (LONG // 255)
    assert feed_in(decoder, wire, 1000) == []
    assert decoder.detach() == wire
    decoder.feed(b"fresh\n")
    assert list(decoder) == [b"fresh"]


def test_chunks_fed_after_a_collected_line_ends_wait_their_turn() -> None:
    line = b"L" * 10_000
    decoder = Lines(max_length=LONG).decoder()
    decoder.feed(line[:6000])
    assert list(decoder) == []  # long enough to be collected
    decoder.feed(line[6000:] + b"\nnext")
    decoder.feed(b"\nlast\n")  # fed before the decoder is read again
    assert list(decoder) == [line, b"next", b"last"]
    assert decoder.buffered == 0


def test_a_cr_ending_a_too_long_collected_line_is_not_counted_after_an_empty_recv() -> None:
    decoder = Lines(max_length=10_000).decoder()
    decoder.feed(b"x" * 6000)
    assert list(decoder) == []  # long enough to be collected
    decoder.feed(b"x" * 5000 + b"\r")
    decoder.feed(b"")
    with pytest.raises(FrameTooLarge) as raised:
        list(decoder)
    assert raised.value.length == 11_000  # the CR may begin the CRLF: not payload yet


def test_an_empty_recv_while_a_line_is_collected_leaves_a_detached_decoder_usable() -> None:
    decoder = Lines(max_length=LONG).decoder()
    decoder.feed(b"y" * 5000)
    assert decoder.next_frame() is None  # long enough to be collected
    decoder.feed(b"")
    detached = decoder.detach()
    assert detached == b"y" * 5000
    decoder.feed(detached + b"y\n")
    assert decoder.next_frame() == b"y" * 5001


@pytest.mark.parametrize("first_chunk", [b"\nnext\n", b"\n" + b"n" * 5000 + b"\n"])
def test_a_crlf_cut_between_a_collected_line_and_its_next_chunk_is_one_line_end(
    first_chunk: bytes,
) -> None:
    decoder = Lines(max_length=LONG).decoder()
    decoder.feed(b"a" * 5000 + b"\r")
    assert list(decoder) == []  # long enough to be collected
    decoder.feed(first_chunk)
    assert list(decoder) == [b"a" * 5000, first_chunk[1:-1]]
    assert decoder.buffered == 0


def test_next_is_the_iterator_protocol_over_next_frame() -> None:
    decoder = Lines().decoder()
    decoder.feed(b"a\nb")
    assert next(decoder) == b"a"
    with pytest.raises(StopIteration):
        next(decoder)
    assert not decoder.eof
    decoder.feed_eof()
    assert decoder.eof
    assert "1 bytes buffered" in repr(decoder)


@pytest.mark.parametrize("codec", [COBS(max_length=10), SLIP(max_length=10), Lines(max_length=10)])
def test_eof_inside_a_skipped_too_long_frame_ends_the_stream_cleanly(codec: Any) -> None:
    # Found by framing.aio's conformance test: a COBS decoder kept the skipped
    # frame's code-byte count and raised FrameTooLarge again on every call.
    decoder = codec.decoder()
    decoder.feed(b"\x01" * 12)
    decoder.feed_eof()
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    assert [decoder.next_frame(), decoder.next_frame()] == [None, None]
    assert decoder.buffered == 0


def test_detach_before_a_large_frame_reaches_the_collected_chunks_leaves_a_clean_decoder() -> None:
    # Found by framing.aio's interoperation test (FramedSocket detaches large
    # frames to receive them in place): the next header was read from nothing.
    codec = LengthPrefixed("!I")
    wire = codec.encode(b"a" * 300_000)
    decoder = codec.decoder()
    decoder.feed(wire[:1000])
    assert list(decoder) == []
    assert decoder.detach() == wire[:1000]
    decoder.feed(codec.encode(b"hi") + codec.encode(b"there"))
    assert list(decoder) == [b"hi", b"there"]


@pytest.mark.parametrize(
    ("digits", "length"), [(b"999", 999), (b"9999:", 999), (b"101", 101), (b"1000", 100)]
)
def test_a_netstring_length_is_too_large_as_soon_as_its_digits_show_it(
    digits: bytes, length: int
) -> None:
    from framing import Netstring

    for cut in range(1, len(digits) + 1):
        decoder = Netstring(max_length=99).decoder()
        decoder.feed(digits[:cut])
        if cut < 3:
            assert decoder.next_frame() is None
            continue
        with pytest.raises(FrameTooLarge) as raised:
            decoder.next_frame()
        assert (raised.value.length, raised.value.max_length) == (length, 99)


@pytest.mark.parametrize(
    "codec",
    [
        Lines(max_length=1 << 17),
        Lines(max_length=1 << 17, strict_crlf=True),
        Delimited(b"\0", max_length=1 << 17),
    ],
    ids=repr,
)
def test_lines_around_the_size_where_collecting_starts_pass_the_conformance_suite(
    codec: Any,
) -> None:
    # A long delimited frame is collected from 4 KiB on: frames just below
    # and above it, among small ones, cut anyhow (one byte at a time too).
    sizes = st.one_of(st.integers(0, 40), st.integers(3_000, 5_000))
    check_codec(codec, sizes.map(lambda n: b"y" * n), max_examples=10)


@pytest.mark.parametrize(
    "codec", [LengthPrefixed("!I"), Netstring(max_length=1 << 17), FixedLength(65_000)], ids=repr
)
@given(data=st.data())
def test_frames_around_the_size_where_collecting_starts_decode_and_detach_exactly(
    codec: Any, data: st.DataObject
) -> None:
    # A frame of known length is collected from 64 KiB on: frames just below
    # and above it, among small ones, cut at random places; detach() anywhere.
    sizes = st.just(65_000) if isinstance(codec, FixedLength) else st.sampled_from(
        [0, 7, 60_000, 65_535, 65_536, 70_000]
    )
    messages = data.draw(st.lists(sizes.map(lambda n: b"z" * n), min_size=1, max_size=4))
    wire = encode_all(codec, messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=12)))
    chunks = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    stop = data.draw(st.integers(0, len(chunks)))
    decoder = codec.decoder()
    got: list[bytes] = []
    for chunk in chunks[:stop]:
        decoder.feed(chunk)
        got += decoder
    rest = decoder.detach()
    assert rest == wire[len(encode_all(codec, got)) : len(b"".join(chunks[:stop]))]
    decoder.feed(rest + b"".join(chunks[stop:]))
    decoder.feed_eof()
    assert got + list(decoder) == messages


@pytest.mark.parametrize(
    "codec",
    [
        Lines(),
        Lines(strict_crlf=True),
        Delimited(b"\0"),
        Delimited(b"\r\n"),
    ],
    ids=repr,
)
@pytest.mark.parametrize(
    "lengths",
    [
        [600, 700, 5000],  # long pieces only: each found with a memchr
        [600, 3, 2, 900, 1],  # long, then short: the rest split at once
        [5, 800, 2],  # short first: one split
        [511, 512, 513, 0],  # around the length where finding one by one starts
    ],
    ids=str,
)
def test_long_and_short_frames_in_one_batch_decode_in_order(
    codec: Any, lengths: list[int]
) -> None:
    messages = [bytes([97 + i % 26]) * n for i, n in enumerate(lengths)]
    wire = encode_all(codec, messages)
    decoder = codec.decoder()
    decoder.feed(wire + b"tail")
    assert list(decoder) == messages
    assert decoder.buffered == 4
    assert feed_in(codec.decoder(), wire, 1000) == messages


@pytest.mark.parametrize(
    "codec", [LengthPrefixed("!I"), Netstring(max_length=1 << 20), FixedLength(70_000)], ids=repr
)
@pytest.mark.parametrize("read", ["iteration", "next_frame"])
def test_every_large_frame_of_known_length_is_collected_however_it_is_read(
    codec: Any, read: str
) -> None:
    # Speed, seen from inside: a frame of 64 KiB or more arriving in pieces is
    # kept as its chunks (joined once), not grown in a bytearray, every time.
    wire = encode_all(codec, [b"f" * 70_000] * 3)
    decoder, got = codec.decoder(), []
    collected = []
    for start in range(0, len(wire), 20_000):
        decoder.feed(wire[start : start + 20_000])
        if read == "iteration":
            got += decoder
        else:
            while (message := decoder.next_frame()) is not None:
                got.append(message)
        collected.append(decoder._buffer.collecting)
    assert got == [b"f" * 70_000] * 3
    # Each frame spans four pieces or more: collected from its first piece on.
    assert collected.count(True) >= 3 * 2


def test_a_frame_below_64_kib_is_never_collected() -> None:
    codec = LengthPrefixed("!I")
    wire = codec.encode(b"s" * (65_536 - 4 - 1))  # one byte short of 64 KiB on the wire
    decoder = codec.decoder()
    for start in range(0, len(wire), 1000):
        decoder.feed(wire[start : start + 1000])
        assert list(decoder) == [] or start + 1000 >= len(wire)
        assert not decoder._buffer.collecting
