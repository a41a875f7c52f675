"""HDLC: RFC 1662's octet-stuffed framing, flags, escapes, ACCM and FCS."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing import EncodeError, FrameTooLarge, IncompleteFrame
from framing.codecs.checksummed import Checksummed, ChecksumMismatch
from framing.codecs.hdlc import DEFAULT_ACCM, HDLC
from framing.testing import check_codec
from helpers import fed, kinds, only_error
from serial_helpers import decode_every_way, feed_until_too_large
from test_linear import (
    BOUND,
    KIB,
    MIB,
    frames_straddling_chunks,
    growth,
    many_frames_in_one_chunk,
    one_frame_in_chunks,
)

EXAMPLES = min(25, settings().max_examples)  # per check of the conformance suite

FLAG = b"\x7e"
ESCAPE = b"\x7d"

# RFC 1662, appendix C: the FCS computations, transcribed. C.1/C.2: the
# 16-bit FCS, whose table the RFC builds from the polynomial 0x8408; C.3:
# the 32-bit FCS, polynomial 0xedb88320. Running either over a frame and its
# FCS gives the "good final value".
PPPINITFCS16, PPPGOODFCS16 = 0xFFFF, 0xF0B8
PPPINITFCS32, PPPGOODFCS32 = 0xFFFFFFFF, 0xDEBB20E3


def _table(polynomial: int) -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ polynomial if value & 1 else value >> 1
        table.append(value)
    return table


FCSTAB16, FCSTAB32 = _table(0x8408), _table(0xEDB88320)


def pppfcs16(fcs: int, data: bytes) -> int:
    for byte in data:
        fcs = (fcs >> 8) ^ FCSTAB16[(fcs ^ byte) & 0xFF]
    return fcs


def pppfcs32(fcs: int, data: bytes) -> int:
    for byte in data:
        fcs = (fcs >> 8) ^ FCSTAB32[(fcs ^ byte) & 0xFF]
    return fcs


def with_fcs16(data: bytes) -> bytes:
    """C.2's tryfcs16: the complement of the FCS, least significant byte first."""
    return data + (pppfcs16(PPPINITFCS16, data) ^ 0xFFFF).to_bytes(2, "little")


def with_fcs32(data: bytes) -> bytes:
    return data + (pppfcs32(PPPINITFCS32, data) ^ 0xFFFFFFFF).to_bytes(4, "little")


def content(frame: bytes) -> bytes:
    """The octets between a frame's flags, unescaped as 4.2 says (the test's own reading)."""
    assert frame[:1] == FLAG
    assert frame[-1:] == FLAG
    out = bytearray()
    octets = iter(frame[1:-1])
    for octet in octets:
        out.append(next(octets) ^ 0x20 if octet == ESCAPE[0] else octet)
    return bytes(out)


def escaped(octets: bytes) -> bytes:
    """``octets`` with the flag, the escape and every control character escaped."""
    return b"".join(
        bytes([0x7D, octet ^ 0x20]) if octet < 0x20 or octet in b"\x7d\x7e" else bytes([octet])
        for octet in octets
    )


def framed(octets: bytes) -> bytes:
    """Octets between flags, escaped as the default ACCM says."""
    return FLAG + escaped(octets) + FLAG


PAYLOADS = st.binary(min_size=2, max_size=200)

# -- the FCS ----------------------------------------------------------------


def test_the_transcribed_fcs_code_gives_the_good_final_values() -> None:
    assert pppfcs16(PPPINITFCS16, with_fcs16(b"\xff\x03\xc0\x21")) == PPPGOODFCS16
    assert pppfcs32(PPPINITFCS32, with_fcs32(b"\xff\x03\xc0\x21")) == PPPGOODFCS32


@given(PAYLOADS)
def test_fcs16_frames_end_in_appendix_cs_fcs_and_give_the_good_final_value(
    payload: bytes,
) -> None:
    octets = content(HDLC().encode(payload))
    assert octets == with_fcs16(payload)
    assert pppfcs16(PPPINITFCS16, octets) == PPPGOODFCS16


@given(PAYLOADS)
def test_fcs32_frames_end_in_appendix_cs_fcs_and_give_the_good_final_value(
    payload: bytes,
) -> None:
    octets = content(HDLC(fcs=32).encode(payload))
    assert octets == with_fcs32(payload)
    assert pppfcs32(PPPINITFCS32, octets) == PPPGOODFCS32


@pytest.mark.parametrize(
    ("codec", "wire"),
    [
        # The catalogue's check values, 0x906E and 0xCBF43926, least significant byte first.
        (HDLC(accm=0), "7e 31 32 33 34 35 36 37 38 39 6e 90 7e"),
        (HDLC(fcs=32, accm=0), "7e 31 32 33 34 35 36 37 38 39 26 39 f4 cb 7e"),
        (HDLC(fcs=None, accm=0), "7e 31 32 33 34 35 36 37 38 39 7e"),
    ],
    ids=["fcs16", "fcs32", "no-fcs"],
)
def test_check_string_frames(codec: HDLC, wire: str) -> None:
    assert codec.encode(b"123456789").hex(" ") == wire
    assert decode_every_way(codec, bytes.fromhex(wire)) == [b"123456789"]


def test_the_module_example_frame() -> None:
    wire = bytes.fromhex("7e ff 7d 23 7d 5e 41 31 ef 7e")
    assert HDLC().encode(b"\xff\x03\x7eA") == wire
    assert content(wire) == with_fcs16(b"\xff\x03\x7eA")


def test_hdlc_is_checksummed_octet_stuffing() -> None:
    codec = HDLC(fcs=32)
    assert isinstance(codec, Checksummed)
    assert (codec.algorithm.name, codec.byteorder) == ("crc32", "little")
    assert HDLC().algorithm.name == "crc16-x25"
    assert codec.max_length == 65536
    assert codec.codec.max_length == 65536 + 4


# -- 4.2: transparency ------------------------------------------------------


def test_default_accm_escapes_every_control_character_flag_and_escape() -> None:
    payload = bytes(range(0x20)) + b"\x7d\x7e\x7f\x80\xff A"
    frame = HDLC(fcs=None).encode(payload)
    escaped = b"".join(b"\x7d" + bytes([byte ^ 0x20]) for byte in payload[:34])
    assert frame == FLAG + escaped + b"\x7f\x80\xff A" + FLAG


def test_accm_zero_escapes_only_flag_and_escape() -> None:
    payload = b"\x00\x11\x13\x1f\x7d\x7e"
    assert HDLC(fcs=None, accm=0).encode(payload) == FLAG + b"\x00\x11\x13\x1f" + (
        b"\x7d\x5d\x7d\x5e"
    ) + FLAG


def test_accm_bits_name_the_control_characters_escaped() -> None:
    xon_xoff = (1 << 0x11) | (1 << 0x13)  # as LCP negotiates for a link with software flow control
    codec = HDLC(fcs=None, accm=xon_xoff)
    assert codec.encode(b"\x01\x11\x13A") == FLAG + b"\x01\x7d\x31\x7d\x33A" + FLAG


def test_control_characters_of_the_accm_arriving_unescaped_are_removed() -> None:
    frame = HDLC().encode(b"\xff\x03hello")
    inserted = frame[:3] + b"\x11" + frame[3:7] + b"\x13\x00" + frame[7:]  # XON, XOFF, NUL
    assert decode_every_way(HDLC(), inserted) == [b"\xff\x03hello"]
    # Outside the ACCM they are data: the FCS no longer matches.
    assert kinds(decode_every_way(HDLC(accm=0), inserted)) == [ChecksumMismatch]


def test_control_characters_are_removed_before_escapes_are_undone() -> None:
    # 7D 11 5E: an XON inserted between the escape and the byte it escapes.
    wire = FLAG + b"\xff\x7d\x11\x5e" + escaped(with_fcs16(b"\xff\x7e")[2:]) + FLAG
    assert decode_every_way(HDLC(accm=0x00020000), wire) == [b"\xff\x7e"]


@pytest.mark.parametrize(
    ("escape", "byte"),
    [(b"\x7d\x61", b"A"), (b"\x7d\x7d", b"\x5d"), (b"\x7d\x20", b"\x00"), (b"\x7d\xdf", b"\xff")],
)
def test_any_escaped_byte_is_unescaped(escape: bytes, byte: bytes) -> None:
    octets = with_fcs16(b"\xff\x03" + byte)
    wire = FLAG + b"\xff\x7d\x23" + escape + escaped(octets[3:]) + FLAG
    assert decode_every_way(HDLC(), wire) == [b"\xff\x03" + byte]


# -- 4.1 and 4.3: flags and invalid frames ------------------------------------


def test_repeated_flags_are_empty_frames_silently_discarded() -> None:
    frame = HDLC().encode(b"\xff\x03")
    assert decode_every_way(HDLC(), FLAG * 5 + frame + FLAG * 3 + frame) == [b"\xff\x03"] * 2
    assert decode_every_way(HDLC(), FLAG * 4) == []


def test_one_flag_may_end_a_frame_and_begin_the_next() -> None:
    first, second = HDLC().encode(b"ab"), HDLC().encode(b"cd")
    assert decode_every_way(HDLC(), first + second[1:]) == [b"ab", b"cd"]


def test_without_leading_flags_frames_share_one_flag_between_them() -> None:
    codec = HDLC(leading_flag=False)
    assert codec.encode(b"ab") == HDLC().encode(b"ab")[1:]
    wire = codec.encode(b"ab") + codec.encode(b"cd")
    assert wire.count(FLAG) == 2
    assert decode_every_way(HDLC(), wire) == [b"ab", b"cd"]  # any HDLC decoder reads them
    decoder = fed(codec, codec.encode(b"ab") + codec.encode(b"cd")[:3])
    assert decoder.next_frame() == b"ab"
    assert decoder.buffered == 3  # every byte not yet a message is one of the next frame


def test_the_abort_sequence_discards_the_frame() -> None:
    good = HDLC().encode(b"ok")
    aborted = HDLC().encode(b"\xff\x03 never")[:-3] + b"\x7d" + FLAG
    assert decode_every_way(HDLC(), good + aborted + good) == [b"ok", b"ok"]


def test_an_escaped_escape_before_the_flag_is_no_abort() -> None:
    octets = with_fcs16(b"\xff\x03")
    if octets[-1] != 0x5D:  # pick a payload whose last FCS byte is 0x5D
        payload = next(
            bytes([0xFF, n]) for n in range(256) if with_fcs16(bytes([0xFF, n]))[-1] == 0x5D
        )
        octets = with_fcs16(payload)
    wire = framed(octets[:-1])[:-1] + b"\x7d\x7d" + FLAG
    assert decode_every_way(HDLC(accm=0), wire) == [octets[:-2]]


@pytest.mark.parametrize(
    ("codec", "fcs"),
    [(HDLC(), with_fcs16), (HDLC(fcs=32), with_fcs32), (HDLC(fcs=None), lambda octets: octets)],
    ids=["fcs16", "fcs32", "no-fcs"],
)
def test_frames_of_less_than_two_octets_before_the_fcs_are_silently_discarded(
    codec: HDLC, fcs: object
) -> None:
    short = b"".join(framed(fcs(b"\xff"[:size])) for size in (0, 1))  # type: ignore[operator]
    assert decode_every_way(codec, short + framed(fcs(b"\xff\x03"))) == [b"\xff\x03"]  # type: ignore[operator]


def test_a_frame_of_three_octets_is_too_short_even_with_a_good_fcs() -> None:
    three = framed(with_fcs16(b"\x21"))  # 4.3: less than 4 octets with the 16-bit FCS
    assert len(content(three)) == 3
    assert decode_every_way(HDLC(), three) == []


@pytest.mark.parametrize("fcs", [16, 32, None])
def test_encode_refuses_what_the_receiver_would_discard(fcs: int | None) -> None:
    codec = HDLC(fcs=fcs)  # type: ignore[arg-type]
    for short in (b"", b"\xff"):
        with pytest.raises(EncodeError, match=f"a payload of {len(short)} bytes is too short"):
            codec.encode(short)


def test_garbage_before_the_first_flag_is_a_bad_frame() -> None:
    frame = HDLC().encode(b"\xff\x03")
    assert kinds(decode_every_way(HDLC(), b"line noise" + frame)) == [ChecksumMismatch, b"\xff\x03"]
    assert decode_every_way(HDLC(), b"\x41" + frame) == [b"\xff\x03"]  # too short: discarded


def test_a_bad_fcs_is_reported_with_both_values_then_decoding_goes_on() -> None:
    good = HDLC().encode(b"\xff\x03ok")
    bad = framed(b"\xff\x03xx\x12\x34")
    events = decode_every_way(HDLC(), good + bad + good)
    assert kinds(events) == [b"\xff\x03ok", ChecksumMismatch, b"\xff\x03ok"]
    expected = pppfcs16(PPPINITFCS16, b"\xff\x03xx") ^ 0xFFFF
    assert (events[1].expected, events[1].received) == (expected, 0x3412)
    assert f"expected {expected:04x}, received 3412" in str(events[1])


# -- limits and memory ----------------------------------------------------------


def test_a_frame_of_max_length_every_byte_escaped_is_accepted() -> None:
    codec = HDLC(max_length=10)
    payload = b"\x7e\x7d\x00\x1f" * 2 + b"\x7e\x7e"
    frame = codec.encode(payload)
    assert len(frame) >= 2 * 10 + 2
    assert decode_every_way(codec, frame) == [payload]


def test_a_frame_over_max_length_is_too_large_then_decoding_goes_on() -> None:
    codec = HDLC(max_length=10)
    big = HDLC().encode(b"\x7e" * 11)
    events = decode_every_way(codec, big + codec.encode(b"ok"))
    assert kinds(events) == [FrameTooLarge, b"ok"]
    assert events[0].max_length == 10


@pytest.mark.parametrize(
    ("chunk", "what"),
    [
        (b"\xff\x03" + b"A" * 98, "plain bytes"),
        (b"\x7d\x5e" * 50, "escaped bytes"),
        (b"\x11" * 100, "control characters that the ACCM removes"),
    ],
)
def test_a_peer_sending_an_endless_frame_is_stopped(chunk: bytes, what: str) -> None:
    codec = HDLC(max_length=1000)
    decoder = fed(codec, FLAG)
    error, _ = feed_until_too_large(decoder, chunk, codec.largest_frame)
    assert error.max_length == 1000, what
    for _ in range(50):  # the rest is skipped, holding nothing
        decoder.feed(chunk)
        assert decoder.next_frame() is None
        assert decoder.buffered == 0
    decoder.feed(FLAG + codec.encode(b"\xff\x03next"))
    assert list(decoder) == [b"\xff\x03next"]


def test_too_large_is_raised_as_soon_as_max_length_is_exceeded() -> None:
    codec = HDLC(max_length=100)
    decoder = fed(codec, FLAG + b"A" * 102)  # 102 octets: payload and FCS may still fit
    assert decoder.next_frame() is None
    decoder.feed(b"A")
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()


def test_detach_while_skipping_a_frame_too_large_hands_over_what_follows_it() -> None:
    codec = HDLC(max_length=10)
    decoder = fed(codec, FLAG + b"A" * 30)
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"AAA" + codec.encode(b"next"))
    assert codec.decode(decoder.detach()) == [b"next"]
    decoder = fed(codec, FLAG + b"A" * 30)
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"AAA")
    assert decoder.detach() == b""


@pytest.mark.parametrize("cut", [2, 3, 5, 8])
def test_eof_inside_a_frame_keeps_its_bytes(cut: int) -> None:
    frame = HDLC().encode(b"\xff\x03hello")
    events = decode_every_way(HDLC(), HDLC().encode(b"ab") + frame[:cut])
    error = only_error(events, IncompleteFrame)
    assert error.partial == frame[1:cut]  # after the flag that began it


def test_a_stream_cut_after_an_opening_flag_ends_cleanly() -> None:
    assert decode_every_way(HDLC(), HDLC().encode(b"ab") + FLAG) == [b"ab"]


def escaped_frame_at_max_length(size: int) -> None:
    """A ``size``-byte message, every byte escaped, at its max_length, 64 bytes a feed."""
    codec = HDLC(max_length=size)
    wire = codec.encode(b"\x7e\x01" * (size // 2))
    decoder = codec.decoder()
    got = []
    for start in range(0, len(wire), 64):
        decoder.feed(wire[start : start + 64])
        got += decoder
    assert [len(message) for message in got] == [size]


def test_decoding_costs_linear_time() -> None:
    codec = HDLC(max_length=2 * MIB)
    assert growth(lambda size: one_frame_in_chunks(codec, size), 256 * KIB, MIB) < BOUND
    assert growth(lambda n: frames_straddling_chunks(codec, n), 1024, 4096) < BOUND
    many = functools.partial(many_frames_in_one_chunk, codec, iterate=True)
    assert growth(many, 4096, 16384) < BOUND
    assert growth(escaped_frame_at_max_length, 64 * KIB, 256 * KIB) < BOUND


# -- interoperability ---------------------------------------------------------


@given(st.binary(max_size=200), st.integers(0, 7))
def test_frames_agree_with_yahdlc(data: bytes, sequence: int) -> None:
    """python4yahdlc (yahdlc's C code): address 0xFF, a control byte, FCS-16, ACCM 0."""
    yahdlc = pytest.importorskip("yahdlc")
    frame = yahdlc.frame_data(data, yahdlc.FRAME_DATA, sequence)
    [payload] = HDLC(accm=0).decode(frame)
    assert payload[0] == 0xFF
    assert payload[2:] == data
    assert HDLC(accm=0).encode(payload) == frame
    # yahdlc reads our frames with escaped control characters too, but for
    # its Control field (0x10 and up: a control character) which it reads
    # where it expects it, unescaped.
    accm = DEFAULT_ACCM & ~(1 << payload[1])
    assert yahdlc.get_data(HDLC(accm=accm).encode(payload)) == (data, yahdlc.FRAME_DATA, sequence)


# -- the codec ----------------------------------------------------------------


def test_hdlc_codecs_are_values() -> None:
    codec = HDLC()
    assert codec == HDLC(fcs=16, accm=DEFAULT_ACCM, max_length=65536)
    assert hash(codec) == hash(HDLC())
    assert codec != HDLC(fcs=32)
    assert codec != HDLC(accm=0)
    assert codec != HDLC(max_length=1500)
    assert codec != HDLC(leading_flag=False)
    assert codec != Checksummed(codec.codec, "crc16-x25", byteorder="little")
    assert codec.codec == HDLC().codec != HDLC(fcs=32).codec
    assert codec.codec != b"octets"  # the octet stuffing equals only its own kind
    assert repr(codec.codec) == "<HDLC octet stuffing, accm=0xffffffff, max_length=65538>"
    assert repr(codec) == "HDLC(fcs=16, accm=0xffffffff, max_length=65536, leading_flag=True)"
    assert repr(HDLC(fcs=None, accm=0, max_length=1504)) == (
        "HDLC(fcs=None, accm=0x00000000, max_length=1504, leading_flag=True)"
    )
    assert codec.largest_frame == 2 * (65536 + 2) + 2
    with pytest.raises(AttributeError, match="HDLC is immutable"):
        codec.accm = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fcs": 8}, "fcs must be 16, 32 or None, not 8"),
        ({"fcs": True}, "fcs must be 16, 32 or None, not True"),
        ({"accm": -1}, "accm must be a 32-bit map of control characters, not -1"),
        ({"accm": 1 << 32}, "accm must be a 32-bit map"),
        ({"accm": "all"}, "accm must be a 32-bit map"),
        ({"max_length": -1}, "max_length must be a non-negative integer"),
    ],
)
def test_bad_configurations_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HDLC(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "codec",
    [
        HDLC(max_length=300),
        HDLC(fcs=32, accm=0, max_length=60),
        HDLC(fcs=None, accm=(1 << 0x11) | (1 << 0x13), max_length=20),
        HDLC(max_length=30, leading_flag=False),
    ],
    ids=repr,
)
def test_hdlc_codecs_conform(codec: HDLC) -> None:
    check_codec(codec, max_examples=EXAMPLES)
