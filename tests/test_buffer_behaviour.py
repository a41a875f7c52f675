"""How decoders hold bytes, through the public API only.

``buffered`` accounting, ``detach()`` hand-over, ``IncompleteFrame.partial``
(equal to what ``detach()`` would have returned), sticky failures, bytes-like
input, large frames, and memory bounded by ``max_length`` plus one chunk
whatever the peer sends.
"""

from __future__ import annotations

import array
from typing import Any

import pytest

from framing import (
    COBS,
    SLIP,
    Delimited,
    EncodeError,
    FixedLength,
    FrameTooLarge,
    FramingError,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)
from helpers import (
    CONFIGS,
    Config,
    decode_chunks,
    encode_all,
    fed,
    is_terminal,
    summary,
    wire_bound,
)

MIB = 1024 * 1024
STREAM_CONFIGS = [c for c in CONFIGS if not c.one_message]


# -- detach() -----------------------------------------------------------------


def test_lines_handshake_then_length_prefixed_frames_in_the_same_bytes() -> None:
    frames = LengthPrefixed("!I")
    wire = b"HELLO framing/1\r\n" + encode_all(frames, [b"one", b"two"])
    lines = fed(Lines(), wire)
    assert lines.next_frame() == b"HELLO framing/1"
    follower = fed(frames, lines.detach())
    assert list(follower) == [b"one", b"two"]


def test_detach_after_iterating_hands_over_the_rest_of_the_batch() -> None:
    wire = b"HELLO\n" + encode_all(Lines(), [b"not", b"yet"])
    lines = fed(Lines(), wire)
    for line in lines:
        assert line == b"HELLO"
        break
    assert lines.detach() == b"not\nyet\n"


def test_detach_leaves_the_decoder_empty_and_usable() -> None:
    decoder = fed(Lines(), b"abc")
    assert decoder.detach() == b"abc"
    assert decoder.buffered == 0
    decoder.feed(b"de\n")
    assert list(decoder) == [b"de"]


@pytest.mark.parametrize(
    "config", [c for c in STREAM_CONFIGS if not getattr(c.codec, "allow_unterminated", 0)], ids=repr
)
def test_partial_at_eof_is_exactly_what_detach_would_return(config: Config) -> None:
    codec = config.codec
    first, second = _two_messages(config)
    wire = codec.encode(first) + codec.encode(second)
    for cut in range(len(codec.encode(first)) + 1, len(wire)):
        detached = _drained(codec, wire[:cut]).detach()
        decoder = _drained(codec, wire[:cut])
        decoder.feed_eof()
        if not detached and isinstance(codec, SLIP):
            assert decoder.next_frame() is None  # a lone END is an empty packet
            continue
        with pytest.raises(IncompleteFrame) as info:
            decoder.next_frame()
        assert info.value.partial == detached, cut


def _two_messages(config: Config) -> tuple[bytes, bytes]:
    """Two different valid messages for ``config``'s codec, the first non-empty if it can be."""
    codec = config.codec
    if isinstance(codec, FixedLength):
        return b"\x01" * codec.size, b"\x02" * codec.size
    valid = [m for m in (b"x", b"yz", b"y", b"") if _encodes(codec, m)]
    return valid[0], valid[min(1, len(valid) - 1)]


def _encodes(codec: Any, message: bytes) -> bool:
    try:
        codec.encode(message)
    except EncodeError:
        return False
    return True


def _drained(codec: Any, data: bytes) -> Any:
    decoder = fed(codec, data)
    list(decoder)
    return decoder


@pytest.mark.parametrize(
    ("codec", "frame"),
    [
        (LengthPrefixed("!I"), b"\x00\x00\x00\x05hel"),
        (LengthPrefixed("varint"), b"\x05he"),
        (Netstring(), b"5:hel"),
        (Delimited(b"\r\n"), b"hel\r"),
        (Lines(), b"hel\r"),
        (COBS(), b"\x06hel"),
        (SLIP(leading_end=False), b"h\xdb"),
        (FixedLength(5), b"hel"),
    ],
    ids=repr,
)
def test_eof_mid_frame_after_a_message_keeps_only_the_unfinished_frame(
    codec: Any, frame: bytes
) -> None:
    decoder = fed(codec, codec.encode(b"first"[: codec.max_length]) + frame)
    assert decoder.next_frame() is not None
    decoder.feed_eof()
    with pytest.raises(IncompleteFrame) as info:
        decoder.next_frame()
    assert info.value.partial == frame


# -- buffered -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "pieces"),
    [
        (LengthPrefixed(">H"), [b"\x00", b"\x03", b"ab", b"c"]),
        (Netstring(), [b"3", b":", b"ab", b"c", b","]),
        (Lines(), [b"ab", b"c", b"\r", b"\n"]),
        (COBS(), [b"\x04", b"ab", b"c", b"\x00"]),
        (SLIP(leading_end=False), [b"a", b"\xdb", b"\xdc", b"\xc0"]),
    ],
    ids=repr,
)
def test_buffered_counts_every_wire_byte_until_the_message_is_returned(
    codec: Any, pieces: list[bytes]
) -> None:
    decoder = codec.decoder()
    total = 0
    for piece in pieces[:-1]:
        decoder.feed(piece)
        total += len(piece)
        assert decoder.next_frame() is None
        assert decoder.buffered == total
    decoder.feed(pieces[-1])
    assert decoder.next_frame() is not None
    assert decoder.buffered == 0


def test_buffered_drops_by_each_returned_frame() -> None:
    codec = Netstring()
    decoder = fed(codec, encode_all(codec, [b"a", b"bcd", b""]))
    assert [decoder.next_frame(), decoder.buffered] == [b"a", 9]
    assert [decoder.next_frame(), decoder.buffered] == [b"bcd", 3]
    assert [decoder.next_frame(), decoder.buffered] == [b"", 0]


# -- input and output types ---------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
@pytest.mark.parametrize("as_type", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_encode_accepts_any_bytes_like(config: Config, as_type: type) -> None:
    message = _two_messages(config)[0] if not isinstance(config.codec, UntilClose) else b"abc"
    wire = config.codec.encode(message)
    assert type(wire) is bytes
    assert config.codec.encode(as_type(message)) == wire


@pytest.mark.parametrize("as_type", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_feed_accepts_any_bytes_like(as_type: type) -> None:
    decoder = fed(Lines(), as_type(b"a\nb"), as_type(b"c\n"))
    assert list(decoder) == [b"a", b"bc"]


def test_feeding_a_bytearray_copies_it() -> None:
    data = bytearray(b"ab\n")
    decoder = fed(Lines(), data)
    data[:] = b"XY\n"
    assert list(decoder) == [b"ab"]


@pytest.mark.parametrize("config", STREAM_CONFIGS, ids=repr)
def test_messages_are_bytes_even_from_bytearray_input(config: Config) -> None:
    first, second = _two_messages(config)
    wire = config.codec.encode(first) + config.codec.encode(second)
    for message in fed(config.codec, bytearray(wire)):
        assert isinstance(message, bytes)


def test_feed_after_feed_eof_is_refused() -> None:
    decoder = Lines().decoder()
    decoder.feed_eof()
    with pytest.raises(ValueError, match="feed_eof"):
        decoder.feed(b"late\n")


def test_clean_eof_gives_no_more_messages() -> None:
    decoder = fed(Lines(), b"a\n")
    decoder.feed_eof()
    assert list(decoder) == [b"a"]
    assert decoder.next_frame() is None
    assert decoder.next_frame() is None


def test_decoder_knows_its_codec() -> None:
    codec = Delimited(b"|")
    assert codec.decoder().codec == codec


def test_next_frame_and_iteration_share_one_stream() -> None:
    decoder = fed(Lines(), b"a\nb\nc\n")
    assert decoder.next_frame() == b"a"
    assert next(iter(decoder)) == b"b"
    assert decoder.next_frame() == b"c"


def test_iterating_again_after_more_data_continues() -> None:
    decoder = fed(LengthPrefixed("B"), b"\x01a\x01")
    assert list(decoder) == [b"a"]
    decoder.feed(b"b")
    assert list(decoder) == [b"b"]


# -- failures -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "bad"),
    [
        (LengthPrefixed("!i"), b"\xff\xff\xff\xff"),
        (LengthPrefixed("B", max_length=3), b"\x04abcd"),
        (Netstring(), b"x:,"),
        (Netstring(max_length=3), b"4:abcd,"),
        (UntilClose(max_length=3), b"abcd"),
    ],
    ids=repr,
)
def test_failed_decoder_raises_the_same_error_and_discards_input(codec: Any, bad: bytes) -> None:
    decoder = fed(codec, bad)
    with pytest.raises(FramingError) as first:
        decoder.next_frame()
    decoder.feed(b"more input, which would be valid otherwise" * 100)
    for _ in range(2):
        with pytest.raises(type(first.value)) as again:
            list(decoder)
        assert again.value.args == first.value.args
    assert decoder.buffered <= len(bad)


def test_incomplete_frame_is_raised_again() -> None:
    decoder = fed(Netstring(), b"5:ab")
    decoder.feed_eof()
    for _ in range(2):
        with pytest.raises(IncompleteFrame) as info:
            list(decoder)
        assert info.value.partial == b"5:ab"


@pytest.mark.parametrize(
    ("codec", "bad", "good"),
    [
        (Lines(max_length=3), b"toolong\n", b"ok\n"),
        (Lines(strict_crlf=True), b"bare\n", b"ok\r\n"),
        (Delimited(b"|", max_length=3), b"toolong|", b"ok|"),
        (COBS(), b"\x05a\x00", b"\x03ok\x00"),
        (SLIP(), b"\xdbx\xc0", b"ok\xc0"),
    ],
    ids=repr,
)
def test_resynchronising_decoder_goes_on_after_an_error(
    codec: Any, bad: bytes, good: bytes
) -> None:
    decoder = fed(codec, good + bad + good)
    assert decoder.next_frame() == b"ok"
    with pytest.raises((FrameTooLarge, InvalidFrame)):
        list(decoder)
    assert list(decoder) == [b"ok"]


# -- codec.decode() -------------------------------------------------------------


def test_decode_returns_every_message() -> None:
    assert Lines().decode(b"a\r\nb\n") == [b"a", b"b"]


def test_decode_raises_incomplete_frame_on_leftovers() -> None:
    with pytest.raises(IncompleteFrame) as info:
        Lines().decode(b"a\nb")
    assert info.value.partial == b"b"


def test_decode_raises_the_first_bad_frame() -> None:
    with pytest.raises(InvalidFrame):
        Netstring().decode(b"1:a,01:b,")


def test_decode_of_an_empty_stream_is_no_message() -> None:
    assert LengthPrefixed().decode(b"") == []


# -- large frames ---------------------------------------------------------------

LARGE = bytes(range(256)) * 1200  # 300 KiB, past any "large frame" threshold


@pytest.mark.parametrize(
    "codec",
    [
        LengthPrefixed("!I"),
        LengthPrefixed("varint"),
        Netstring(),
        FixedLength(len(LARGE)),
        COBS(max_length=MIB),
        SLIP(max_length=MIB, leading_end=False),
        Delimited(b"\xff\xfe\xfd", max_length=MIB),
    ],
    ids=repr,
)
@pytest.mark.parametrize("chunk", [1000, 65536])
def test_large_frame_arrives_whole_in_any_chunk_size(codec: Any, chunk: int) -> None:
    wire = codec.encode(LARGE)
    decoder, got = codec.decoder(), []
    for start in range(0, len(wire), chunk):
        decoder.feed(wire[start : start + chunk])
        if start + chunk < len(wire):
            assert decoder.buffered == start + chunk
        got += list(decoder)
    assert got == [LARGE]
    assert decoder.buffered == 0


def test_large_stream_arrives_whole_until_close() -> None:
    decoder = UntilClose().decoder()
    for start in range(0, len(LARGE), 1000):
        decoder.feed(LARGE[start : start + 1000])
        assert list(decoder) == []
    decoder.feed_eof()
    assert list(decoder) == [LARGE]


@pytest.mark.parametrize(
    "codec", [LengthPrefixed("!I"), Netstring(), FixedLength(len(LARGE))], ids=repr
)
def test_large_frame_detached_half_way_is_handed_over_exactly(codec: Any) -> None:
    wire = codec.encode(LARGE) + codec.encode(LARGE)
    decoder = codec.decoder()
    for start in range(0, len(wire) // 2 + 12345, 4096):
        decoder.feed(wire[start : start + 4096])
        list(decoder)
    fed_bytes = min(len(wire), (len(wire) // 2 + 12345 + 4095) // 4096 * 4096)
    held = decoder.detach()
    assert held == wire[len(wire) // 2 : fed_bytes]


@pytest.mark.parametrize("codec", [LengthPrefixed("!I"), Netstring()], ids=repr)
def test_eof_inside_a_large_frame_keeps_all_its_bytes(codec: Any) -> None:
    wire = codec.encode(LARGE)[:-7]
    decoder = codec.decoder()
    for start in range(0, len(wire), 4096):
        decoder.feed(wire[start : start + 4096])
        assert decoder.next_frame() is None
    decoder.feed_eof()
    with pytest.raises(IncompleteFrame) as info:
        decoder.next_frame()
    assert info.value.partial == wire


def test_large_frame_followed_by_small_ones_in_the_same_chunks() -> None:
    codec = LengthPrefixed("!I")
    messages = [LARGE, b"a", LARGE[:5], b""]
    wire = encode_all(codec, messages)
    got: list[bytes] = []
    decoder = codec.decoder()
    for start in range(0, len(wire), 7000):
        decoder.feed(wire[start : start + 7000])
        got += list(decoder)
    assert got == messages


# -- memory bounded by max_length plus one chunk ---------------------------------
# (test_properties checks the bound for any input; these are the hostile cases)


def _hostile(codec: Any, chunk: bytes, repeat: int = 48) -> tuple[Any, list[object]]:
    """Feed ``chunk`` ``repeat`` times, draining after each; check the bound each time."""
    decoder, events = codec.decoder(), []
    for _ in range(repeat):
        decoder.feed(chunk)
        assert decoder.buffered <= wire_bound(codec) + len(chunk)
        try:
            events += list(decoder)
        except FramingError as error:
            events.append(type(error))
            if is_terminal(codec, error):
                events += _still_failing(decoder, error)
                break
    return decoder, events


def _still_failing(decoder: Any, error: FramingError) -> list[object]:
    decoder.feed(b"\x00" * 65536)
    with pytest.raises(type(error)):
        decoder.next_frame()
    return []


NO_DELIMITER = [
    Delimited(max_length=MIB),
    Delimited(b"\r\n", max_length=MIB),
    Lines(max_length=MIB),
    Lines(max_length=MIB, strict_crlf=True),
    COBS(max_length=MIB),
    SLIP(max_length=MIB),
    UntilClose(max_length=MIB),
]


@pytest.mark.parametrize("codec", NO_DELIMITER, ids=repr)
def test_delimiter_that_never_arrives_is_too_large_once_and_bounded(codec: Any) -> None:
    _, events = _hostile(codec, b"\xff" * 65536)
    assert events == [FrameTooLarge]


@pytest.mark.parametrize("codec", [Lines(max_length=MIB), Delimited(b"\r\n", max_length=MIB)])
def test_endless_carriage_returns_are_too_large_and_bounded(codec: Any) -> None:
    _, events = _hostile(codec, b"\r" * 65536)
    assert events == [FrameTooLarge]


def test_endless_slip_escapes_are_too_large_and_bounded() -> None:
    _, events = _hostile(SLIP(max_length=MIB), b"\xdb\xdc" * 32768, repeat=80)
    assert events == [FrameTooLarge]


@pytest.mark.parametrize(
    ("codec", "header"),
    [
        (LengthPrefixed("!I", max_length=MIB), b"\xff\xff\xff\xff"),
        (LengthPrefixed("<Q", max_length=MIB), b"\xff" * 8),
        (LengthPrefixed("varint", max_length=MIB), b"\xff" * 9 + b"\x01"),
        (LengthPrefixed("!I", max_length=MIB, includes_header=True), b"\x00\x10\x00\x05"),
        (Netstring(max_length=MIB), b"99999999"),
    ],
    ids=repr,
)
def test_huge_length_header_is_refused_before_any_payload(codec: Any, header: bytes) -> None:
    decoder, events = _hostile(codec, header + b"\x00" * 65536)
    assert events == [FrameTooLarge]
    assert decoder.buffered <= len(header) + 65536


@pytest.mark.parametrize(
    "codec",
    [LengthPrefixed("!I"), Lines(max_length=MIB), Netstring(), FixedLength(len(LARGE))],
    ids=repr,
)
def test_large_frame_fed_as_wide_item_buffers_counts_bytes(codec: Any) -> None:
    # A memoryview of 2-byte items has half as many items as bytes.
    payload = LARGE.replace(b"\n", b"\x0b")
    wire = codec.encode(payload)
    wire += b"\x00" * (len(wire) % 2)  # whole items; a trailing extra byte at most
    items = array.array("H")
    items.frombytes(wire)
    decoder, got = codec.decoder(), []
    for start in range(0, len(items), 1000):
        piece = memoryview(items)[start : start + 1000]
        decoder.feed(piece)
        got += decoder
    assert got[:1] == [payload]
    assert decoder.buffered == len(wire) - len(codec.encode(payload))


# -- large delimited frames, collected in chunks ----------------------------------

LINE = LARGE.replace(b"\n", b"-").replace(b"\r", b"-")
CHUNK_SIZES = [999, 4096, 65536, 100_000]


def _in_chunks(codec: Any, wire: bytes, size: int) -> list[object]:
    return summary(decode_chunks(codec, [wire[i : i + size] for i in range(0, len(wire), size)]))


@pytest.mark.parametrize(
    ("codec", "wire"),
    [
        (Lines(max_length=MIB), b"a\n" + LINE + b"\r\nb\n" + LINE + b"\n"),
        (Lines(max_length=MIB, strict_crlf=True), b"a\r\n" + LINE + b"\nb\r\n"),
        (Lines(max_length=len(LINE)), LINE + b"x\nok\n" + LINE + b"\n"),
        (Lines(max_length=MIB), b"a\n" + LINE),
        (Lines(max_length=MIB, allow_unterminated=True), b"a\n" + LINE),
        (Delimited(max_length=MIB), LINE + b"\n" + LINE + b"\n\n"),
        (Delimited(max_length=len(LINE) - 1), b"ok\n" + LINE + b"\nok\n"),
        (Delimited(b"\r\n", max_length=MIB), LINE + b"\r\n" + LINE[:5] + b"\r\n"),
        (
            COBS(max_length=MIB),
            COBS(max_length=MIB).encode(LARGE) + b"\x00" + COBS().encode(LARGE[:9]),
        ),
        (SLIP(max_length=MIB), SLIP(max_length=MIB).encode(LARGE * 2) + SLIP().encode(b"ok")),
        (
            SLIP(max_length=len(LARGE)),
            SLIP(max_length=MIB).encode(LARGE + b"\xc0") + SLIP().encode(b"ok"),
        ),
    ],
    ids=lambda value: repr(value) if not isinstance(value, bytes) else f"{len(value)}B",
)
@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_large_delimited_frames_decode_alike_in_any_chunk_size(
    codec: Any, wire: bytes, size: int
) -> None:
    assert _in_chunks(codec, wire, size) == summary(decode_chunks(codec, [wire]))


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_large_line_detached_half_way_is_handed_over_exactly(size: int) -> None:
    wire = b"a\n" + LINE + b"\n"
    decoder = Lines(max_length=MIB).decoder()
    fed_bytes = 0
    while fed_bytes < len(wire) // 2:
        decoder.feed(wire[fed_bytes : fed_bytes + size])
        fed_bytes += size
        list(decoder)
    assert decoder.detach() == wire[2:fed_bytes]


def test_large_line_partial_at_eof_is_the_whole_line() -> None:
    decoder = Lines(max_length=MIB).decoder()
    for start in range(0, len(LINE), 4096):
        decoder.feed(LINE[start : start + 4096])
        assert list(decoder) == []
        assert decoder.buffered == min(len(LINE), start + 4096)
    decoder.feed_eof()
    with pytest.raises(IncompleteFrame) as info:
        decoder.next_frame()
    assert info.value.partial == LINE


def test_decoder_repr_names_its_codec_and_buffered_bytes() -> None:
    text = repr(fed(Lines(max_length=5), b"abc"))
    assert "Lines(max_length=5" in text
    assert "3" in text


def test_next_on_a_decoder_gives_one_message_then_stops() -> None:
    decoder = fed(Lines(), b"a\n")
    assert next(decoder) == b"a"
    with pytest.raises(StopIteration):
        next(decoder)


def test_decoder_tells_whether_eof_was_fed() -> None:
    decoder = Lines().decoder()
    assert decoder.eof is False
    decoder.feed_eof()
    assert decoder.eof is True


@pytest.mark.parametrize("codec", [LengthPrefixed("<H"), FixedLength(2)], ids=repr)
def test_stopping_half_way_through_a_batch_keeps_the_rest_exactly(codec: Any) -> None:
    wire = encode_all(codec, [b"ab", b"cd", b"ef"]) + b"\x01"
    decoder = fed(codec, wire)
    for message in decoder:
        assert message == b"ab"
        break
    rest = wire[len(codec.encode(b"ab")) :]
    assert decoder.buffered == len(rest)
    assert decoder.buffered == len(rest)  # asking twice changes nothing
    assert decoder.next_frame() == b"cd"
    rest = rest[len(codec.encode(b"cd")) :]
    assert decoder.buffered == len(rest)
    assert decoder.detach() == rest


def test_empty_chunks_while_a_long_line_is_collected_change_nothing() -> None:
    decoder, got = Lines(max_length=len(LINE)).decoder(), []
    for start in range(0, len(LINE), 65536):
        decoder.feed(LINE[start : start + 65536])
        decoder.feed(b"")
        got += decoder
    for piece in (b"\r", b"", b"\n", b"", b"x\n"):
        decoder.feed(piece)
        got += decoder
    assert got == [LINE, b"x"]


@pytest.mark.parametrize(
    "codec",
    [LengthPrefixed("!I"), Netstring(), FixedLength(len(LARGE)), Lines(max_length=MIB)],
    ids=repr,
)
def test_decoder_detached_inside_a_large_frame_reads_new_frames(codec: Any) -> None:
    payload = LINE if isinstance(codec, Lines) else LARGE
    wire = codec.encode(payload)
    decoder = codec.decoder()
    for start in range(0, len(wire) // 2, 4096):
        decoder.feed(wire[start : start + 4096])
        assert list(decoder) == []
    decoder.detach()
    decoder.feed(wire)
    assert list(decoder) == [payload]


def _pieces(wire: bytes, size: int, as_type: type) -> list[Any]:
    """``wire`` in ``size``-byte pieces of ``as_type``, an empty piece after each."""
    out: list[Any] = []
    for start in range(0, len(wire), size):
        out += [as_type(wire[start : start + size]), as_type(b"")]
    return out


@pytest.mark.parametrize(
    "codec",
    [
        LengthPrefixed("!I"),
        Netstring(),
        FixedLength(len(LARGE)),
        Lines(max_length=MIB),
        Delimited(b"\x00", max_length=MIB),
    ],
    ids=repr,
)
@pytest.mark.parametrize("as_type", [bytes, bytearray, memoryview], ids=lambda t: t.__name__)
@pytest.mark.parametrize("size", [100, 5000, 70_000])
def test_large_frames_between_small_ones_in_any_piece_type(
    codec: Any, as_type: type, size: int
) -> None:
    big = LINE.replace(b"\x00", b"-") if isinstance(codec, (Lines, Delimited)) else LARGE
    small = big[: codec.max_length][:3] if not isinstance(codec, FixedLength) else big
    messages = [small, big, small, big]
    decoder, got = codec.decoder(), []
    for piece in _pieces(encode_all(codec, messages), size, as_type):
        decoder.feed(piece)
        got += decoder
    assert got == messages
    assert decoder.buffered == 0


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_large_netstring_without_its_comma_is_invalid_in_any_chunk_size(size: int) -> None:
    wire = Netstring().encode(b"ok") + Netstring().encode(LARGE)[:-1] + b";1:x,"
    assert _in_chunks(Netstring(), wire, size) == [b"ok", InvalidFrame]


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_hostile_header_after_a_large_frame_in_any_chunk_size(size: int) -> None:
    codec = LengthPrefixed("!I", max_length=len(LARGE))
    wire = codec.encode(LARGE) + b"\x7f\xff\xff\xff" + LARGE
    assert _in_chunks(codec, wire, size) == [LARGE, (FrameTooLarge, len(LARGE))]
