"""Checksummed: any codec's frames, each payload followed by its CRC (or other checksum)."""

from __future__ import annotations

import functools
import importlib.util
import pickle
import sys
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize

import test_decoder_contract as contract
from framing import (
    COBS,
    SLIP,
    Codec,
    Decoder,
    Delimited,
    EncodeError,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
    Netstring,
    ReceiveBuffer,
    UntilClose,
)
from framing.codecs.checksummed import ALGORITHMS, ChecksumAlgorithm, Checksummed, ChecksumMismatch
from framing.codecs.hdlc import HDLC
from framing.codecs.stx_etx import STXETX
from framing.testing import check_codec
from helpers import fed, kinds, only_error
from serial_helpers import decode_chunks, decode_every_way, feed_until_too_large
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

# crc32c and crc16-modbus are fastcrc's, the optional "crc" extra: without it
# their tests are skipped (and one checks what they say instead).
FASTCRC = importlib.util.find_spec("fastcrc") is not None
needs_fastcrc = pytest.mark.skipif(not FASTCRC, reason='needs the "crc" extra (fastcrc)')
FROM_FASTCRC = {"crc32c", "crc16-modbus"}

# The CRC catalogue's "check" (the checksum of b"123456789") of each
# algorithm; adler32's from zlib's own documentation of the algorithm.
CHECK = {
    "crc32": 0xCBF43926,
    "crc32c": 0xE3069283,
    "crc16-x25": 0x906E,
    "crc16-ccitt-false": 0x29B1,
    "crc16-xmodem": 0x31C3,
    "crc16-modbus": 0x4B37,
    "adler32": 0x091E01DE,
}
# The catalogue's names for them (punctuation and case are ignored).
ALIASES = [
    ("CRC-32", "crc32"),
    ("CRC-32/ISO-HDLC", "crc32"),
    ("CRC-32C", "crc32c"),
    ("CRC-32/ISCSI", "crc32c"),
    ("crc32_castagnoli", "crc32c"),
    ("CRC-16/X-25", "crc16-x25"),
    ("CRC-16/IBM-SDLC", "crc16-x25"),
    ("CRC-16/ISO-HDLC", "crc16-x25"),
    ("CRC-16/CCITT-FALSE", "crc16-ccitt-false"),
    ("CRC-16/IBM-3740", "crc16-ccitt-false"),
    ("CRC-16/XMODEM", "crc16-xmodem"),
    ("CRC-16/MODBUS", "crc16-modbus"),
    ("Adler-32", "adler32"),
]
# RFC 3720 (iSCSI), appendix B.4: CRC-32C of 32-byte patterns.
ISCSI = [
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
]


def case(*values: object, needs: str) -> Any:
    """A test case, skipped when it ``needs`` an algorithm of fastcrc and fastcrc is missing."""
    return pytest.param(*values, marks=[needs_fastcrc] if needs in FROM_FASTCRC else [])


def crc32(payload: bytes) -> bytes:
    return zlib.crc32(payload).to_bytes(4, "big")


# -- the algorithms ---------------------------------------------------------


def test_every_algorithm_has_a_check_value() -> None:
    assert set(ALGORITHMS) == set(CHECK)


@pytest.mark.parametrize(("name", "check"), [case(*item, needs=item[0]) for item in CHECK.items()])
def test_algorithm_gives_the_catalogue_check_value(name: str, check: int) -> None:
    algorithm = ChecksumAlgorithm.named(name)
    assert algorithm.name == name
    assert algorithm.function(b"123456789") == check
    assert check < 1 << 8 * algorithm.size


@pytest.mark.parametrize(("alias", "name"), [case(*alias, needs=alias[1]) for alias in ALIASES])
def test_catalogue_names_are_accepted_in_any_spelling(alias: str, name: str) -> None:
    assert ChecksumAlgorithm.named(alias) == ChecksumAlgorithm.named(name)
    assert Checksummed(COBS(), alias) == Checksummed(COBS(), name)


@needs_fastcrc
@pytest.mark.parametrize(("data", "check"), ISCSI)
def test_crc32c_gives_the_iscsi_test_vectors(data: bytes, check: int) -> None:
    assert ChecksumAlgorithm.named("crc32c").function(data) == check


@given(st.binary(max_size=300))
def test_x25_from_the_standard_library_agrees_with_fastcrc(data: bytes) -> None:
    fastcrc = pytest.importorskip("fastcrc")
    for name, theirs in [
        ("crc16-x25", fastcrc.crc16.ibm_sdlc),
        ("crc16-ccitt-false", fastcrc.crc16.ibm_3740),
        ("crc16-xmodem", fastcrc.crc16.xmodem),
        ("crc32", fastcrc.crc32.iso_hdlc),
    ]:
        assert ChecksumAlgorithm.named(name).function(data) == theirs(data), name


def test_unknown_algorithm_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown checksum algorithm 'md5'; expected one of crc32"):
        Checksummed(COBS(), "md5")
    with pytest.raises(ValueError, match="unknown checksum algorithm 32"):
        ChecksumAlgorithm.named(32)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["crc32c", "crc16-modbus"])
def test_fastcrc_algorithms_say_how_to_install_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("fastcrc", "fastcrc.crc16", "fastcrc.crc32"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails, as if not installed
    with pytest.raises(ImportError, match=r'fastcrc package: pip install "framing-codecs\[crc\]"'):
        Checksummed(COBS(), name)
    x25 = Checksummed(COBS(), "crc16-x25")  # the standard library's
    assert x25.decode(x25.encode(b"x")) == [b"x"]


def test_a_custom_algorithm_sends_the_low_bits_of_its_function() -> None:
    low16 = ChecksumAlgorithm("crc32-low16", 2, zlib.crc32)
    codec = Checksummed(Netstring(), low16)
    assert codec.encode(b"hello") == b"7:hello\xa6\x86,"  # crc32(b"hello") = 0x3610A686
    assert codec.decode(b"7:hello\xa6\x86,") == [b"hello"]
    assert kinds(decode_every_way(codec, b"7:hello\x36\x10,")) == [ChecksumMismatch]


def test_a_checksum_of_no_bytes_passes_frames_through() -> None:
    codec = Checksummed(COBS(), ChecksumAlgorithm("none", 0, lambda data: 0))
    assert codec.max_length == COBS().max_length
    assert codec.encode(b"ab") == COBS().encode(b"ab")
    assert decode_every_way(codec, COBS().encode(b"ab") + COBS().encode(b"")) == [b"ab", b""]


@pytest.mark.parametrize(
    "algorithm",
    [
        ChecksumAlgorithm("negative", -1, zlib.crc32),
        ChecksumAlgorithm("boolean", True, zlib.crc32),
        ChecksumAlgorithm("fractional", 1.5, zlib.crc32),  # type: ignore[arg-type]
        ChecksumAlgorithm("no function", 4, None),  # type: ignore[arg-type]
    ],
)
def test_a_custom_algorithm_needs_a_size_and_a_function(algorithm: ChecksumAlgorithm) -> None:
    with pytest.raises(ValueError, match="needs a size in bytes"):
        Checksummed(COBS(), algorithm)


# -- encoding -----------------------------------------------------------------


def test_encode_appends_the_checksum_big_endian_then_frames_both() -> None:
    codec = Checksummed(COBS(), "crc32")
    assert codec.encode(b"hello").hex(" ") == "0a 68 65 6c 6c 6f 36 10 a6 86 00"
    assert codec.encode(b"hello") == COBS().encode(b"hello\x36\x10\xa6\x86")


def test_byteorder_little_sends_the_least_significant_byte_first() -> None:
    codec = Checksummed(LengthPrefixed("B"), "crc16-xmodem", byteorder="little")
    assert codec.encode(b"123456789") == b"\x0b123456789\xc3\x31"  # check 0x31C3


def test_encode_parts_are_the_wrapped_codecs_parts() -> None:
    codec = Checksummed(LengthPrefixed("!H"), "crc32")
    parts = codec.encode_parts(bytearray(b"hi"))
    assert b"".join(parts) == codec.encode(memoryview(b"hi")) == b"\x00\x06hi" + crc32(b"hi")


def test_max_length_is_the_wrapped_codecs_less_the_checksum() -> None:
    codec = Checksummed(COBS(max_length=10), "crc32")
    assert codec.max_length == 6
    assert decode_every_way(codec, codec.encode(b"123456")) == [b"123456"]
    with pytest.raises(EncodeError, match="message of 7 bytes exceeds max_length of 6 bytes"):
        codec.encode(b"1234567")


def test_a_codec_too_small_for_the_checksum_is_refused() -> None:
    assert Checksummed(COBS(max_length=4), "crc32").max_length == 0
    with pytest.raises(ValueError, match="frames at most 3 bytes: no room for a 4-byte crc32"):
        Checksummed(COBS(max_length=3), "crc32")


def test_a_delimited_codec_refuses_a_checksum_holding_its_delimiter() -> None:
    codec = Checksummed(Delimited(b"\n"), "crc32")
    message = next(m for m in (b"%d" % i for i in range(1000)) if b"\n" in crc32(m))
    with pytest.raises(EncodeError):
        codec.encode(message)


def test_wrong_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match=r"wraps a framing\.Codec, not bytes"):
        Checksummed(b"cobs", "crc32")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="byteorder must be 'big' or 'little', not 'middle'"):
        Checksummed(COBS(), "crc32", byteorder="middle")  # type: ignore[arg-type]


# -- decoding -----------------------------------------------------------------


@given(st.lists(st.binary(max_size=40), max_size=5))
def test_messages_round_trip_over_a_resynchronising_codec(messages: list[bytes]) -> None:
    codec = Checksummed(SLIP(), "crc16-x25")
    wire = b"".join(map(codec.encode, messages))
    assert decode_chunks(codec, [wire[i : i + 3] for i in range(0, len(wire), 3)]) == messages


def test_a_bad_checksum_is_reported_with_both_values_then_decoding_goes_on() -> None:
    codec = Checksummed(COBS(), "crc32")
    bad = COBS().encode(b"hello" + bytes.fromhex("3610a687"))
    events = decode_every_way(codec, codec.encode(b"a") + bad + codec.encode(b"b"))
    assert kinds(events) == [b"a", ChecksumMismatch, b"b"]
    error = events[1]
    assert (error.algorithm, error.expected, error.received) == ("crc32", 0x3610A686, 0x3610A687)
    assert str(error) == (
        "crc32 mismatch in a frame of 9 bytes: expected 3610a686, received 3610a687"
    )
    assert isinstance(error, InvalidFrame)


def test_a_checksum_mismatch_pickles_with_its_fields() -> None:
    error = ChecksumMismatch("crc16-x25", 0x1234, 0x4321)
    assert str(error) == "crc16-x25 mismatch: expected 1234, received 4321"
    again = pickle.loads(pickle.dumps(error))
    assert (again.algorithm, again.expected, again.received, str(again)) == (
        "crc16-x25",
        0x1234,
        0x4321,
        str(error),
    )


@pytest.mark.parametrize("size", [0, 1, 3])
def test_a_frame_too_short_for_the_checksum_is_invalid_then_decoding_goes_on(size: int) -> None:
    codec = Checksummed(COBS(), "crc32")
    events = decode_every_way(codec, COBS().encode(b"xyz"[:size]) + codec.encode(b"ok"))
    assert kinds(events) == [InvalidFrame, b"ok"]
    assert f"frame of {size} bytes is too short to hold a 4-byte crc32 checksum" in str(events[0])


def test_over_a_codec_that_cannot_resynchronise_a_bad_checksum_ends_the_stream() -> None:
    codec = Checksummed(LengthPrefixed("!H"), "crc32")
    assert not codec.decoder().resynchronises
    wire = codec.encode(b"a") + b"\x00\x05hello" + codec.encode(b"b")
    events = decode_every_way(codec, wire)
    assert kinds(events) == [b"a", ChecksumMismatch]
    decoder = fed(codec, wire)
    assert decoder.next_frame() == b"a"
    for _ in range(2):  # failed for good: the same error again, input discarded
        with pytest.raises(ChecksumMismatch):
            decoder.next_frame()
    before = decoder.buffered
    decoder.feed(codec.encode(b"c"))
    assert decoder.buffered == before


def test_a_frame_over_max_length_is_too_large_in_payload_terms_then_decoding_goes_on() -> None:
    codec = Checksummed(COBS(max_length=14), "crc32")  # payloads of 10 bytes at most
    big = Checksummed(COBS(), "crc32").encode(b"x" * 11)
    events = decode_every_way(codec, codec.encode(b"a") + big + codec.encode(b"b"))
    assert kinds(events) == [b"a", FrameTooLarge, b"b"]
    assert events[1].max_length == 10
    assert events[1].length > 10


def test_a_length_header_over_max_length_is_too_large_at_once() -> None:
    codec = Checksummed(LengthPrefixed("!I", max_length=1004), "crc32")
    decoder = fed(codec, b"\x00\x00\x10\x00")  # 4096 bytes announced, none sent
    with pytest.raises(FrameTooLarge) as raised:
        decoder.next_frame()
    assert (raised.value.length, raised.value.max_length) == (4092, 1000)


def test_a_peer_sending_an_endless_frame_is_stopped_at_max_length() -> None:
    codec = Checksummed(COBS(max_length=1004), "crc32")
    decoder = codec.decoder()
    chunk = b"\x05abcd" * 20  # 100 bytes of a frame that never ends
    error, sent = feed_until_too_large(decoder, chunk, codec.largest_frame)
    assert error.max_length == 1000
    assert sent <= 1100  # as soon as more than max_length payload bytes have arrived
    for _ in range(100):  # the rest of it is skipped, holding nothing
        decoder.feed(chunk)
        assert decoder.next_frame() is None
        assert decoder.buffered < len(chunk)
    decoder.feed(b"\x00" + codec.encode(b"next"))
    assert list(decoder) == [b"next"]


@pytest.mark.parametrize("cut", [1, 3, 6, 9])
def test_eof_inside_a_frame_keeps_its_bytes(cut: int) -> None:
    codec = Checksummed(COBS(), "crc32")
    frame = codec.encode(b"hello")
    error = only_error(decode_every_way(codec, codec.encode(b"a") + frame[:cut]), IncompleteFrame)
    assert error.partial == frame[:cut]


def test_buffered_and_detach_cover_the_wrapped_decoder_and_the_bytes_not_handed_to_it() -> None:
    codec = Checksummed(LengthPrefixed("!H"), "crc32")
    wire = b"".join(map(codec.encode, [b"one", b"two", b"three"]))
    decoder = fed(codec, wire)
    messages = iter(decoder)
    assert next(messages) == b"one"
    decoder.feed(b"\x00")  # fed, not yet handed to the wrapped decoder
    rest = wire[len(codec.encode(b"one")) :] + b"\x00"
    assert decoder.buffered == len(rest)
    assert decoder.detach() == rest
    assert decoder.buffered == 0
    assert list(messages) == []  # nothing detach() handed over comes out again
    successor = fed(codec, rest[:-1])
    assert list(successor) == [b"two", b"three"]


def test_bytes_needed_is_the_wrapped_decoders() -> None:
    codec = Checksummed(LengthPrefixed("!H"), "crc32")
    decoder = fed(codec, b"\x00\x09he")
    assert decoder.next_frame() is None
    assert decoder.bytes_needed == 9 - 2
    decoder.feed(b"llo")
    assert decoder.bytes_needed == 9 - 2 - 3  # the 3 bytes still with the wrapper count
    assert Checksummed(COBS(), "crc32").decoder().bytes_needed is None


def test_the_decoder_belongs_to_the_checksummed_codec() -> None:
    codec = Checksummed(COBS(), "crc32")
    decoder = codec.decoder()
    assert decoder.codec is codec
    assert decoder.resynchronises
    assert repr(decoder).startswith("<_ResynchronisingDecoder for Checksummed(COBS(")


def test_a_one_message_stream_stays_one() -> None:
    codec = Checksummed(UntilClose(max_length=100), "adler32")
    assert codec.ends_at_close
    assert not Checksummed(COBS(), "crc32").ends_at_close
    wire = codec.encode(b"whole stream")
    assert decode_every_way(codec, wire) == [b"whole stream"]
    assert kinds(decode_every_way(codec, wire[:-1] + b"\x00")) == [ChecksumMismatch]


def test_largest_frame_is_the_wrapped_codecs() -> None:
    assert Checksummed(COBS(max_length=300), "crc32").largest_frame == COBS(
        max_length=300
    ).largest_frame

    class Unsized(Codec):
        max_length = 100

        def encode(self, message: object) -> bytes:
            return bytes(message)  # type: ignore[call-overload]

        def decoder(self) -> Decoder:
            raise NotImplementedError

    assert Checksummed(Unsized(), "crc32").largest_frame is None


def test_checksummed_codecs_are_values() -> None:
    codec = Checksummed(COBS(), "crc32")
    assert codec == Checksummed(COBS(), "CRC-32")
    assert hash(codec) == hash(Checksummed(COBS(), "CRC-32"))
    assert codec != Checksummed(COBS(), "crc32", byteorder="little")
    assert codec != Checksummed(COBS(max_length=10), "crc32")
    assert codec != COBS()
    assert repr(codec) == "Checksummed(COBS(max_length=65536), 'crc32')"
    assert repr(Checksummed(SLIP(), "crc16-x25", byteorder="little")) == (
        "Checksummed(SLIP(max_length=65536, leading_end=True), 'crc16-x25', byteorder='little')"
    )
    custom = ChecksumAlgorithm("sum8", 1, lambda data: sum(bytes(data)))
    assert repr(Checksummed(COBS(), custom)).startswith(
        "Checksummed(COBS(max_length=65536), "
        "ChecksumAlgorithm(name='sum8', size=1, function=<function"
    )
    with pytest.raises(AttributeError, match="Checksummed is immutable: cannot set 'max_length'"):
        codec.max_length = 1  # type: ignore[misc]


def test_decoding_costs_the_wrapped_codecs_linear_time() -> None:
    codec = Checksummed(COBS(max_length=2 * MIB), "crc32")
    assert growth(lambda size: one_frame_in_chunks(codec, size), 256 * KIB, MIB) < BOUND
    assert growth(lambda n: frames_straddling_chunks(codec, n), 1024, 4096) < BOUND
    many = functools.partial(many_frames_in_one_chunk, codec, iterate=True)
    assert growth(many, 4096, 16384) < BOUND


# -- every message once, in order, under any interleaving ----------------------

SERIAL_CODECS = [
    Checksummed(COBS(), "crc32"),
    Checksummed(LengthPrefixed("!H"), "crc16-x25"),
    Checksummed(STXETX(transparent=True), "crc32"),
    STXETX(),
    STXETX(transparent=True),
    HDLC(fcs=32, accm=0, leading_flag=False),  # a leading flag would be skipped between messages
]


class SerialInterleavings(contract.Interleavings):
    """test_decoder_contract's state machine, over the serial styles."""

    @initialize(codec=st.sampled_from(SERIAL_CODECS), messages=contract.MESSAGES)
    def start(self, codec: Codec, messages: list[bytes]) -> None:
        self.codec = codec
        self.expected = [(message + b"..")[: max(2, len(message))] for message in messages]
        self.wire = b"".join(map(codec.encode, self.expected))
        self.decoder = codec.decoder()


TestSerialInterleavings = SerialInterleavings.TestCase


# -- the conformance suite ----------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "algorithm", "byteorder"),
    [
        case(COBS(max_length=300), "crc32", "big", needs="crc32"),
        case(SLIP(max_length=40), "crc16-x25", "little", needs="crc16-x25"),
        case(LengthPrefixed("!H", max_length=300), "crc32c", "big", needs="crc32c"),
        case(UntilClose(max_length=100), "adler32", "big", needs="adler32"),
        case(STXETX(max_length=60), "crc16-xmodem", "big", needs="crc16-xmodem"),
    ],
    ids=["cobs", "slip", "length-prefixed", "until-close", "stx-etx"],
)
def test_checksummed_codecs_conform(inner: Codec, algorithm: str, byteorder: Any) -> None:
    check_codec(Checksummed(inner, algorithm, byteorder=byteorder), max_examples=EXAMPLES)


def test_a_decoder_of_your_own_can_be_wrapped() -> None:
    class OneByteLength(Codec):
        """One length byte, then the payload: public names only."""

        max_length = 255

        def encode(self, message: object) -> bytes:
            payload = bytes(message)  # type: ignore[call-overload]
            if len(payload) > self.max_length:
                raise EncodeError(f"{len(payload)} bytes is more than {self.max_length}")
            return bytes([len(payload)]) + payload

        def decoder(self) -> Decoder:
            return OneByteLengthDecoder(self)

    class OneByteLengthDecoder(Decoder):
        def decode(self, buffer: ReceiveBuffer) -> bytes | None:
            if not buffer or len(buffer) < 1 + buffer.byte_at(0):
                return None
            length = buffer.byte_at(0)
            buffer.skip(1)
            return buffer.take(length)

    codec = Checksummed(OneByteLength(), "crc16-ccitt-false")
    assert codec.max_length == 253
    assert codec.encode(b"hi") == b"\x04hi" + (0x6203).to_bytes(2, "big")
    check_codec(codec, max_buffered=256, max_examples=EXAMPLES)


def test_a_bad_header_fails_a_wrapped_discarding_decoder_for_good() -> None:
    # The wrapped decoder drops oversized frames, but cannot resynchronise after a
    # bad header: the checksummed decoder stays failed with it, dropping what is fed.
    codec = Checksummed(LengthPrefixed("!h", max_length=40, discard_oversized=True), "crc32")
    decoder = codec.decoder()
    decoder.feed(codec.encode(b"ok") + b"\xff\xfe")
    assert decoder.next_frame() == b"ok"
    for _ in range(3):
        with pytest.raises(InvalidFrame, match="negative length"):
            decoder.next_frame()
        decoder.feed(codec.encode(b"after"))
        assert decoder.buffered == 2
    assert decoder.detach() == b"\xff\xfe"


def test_a_bad_checksum_or_an_oversized_frame_skips_one_frame_of_a_discarding_decoder() -> None:
    codec = Checksummed(LengthPrefixed("!H", max_length=10, discard_oversized=True), "crc32")
    bad = bytearray(codec.encode(b"bad"))
    bad[-1] ^= 1
    big = LengthPrefixed("!H").encode(b"x" * 30)
    decoder = codec.decoder()
    decoder.feed(bytes(bad) + big + codec.encode(b"next"))
    with pytest.raises(ChecksumMismatch):
        decoder.next_frame()
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    assert list(decoder) == [b"next"]
