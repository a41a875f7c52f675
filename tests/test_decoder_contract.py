"""The decoder contract: every message once, in order, whichever way it is read.

Iterators taken from a decoder draw from the decoder itself: kept, resumed
later, interleaved with ``next_frame()``, ``feed_eof()`` and ``detach()``,
none hands out a message twice or skips one. A state machine drives every
built-in style through random interleavings and checks exactly that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import framing
from framing import (
    COBS,
    SLIP,
    Delimited,
    FixedLength,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    ReceiveBuffer,
)

# -- the cases of the issue: each failed before the decoder owned its queue ---


def test_an_iterator_kept_across_detach_hands_out_nothing_detach_took() -> None:
    # A handshake loop that switches protocol without ``break``: the old
    # iterator must not go on with the lines detach() handed over.
    decoder = Lines().decoder()
    decoder.feed(b"HELLO\nb\nc\n")
    seen: list[bytes] = []
    successor = Lines().decoder()
    for line in decoder:
        seen.append(line)
        if line == b"HELLO":
            successor.feed(decoder.detach())
    assert seen == [b"HELLO"]
    assert list(successor) == [b"b", b"c"]


@pytest.mark.parametrize("cut", [1, 2, 3, 100])
def test_switching_mid_loop_gives_the_same_messages_however_the_bytes_were_cut(cut: int) -> None:
    wire = b"HELLO\n\x00\x00\x00\x01b\x00\x00\x00\x01c"
    decoder = Lines().decoder()
    frames = LengthPrefixed("!I").decoder()
    seen: list[bytes] = []
    switched = False
    for start in range(0, len(wire), cut):
        current = frames if switched else decoder
        current.feed(wire[start : start + cut])
        for message in current:
            seen.append(message)
            if message == b"HELLO":
                frames.feed(decoder.detach())
                switched = True
        if switched:
            seen += list(frames)
    assert seen == [b"HELLO", b"b", b"c"]


def test_an_iterator_taken_before_feed_eof_delivers_the_unterminated_tail() -> None:
    decoder = Lines(allow_unterminated=True).decoder()
    decoder.feed(b"one\ntwo\nlast")
    messages = iter(decoder)
    assert next(messages) == b"one"
    decoder.feed_eof()
    assert list(messages) == [b"two", b"last"]


def test_an_iterator_taken_before_feed_eof_raises_for_a_partial_frame() -> None:
    decoder = Lines().decoder()
    decoder.feed(b"one\ntwo\nlas")
    messages = iter(decoder)
    assert next(messages) == b"one"
    decoder.feed_eof()
    assert next(messages) == b"two"
    with pytest.raises(IncompleteFrame) as raised:
        next(messages)
    assert raised.value.partial == b"las"


def test_two_iterators_share_one_queue() -> None:
    decoder = Lines().decoder()
    decoder.feed(b"a\nb\nc\nd\n")
    first, second = iter(decoder), iter(decoder)
    assert [next(first), next(second), decoder.next_frame(), next(first)] == [
        b"a",
        b"b",
        b"c",
        b"d",
    ]
    assert list(second) == []
    assert decoder.buffered == 0


# -- a codec with only encode(), and one with only encode_parts() -------------


class OnlyEncode(framing.Codec):
    """Messages behind one length byte, written with ``encode`` alone."""

    max_length = 255

    def encode(self, message: Any) -> bytes:
        payload = bytes(message)
        if len(payload) > self.max_length:
            raise framing.EncodeError(f"{len(payload)} bytes is more than {self.max_length}")
        return bytes([len(payload)]) + payload

    def decoder(self) -> ByteLengthDecoder:
        return ByteLengthDecoder(self)


class OnlyEncodeParts(OnlyEncode):
    encode = framing.Codec.encode  # back to the base: encode_parts alone defines the form

    def encode_parts(self, message: Any) -> tuple[bytes, ...]:
        payload = bytes(message)
        return (bytes([len(payload)]), payload)


class ByteLengthDecoder(framing.Decoder):
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        if not buffer or len(buffer) < 1 + buffer.byte_at(0):
            return None
        length = buffer.byte_at(0)
        buffer.skip(1)
        return buffer.take(length)


@pytest.mark.parametrize("codec", [OnlyEncode(), OnlyEncodeParts()])
def test_a_codec_defining_either_encode_method_gets_the_other(codec: framing.Codec) -> None:
    assert codec.encode(b"hi") == b"\x02hi"
    assert b"".join(codec.encode_parts(b"hi")) == b"\x02hi"
    assert codec.decode(b"\x02hi\x00") == [b"hi", b""]


def test_a_codec_defining_neither_encode_method_says_so() -> None:
    class Neither(framing.Codec):
        def decoder(self) -> ByteLengthDecoder:
            return ByteLengthDecoder(self)

    with pytest.raises(TypeError, match=r"Neither must define encode\(\) or encode_parts\(\)"):
        Neither().encode(b"x")
    with pytest.raises(TypeError, match=r"must define encode\(\) or encode_parts\(\)"):
        Neither().encode_parts(b"x")


# -- the receive buffer's public surface --------------------------------------


def fed(*chunks: bytes) -> ReceiveBuffer:
    buffer = ReceiveBuffer()
    for chunk in chunks:
        buffer.feed(chunk)
    return buffer


def test_find_resumes_per_needle_and_a_new_needle_starts_afresh() -> None:
    buffer = fed(b"key,value")
    assert buffer.find(b":") == -1
    assert buffer.find(b",") == 3
    assert buffer.find(b":") == -1
    buffer.feed(b":x")
    assert buffer.find(b":") == 9


def test_find_backs_up_for_a_needle_split_across_chunks() -> None:
    buffer = fed(b"abc\r")
    assert buffer.find(b"\r\n") == -1
    buffer.feed(b"\nrest")
    assert buffer.find(b"\r\n") == 3


def test_find_limit_searches_only_the_first_bytes() -> None:
    buffer = fed(b"0123456789:")
    assert buffer.find(b":", limit=5) == -1
    assert buffer.find(b":", limit=11) == 10


def test_reads_say_what_they_return_and_refuse_what_is_not_buffered() -> None:
    buffer = fed(b"\x00\x02", b"hi!")
    assert repr(buffer) == "<ReceiveBuffer of 5 bytes>"
    assert buffer.peek(99) == b"\x00\x02hi!"
    assert buffer.byte_at(4) == ord("!")
    assert buffer.count(b"h", 0, 3) == 1
    with pytest.raises(IndexError, match="byte 5 of a buffer of 5 bytes"):
        buffer.byte_at(5)
    with pytest.raises(ValueError, match="cannot take 6 bytes from a buffer of 5"):
        buffer.take(6)
    with pytest.raises(ValueError, match="cannot skip 6 bytes of a buffer of 5"):
        buffer.skip(6)
    buffer.skip(2)
    assert buffer.take(2) == b"hi"
    assert buffer.take_all() == b"!"
    assert not buffer


def test_expect_says_how_many_bytes_are_missing_until_any_are_consumed() -> None:
    buffer = fed(b"\x00\x00\x00\x05he")
    assert buffer.bytes_needed is None
    buffer.expect(9)
    assert (buffer.bytes_needed, buffer.short) == (3, True)
    buffer.feed(b"llo")
    assert (buffer.bytes_needed, buffer.short) == (0, False)
    buffer.skip(4)
    assert buffer.bytes_needed is None


# -- every message once, in order, under any interleaving ---------------------

CODECS = [
    Lines(),
    Lines(allow_unterminated=True),
    Delimited(b"\r\n"),
    LengthPrefixed("!H"),
    LengthPrefixed("varint"),
    FixedLength(3),
    Netstring(),
    COBS(),
    SLIP(leading_end=False),  # its leading END would be skipped between messages
]
# Mostly short messages; now and then one long enough to be collected as chunks.
_LONG = st.integers(4 * 1024 + 1, 6 * 1024).map(lambda size: b"z" * size)
MESSAGES = st.lists(
    st.one_of(st.binary(max_size=12), _LONG).map(lambda m: m.replace(b"\n", b".")), max_size=8
)


def encodable(codec: framing.Codec, messages: list[bytes]) -> list[bytes]:
    """The messages the codec can frame, made to fit it."""
    if isinstance(codec, FixedLength):
        return [(m + b"...")[:3] for m in messages]
    if isinstance(codec, (Delimited, Lines)):
        return [m.replace(b"\r", b".") for m in messages]
    if isinstance(codec, SLIP):
        return [m or b"." for m in messages]
    return messages


class Interleavings(RuleBasedStateMachine):
    """One stream of valid frames, read every way at once, detached and handed on."""

    iterators = Bundle("iterators")

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[bytes] = []
        self.sent = 0  # wire bytes fed so far
        self.ended: set[int] = set()  # the iterators (by id; the bundle keeps them) that ended

    @initialize(codec=st.sampled_from(CODECS), messages=MESSAGES)
    def start(self, codec: framing.Codec, messages: list[bytes]) -> None:
        self.codec = codec
        self.expected = encodable(codec, messages)
        self.wire = b"".join(map(codec.encode, self.expected))
        self.decoder = codec.decoder()

    @rule(size=st.one_of(st.integers(0, 20), st.integers(1000, 5000), st.just(1 << 20)))
    @precondition(lambda self: not self.decoder.eof)
    def feed(self, size: int) -> None:
        chunk = self.wire[self.sent : self.sent + size]
        self.decoder.feed(chunk)
        self.sent += len(chunk)

    @rule()
    @precondition(lambda self: self.sent == len(self.wire) and not self.decoder.eof)
    def feed_eof(self) -> None:
        self.decoder.feed_eof()

    @rule(target=iterators)
    def take_iterator(self) -> tuple[framing.Decoder, Iterator[bytes]]:
        return self.decoder, iter(self.decoder)

    @rule(taken=iterators, count=st.integers(1, 4))
    def read_from(self, taken: tuple[framing.Decoder, Iterator[bytes]], count: int) -> None:
        decoder, messages = taken
        if id(messages) in self.ended:  # an ended iterator stays ended, as Python's do
            assert next(messages, None) is None
            return
        for message in messages:
            self.seen.append(message)
            count -= 1
            if not count:
                break
        else:  # the iterator ended: then its decoder has no message ready
            self.ended.add(id(messages))
            message = decoder.next_frame()
            if message is not None:
                self.seen.append(message)
            assert message is None, f"an iterator ended with {message[:20]!r}... ready"

    @rule()
    def next_frame(self) -> None:
        message = self.decoder.next_frame()
        if message is not None:
            self.seen.append(message)

    @rule()
    def detach_and_hand_on(self) -> None:
        successor = self.codec.decoder()
        successor.feed(self.decoder.detach())
        if self.decoder.eof:
            successor.feed_eof()
        self.decoder = successor

    @invariant()
    def each_message_once_in_order(self) -> None:
        assert self.seen == self.expected[: len(self.seen)]

    @invariant()
    def buffered_is_what_detach_would_hand_over(self) -> None:
        seen_wire = len(b"".join(map(self.codec.encode, self.seen)))
        assert self.decoder.buffered == self.sent - seen_wire

    def teardown(self) -> None:
        if self.sent == len(self.wire):
            if not self.decoder.eof:
                self.decoder.feed_eof()
            self.seen += list(self.decoder)
            assert self.seen == self.expected


TestInterleavings = Interleavings.TestCase


def test_reads_see_through_the_chunks_of_a_large_frame_being_collected() -> None:
    import struct

    from framing.core.buffer import LARGE_FRAME

    def collecting() -> ReceiveBuffer:
        buffer = fed(b"\x00\x01")
        buffer.expect(2 * LARGE_FRAME)  # a large frame: later chunks are kept as they come
        buffer.feed(b"\x02\x03xyz")
        assert buffer.collecting
        return buffer

    assert collecting().unpack(struct.Struct("!I")) == (0x00010203,)
    buffer = collecting()
    assert buffer.find(b"y") == 5
    assert buffer.take_all() == b"\x00\x01\x02\x03xyz"


def test_the_example_codec_refuses_what_its_decoder_would() -> None:
    from framing.examples.own_codec import Bulk

    assert repr(Bulk(max_length=4)) == "Bulk(max_length=4)"
    with pytest.raises(framing.EncodeError, match="5 bytes is more than 4"):
        Bulk(max_length=4).encode(b"12345")


# -- found in review: each failed before its fix -------------------------------


def test_detach_while_a_too_long_line_is_skipped_hands_over_no_part_of_it() -> None:
    decoder = Lines(max_length=10).decoder()
    decoder.feed(b"x" * 20)
    with pytest.raises(framing.FrameTooLarge):
        list(decoder)
    decoder.feed(b"yyy\nnext\n")  # the rest of the bad line, then a good one
    successor = Lines().decoder()
    successor.feed(decoder.detach())
    assert list(successor) == [b"next"]


def test_an_iterator_taken_while_a_frame_arrives_sees_what_comes_later() -> None:
    decoder = LengthPrefixed("!H").decoder()
    decoder.feed(b"\x00\x05he")
    assert list(decoder) == []
    waiting = iter(decoder)
    decoder.feed(b"llo")
    assert list(waiting) == [b"hello"]
    decoder.feed(b"\x00\x05he")
    assert list(decoder) == []
    waiting = iter(decoder)
    decoder.feed_eof()
    with pytest.raises(IncompleteFrame):
        next(waiting)


def test_the_iterator_after_a_large_frame_goes_on_after_an_error() -> None:
    from framing.core.buffer import LONG_DELIMITED_FRAME

    def read(chunks: list[bytes]) -> list[object]:
        decoder = Lines(max_length=LONG_DELIMITED_FRAME + 500).decoder()
        events: list[object] = []
        for chunk in chunks[:-1]:
            decoder.feed(chunk)
            assert list(decoder) == []  # a long line begins: collected from here on
        decoder.feed(chunks[-1])
        messages = iter(decoder)
        for _ in range(4):
            try:
                events.append(next(messages))
            except StopIteration:
                break
            except framing.FrameTooLarge:
                events.append("FrameTooLarge")
        return events

    long = b"x" * (LONG_DELIMITED_FRAME + 600) + b"\nok\nok2\n"
    whole = read([long])
    cut = read([long[: LONG_DELIMITED_FRAME + 100], long[LONG_DELIMITED_FRAME + 100 :]])
    assert whole == cut == ["FrameTooLarge", b"ok", b"ok2"]


def test_a_decoder_that_defines_feed_keeps_its_own_through_eof_and_errors() -> None:
    from framing.codecs.length_prefixed import LengthPrefixedDecoder

    class Counting(LengthPrefixedDecoder):
        chunks = 0

        def feed(self, data: framing.Buffer) -> None:
            self.chunks += 1
            super().feed(data)

    decoder = Counting(LengthPrefixed("!H"))
    decoder.feed(b"\x00\x02hi\x00")
    decoder.feed(b"\x01!")
    assert list(decoder) == [b"hi", b"!"]
    decoder.feed_eof()
    with pytest.raises(ValueError, match="after feed_eof"):
        decoder.feed(b"more")
    assert decoder.chunks == 3


def test_a_failed_decoder_drops_what_is_fed_after_the_bad_frame() -> None:
    decoder = LengthPrefixed("!H", max_length=4).decoder()
    decoder.feed(b"\x00\x02ok\x00\x09")
    assert decoder.next_frame() == b"ok"
    with pytest.raises(framing.FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"\x00\x02hi")  # after the bad frame: no message, not buffered
    assert decoder.buffered == 2  # the bad header only
    decoder.feed_eof()
    with pytest.raises(ValueError, match="after feed_eof"):
        decoder.feed(b"x")
