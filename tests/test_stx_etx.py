"""STX/ETX: STX, DLE-stuffed payload, ETX; and DLE STX ... DLE ETX (transparent)."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing import EncodeError, FrameTooLarge, IncompleteFrame, InvalidFrame
from framing.codecs.checksummed import Checksummed, ChecksumMismatch
from framing.codecs.stx_etx import STXETX
from framing.testing import check_codec
from helpers import fed, kinds, only_error
from serial_helpers import decode_every_way, feed_until_too_large
from test_linear import BOUND, growth

EXAMPLES = min(25, settings().max_examples)  # per check of the conformance suite

STX, ETX, DLE = b"\x02", b"\x03", b"\x10"
ESCAPED = STXETX()
TRANSPARENT = STXETX(transparent=True)
# Payloads full of the bytes that mean something to either convention.
PAYLOADS = st.lists(st.sampled_from([STX, ETX, DLE, b"\x42", b"\x43", b"A"]), max_size=12).map(
    b"".join
) | st.binary(max_size=60)

# -- escaped: STX ... ETX ------------------------------------------------------

# Hand-checked against the escaped mode of FSFW's DleEncoder (STX and ETX as
# DLE and the byte + 0x40, DLE doubled).
ESCAPED_VECTORS = [
    (b"", "02 03"),
    (b"hello", "02 68 65 6c 6c 6f 03"),
    (b"A\x02\x10", "02 41 10 42 10 10 03"),
    (b"\x03", "02 10 43 03"),
    (b"\x10\x10", "02 10 10 10 10 03"),
    (b"\x42\x43", "02 42 43 03"),
    (b"\x10\x42", "02 10 10 42 03"),
]


@pytest.mark.parametrize(("payload", "wire"), ESCAPED_VECTORS)
def test_escaped_encode_stuffs_stx_etx_and_dle(payload: bytes, wire: str) -> None:
    assert ESCAPED.encode(payload).hex(" ") == wire


@pytest.mark.parametrize(("payload", "wire"), ESCAPED_VECTORS)
def test_escaped_decode_unstuffs_any_chunking(payload: bytes, wire: str) -> None:
    assert decode_every_way(ESCAPED, bytes.fromhex(wire)) == [payload]


@given(PAYLOADS)
def test_escaped_frames_agree_with_the_dle_encoder_package(payload: bytes) -> None:
    """PyPI's dle-encoder, the Python port of FSFW's DleEncoder, in its escaped mode."""
    dle_encoder = pytest.importorskip("dle_encoder")
    theirs = dle_encoder.DleEncoder()
    assert ESCAPED.encode(payload) == bytes(theirs.encode(payload))
    wire = ESCAPED.encode(payload)
    assert theirs.decode(wire) == (dle_encoder.DleErrorCodes.OK, bytearray(payload), len(wire))


def test_bytes_outside_frames_are_line_noise() -> None:
    wire = b"noise" + ESCAPED.encode(b"a") + b"\x03\x10\x42 more" + ESCAPED.encode(b"b") + b"\x00"
    assert decode_every_way(ESCAPED, wire) == [b"a", b"b"]
    assert decode_every_way(ESCAPED, b"only noise\x03\x10") == []


@pytest.mark.parametrize(
    ("lost", "following"),
    [(b"lost", b"next"), (b"x" * 300, b"next"), (b"y" * 250, b"z" * 400), (b"\x10" * 500, b"n")],
    ids=["short", "long", "long-then-long", "stuffed"],
)
def test_a_frame_whose_etx_was_lost_is_invalid_and_the_next_decodes(
    lost: bytes, following: bytes
) -> None:
    wire = ESCAPED.encode(lost)[:-1] + ESCAPED.encode(following)
    events = decode_every_way(ESCAPED, wire)
    assert kinds(events) == [InvalidFrame, following]
    assert "interrupted by the STX of the next: its ETX was lost" in str(events[0])


def test_a_long_lost_frame_over_max_length_is_too_large_once() -> None:
    codec = STXETX(max_length=100)
    wire = STXETX().encode(b"\x10" * 101)[:-1] + codec.encode(b"next")
    assert kinds(decode_every_way(codec, wire)) == [FrameTooLarge, b"next"]
    assert kinds(decode_every_way(ESCAPED, STX + b"a" + STX + STX + b"c" + ETX)) == [
        InvalidFrame,
        InvalidFrame,
        b"c",
    ]


@pytest.mark.parametrize(
    "bad",
    [b"\x10A", b"\x10\x03\x03", b"\x10\x44", b"A\x10"],
    ids=["dle-A", "dle-etx-byte", "dle-0x44", "dle-before-etx"],
)
def test_a_bad_escape_is_invalid_then_decoding_goes_on(bad: bytes) -> None:
    wire = STX + b"x" + bad + ETX + ESCAPED.encode(b"ok")
    events = decode_every_way(ESCAPED, wire)
    assert kinds(events) == [InvalidFrame, b"ok"]
    assert "DLE must be followed by DLE, 0x42 or 0x43" in str(events[0])


def test_dle_before_an_stx_is_an_interrupted_frame() -> None:
    wire = STX + b"x\x10" + ESCAPED.encode(b"B")
    assert kinds(decode_every_way(ESCAPED, wire)) == [InvalidFrame, b"B"]


# -- transparent: DLE STX ... DLE ETX ----------------------------------------------

TRANSPARENT_VECTORS = [
    (b"", "10 02 10 03"),
    (b"\x01\x10\x05", "10 02 01 10 10 05 10 03"),  # the dlestxetx package's example
    (b"A\x02\x10", "10 02 41 02 10 10 10 03"),
    (b"\x02\x03", "10 02 02 03 10 03"),  # a lone STX or ETX is payload
    (b"\x10\x03", "10 02 10 10 03 10 03"),  # DLE DLE ETX: a DLE, then an ETX
    (b"\x10\x10\x02", "10 02 10 10 10 10 02 10 03"),
]


@pytest.mark.parametrize(("payload", "wire"), TRANSPARENT_VECTORS)
def test_transparent_encode_doubles_dle_between_dle_stx_and_dle_etx(
    payload: bytes, wire: str
) -> None:
    assert TRANSPARENT.encode(payload).hex(" ") == wire


@pytest.mark.parametrize(("payload", "wire"), TRANSPARENT_VECTORS)
def test_transparent_decode_any_chunking(payload: bytes, wire: str) -> None:
    assert decode_every_way(TRANSPARENT, bytes.fromhex(wire)) == [payload]


@given(PAYLOADS)
def test_transparent_frames_agree_with_the_dlestxetx_package(payload: bytes) -> None:
    dlestxetx = pytest.importorskip("dlestxetx")
    assert TRANSPARENT.encode(payload) == dlestxetx.encode(payload)
    assert dlestxetx.decode(TRANSPARENT.encode(payload)) == payload


def test_transparent_noise_is_skipped_and_a_dle_that_may_begin_a_frame_is_kept() -> None:
    frame = TRANSPARENT.encode(b"a")
    assert decode_every_way(TRANSPARENT, b"\x03\x02noise\x10\x10" + frame + b"\x10\x03") == [b"a"]
    error = only_error(decode_every_way(TRANSPARENT, frame + b"noise\x10"), IncompleteFrame)
    assert error.partial == DLE  # it may have been the start of DLE STX
    decoder = fed(TRANSPARENT, b"noise\x10")
    assert decoder.next_frame() is None
    assert decoder.buffered == 1


def test_transparent_frame_whose_dle_etx_was_lost_is_invalid_and_the_next_decodes() -> None:
    wire = TRANSPARENT.encode(b"lost\x10")[:-2] + TRANSPARENT.encode(b"next")
    events = decode_every_way(TRANSPARENT, wire)
    assert kinds(events) == [InvalidFrame, b"next"]
    assert "interrupted by the DLE STX of the next: its DLE ETX was lost" in str(events[0])


@pytest.mark.parametrize("bad", [b"\x10A", b"\x10\x00", b"\x10\xff"])
def test_transparent_bad_escape_is_invalid_once_the_frame_ends(bad: bytes) -> None:
    wire = b"\x10\x02x" + bad + b"y\x10\x03" + TRANSPARENT.encode(b"ok")
    events = decode_every_way(TRANSPARENT, wire)
    assert kinds(events) == [InvalidFrame, b"ok"]
    assert "DLE must be followed by DLE, STX or ETX" in str(events[0])


# -- both: limits and memory --------------------------------------------------------

BOTH = [STXETX(max_length=4), STXETX(max_length=4, transparent=True)]
IDS = ["escaped", "transparent"]


@pytest.mark.parametrize("codec", BOTH, ids=IDS)
def test_a_frame_of_max_length_every_byte_stuffed_is_accepted(codec: STXETX) -> None:
    payload = b"\x10\x02\x03\x10"
    frame = codec.encode(payload)
    assert len(frame) >= 2 * 4 + 2
    assert decode_every_way(codec, frame) == [payload]


@pytest.mark.parametrize("codec", BOTH, ids=IDS)
@pytest.mark.parametrize("payload", [b"abcde", b"\x10" * 5, b"\x10\x02\x03\x10\x02"])
def test_a_frame_over_max_length_is_too_large_then_decoding_goes_on(
    codec: STXETX, payload: bytes
) -> None:
    big = STXETX(transparent=codec.transparent).encode(payload)
    events = decode_every_way(codec, big + codec.encode(b"ok"))
    assert kinds(events) == [FrameTooLarge, b"ok"]
    assert events[0].max_length == 4


@pytest.mark.parametrize("codec", BOTH, ids=IDS)
def test_a_frame_too_large_that_lost_its_end_is_too_large_once(codec: STXETX) -> None:
    big = STXETX(transparent=codec.transparent).encode(b"abcdef\x10")
    end = 2 if codec.transparent else 1
    assert kinds(decode_every_way(codec, big[:-end] + codec.encode(b"ok"))) == [
        FrameTooLarge,
        b"ok",
    ]


def test_a_transparent_frame_too_large_with_a_bad_escape_is_too_large_once() -> None:
    codec = BOTH[1]
    wire = b"\x10\x02abcdef\x10Agh\x10\x03" + codec.encode(b"ok")
    assert kinds(decode_every_way(codec, wire)) == [FrameTooLarge, b"ok"]


@pytest.mark.parametrize("transparent", [False, True], ids=IDS)
@pytest.mark.parametrize("chunk", [b"A" * 100, b"\x10\x10" * 50, b"\x10\x42" * 50])
def test_a_peer_sending_an_endless_frame_is_stopped(transparent: bool, chunk: bytes) -> None:
    codec = STXETX(max_length=1000, transparent=transparent)
    decoder = fed(codec, codec.encode(b"")[: 2 if transparent else 1])
    error, sent = feed_until_too_large(decoder, chunk, codec.largest_frame)
    assert error.length > error.max_length == 1000
    assert sent <= 2 * 1000 + 100  # as soon as more than max_length payload bytes have arrived
    for _ in range(50):  # the rest is skipped, holding nothing
        decoder.feed(chunk)
        assert decoder.next_frame() is None
        assert decoder.buffered <= 1
    decoder.feed(b"\x10\x03" + codec.encode(b"next"))
    assert list(decoder) == [b"next"]


@pytest.mark.parametrize("codec", [ESCAPED, TRANSPARENT], ids=IDS)
@pytest.mark.parametrize("cut", [1, 2, 4, 6])
def test_eof_inside_a_frame_keeps_its_bytes(codec: STXETX, cut: int) -> None:
    frame = codec.encode(b"a\x10b\x02")
    error = only_error(decode_every_way(codec, codec.encode(b"x") + frame[:cut]), IncompleteFrame)
    assert error.partial == frame[:cut]


def test_detach_while_skipping_a_transparent_frame_hands_over_what_follows_it() -> None:
    codec = STXETX(max_length=4, transparent=True)

    def skipping(*chunks: bytes) -> bytes:
        decoder = fed(codec, b"\x10\x02abcdefgh")
        with pytest.raises(FrameTooLarge):
            decoder.next_frame()
        for chunk in chunks:
            decoder.feed(chunk)
        data: bytes = decoder.detach()
        return data

    assert skipping(b"ij\x10\x10\x10\x03rest") == b"rest"  # after its DLE ETX
    assert skipping(b"ij\x10A\x10\x02next") == b"\x10\x02next"  # its end lost: the next frame
    assert skipping(b"ij") == b""
    assert skipping(b"ij\x10") == b"\x10"  # a DLE that may begin the next frame


def test_detach_while_skipping_an_escaped_frame_hands_over_the_rest() -> None:
    codec = STXETX(max_length=4)
    decoder = fed(codec, b"\x02abcdefgh")
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"ij\x03" + codec.encode(b"next"))
    assert codec.decode(decoder.detach()) == [b"next"]  # the next decoder skips the rest


# -- linear time --------------------------------------------------------------------


def interrupted_frames(codec: STXETX, count: int) -> None:
    """``count`` frames that lost their end, each cut short by the next, then one whole."""
    start = codec.encode(b"")[: 2 if codec.transparent else 1]
    decoder = fed(codec, (start + b"x") * count + codec.encode(b"last"))
    errors = 0
    while True:
        try:
            message = decoder.next_frame()
        except InvalidFrame:
            errors += 1
            continue
        if message is not None:
            break
    assert (errors, message) == (count, b"last")


def large_frame_in_small_chunks(transparent: bool, size: int) -> None:
    """A ``size``-byte message at its max_length (so measured as it comes), 64 bytes a feed."""
    codec = STXETX(max_length=size, transparent=transparent)
    wire = codec.encode(b"\x10\x02\x03y" * (size // 4))
    decoder = codec.decoder()
    got = []
    for start in range(0, len(wire), 64):
        decoder.feed(wire[start : start + 64])
        got += decoder
    assert [len(message) for message in got] == [size]


@pytest.mark.parametrize("transparent", [False, True], ids=IDS)
def test_a_burst_of_interrupted_frames_costs_linear_time(transparent: bool) -> None:
    codec = STXETX(transparent=transparent)
    assert growth(lambda count: interrupted_frames(codec, count), 4096, 16384) < BOUND


@pytest.mark.parametrize("transparent", [False, True], ids=IDS)
def test_a_large_stuffed_frame_in_small_chunks_costs_linear_time(transparent: bool) -> None:
    run = functools.partial(large_frame_in_small_chunks, transparent)
    assert growth(run, 64 * 1024, 256 * 1024) < BOUND


# -- with a checksum --------------------------------------------------------------


def test_a_crc_goes_inside_the_frame_stuffed_with_the_payload() -> None:
    codec = Checksummed(STXETX(), "crc16-xmodem")
    assert codec.encode(b"123456789").hex(" ") == "02 31 32 33 34 35 36 37 38 39 31 c3 03"
    assert codec.max_length == 65536 - 2
    # A CRC byte that is STX, ETX or DLE is stuffed like any other.
    crc = codec.algorithm.function
    payload = next(bytes([n]) for n in range(256) if ETX[0] in crc(bytes([n])).to_bytes(2, "big"))
    assert ETX not in codec.encode(payload)[1:-1]
    assert decode_every_way(codec, codec.encode(payload)) == [payload]


def test_a_bad_crc_is_reported_then_decoding_goes_on() -> None:
    codec = Checksummed(STXETX(), "crc16-xmodem")
    bad = STX + b"123456789\x31\xc4" + ETX
    events = decode_every_way(codec, codec.encode(b"a") + bad + codec.encode(b"b"))
    assert kinds(events) == [b"a", ChecksumMismatch, b"b"]
    assert (events[1].expected, events[1].received) == (0x31C3, 0x31C4)


# -- the codec ---------------------------------------------------------------------


def test_stxetx_codecs_are_values() -> None:
    codec = STXETX()
    assert codec == STXETX(max_length=65536, transparent=False)
    assert hash(codec) == hash(STXETX())
    assert codec != TRANSPARENT
    assert codec != STXETX(max_length=10)
    assert codec != Checksummed(codec, "crc32")
    assert repr(TRANSPARENT) == "STXETX(max_length=65536, transparent=True)"
    assert (ESCAPED.largest_frame, TRANSPARENT.largest_frame) == (131074, 131076)
    with pytest.raises(AttributeError, match="STXETX is immutable: cannot set 'max_length'"):
        ESCAPED.max_length = 1  # type: ignore[misc]


def test_encode_refuses_more_than_max_length() -> None:
    with pytest.raises(EncodeError, match="message of 5 bytes exceeds max_length of 4 bytes"):
        STXETX(max_length=4).encode(b"12345")
    with pytest.raises(ValueError, match="max_length must be a non-negative integer"):
        STXETX(max_length=-1)


@pytest.mark.parametrize(
    "codec",
    [
        STXETX(max_length=300),
        STXETX(max_length=20),
        STXETX(max_length=300, transparent=True),
        STXETX(max_length=10, transparent=True),
    ],
    ids=repr,
)
def test_stxetx_codecs_conform(codec: STXETX) -> None:
    check_codec(codec, max_examples=EXAMPLES)
