"""LengthPrefixed's whole header model: offsets, adjustments, kept headers, varint kinds,
headers of varying size, discarding oversized frames; MQTT against a real client.

Vectors: Netty's ``LengthFieldBasedFrameDecoder`` documentation (its worked
examples), the MQTT 5.0 specification (section 1.5.5, "Variable Byte
Integer"), multiformats' unsigned-varint specification (libp2p).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import tracemalloc
from typing import Any

import pytest
from construct import Const, If, Int8ub, Int16ub, Struct, VarInt, this
from hypothesis import given, settings
from hypothesis import strategies as st

import framing
from framing import (
    EncodeError,
    Frame,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
    Varint,
)
from framing.testing import check_codec, pure_python

HELLO = b"HELLO, WORLD"


def decode_in_pieces(codec: LengthPrefixed, wire: bytes, size: int = 1) -> list[bytes]:
    decoder = codec.decoder()
    out: list[bytes] = []
    for i in range(0, len(wire), size):
        decoder.feed(wire[i : i + size])
        out += list(decoder)
    decoder.feed_eof()
    out += list(decoder)
    return out


# --------------------------------------------------------------------------
# Netty's worked examples, each as the codec that reads it
# --------------------------------------------------------------------------


def test_netty_2_bytes_length_field_at_offset_0_do_not_strip_header() -> None:
    codec = LengthPrefixed("!H", keep_header=True)
    wire = b"\x00\x0c" + HELLO
    assert decode_in_pieces(codec, wire) == [wire]
    assert codec.encode(wire) == wire  # a whole frame in, the same frame out


def test_netty_2_bytes_length_field_at_offset_0_strip_header() -> None:
    assert LengthPrefixed("!H").decode(b"\x00\x0c" + HELLO) == [HELLO]


def test_netty_length_field_counts_the_whole_message() -> None:
    # lengthAdjustment = -2: the declared 14 counts the 2-byte length field too.
    codec = LengthPrefixed("!H", length_adjustment=-2)
    assert codec.decode(b"\x00\x0e" + HELLO) == [HELLO]
    assert codec.encode(HELLO) == b"\x00\x0e" + HELLO
    assert LengthPrefixed("!H", includes_header=True).decode(b"\x00\x0e" + HELLO) == [HELLO]


def test_netty_3_bytes_length_field_at_the_end_of_a_5_bytes_header() -> None:
    # lengthFieldOffset = 2: two bytes (CA FE) before a 3-byte length.
    codec = LengthPrefixed(framing_int24(), length_offset=2)
    wire = b"\xca\xfe\x00\x00\x0c" + HELLO
    [frame] = decode_in_pieces(codec, wire)
    assert frame == HELLO
    assert frame.fields == {"prefix": b"\xca\xfe"}  # type: ignore[attr-defined]
    assert codec.encode(HELLO, prefix=b"\xca\xfe") == wire
    assert codec.encode(frame) == wire  # a Frame carries its prefix along
    kept = LengthPrefixed(framing_int24(), length_offset=2, keep_header=True)
    assert kept.decode(wire) == [wire]


def test_netty_3_bytes_length_field_at_the_beginning_of_a_5_bytes_header() -> None:
    # lengthAdjustment = 2: two header bytes after the length are not counted.
    codec = LengthPrefixed(framing_int24(), length_adjustment=2)
    wire = b"\x00\x00\x0c\xca\xfe" + HELLO
    assert codec.decode(wire) == [b"\xca\xfe" + HELLO]
    assert codec.encode(b"\xca\xfe" + HELLO) == wire


def test_netty_2_bytes_length_field_at_offset_1_in_the_middle_of_a_4_bytes_header() -> None:
    # offset 1, adjustment 1, strip 3: CA | 00 0C | FE | HELLO, WORLD -> FE HELLO, WORLD
    codec = LengthPrefixed("!H", length_offset=1, length_adjustment=1)
    wire = b"\xca\x00\x0c\xfe" + HELLO
    [frame] = decode_in_pieces(codec, wire)
    assert frame == b"\xfe" + HELLO
    assert frame.fields == {"prefix": b"\xca"}  # type: ignore[attr-defined]
    assert codec.encode(b"\xfe" + HELLO, prefix=b"\xca") == wire


def test_netty_length_field_representing_the_length_of_the_whole_message() -> None:
    # offset 1, adjustment -3: the declared 16 counts the 4-byte header.
    codec = LengthPrefixed("!H", length_offset=1, length_adjustment=-3)
    wire = b"\xca\x00\x10\xfe" + HELLO
    [frame] = codec.decode(wire)
    assert frame == b"\xfe" + HELLO
    assert codec.encode(frame) == wire


def framing_int24() -> Any:
    from construct import Int24ub

    return Int24ub


def test_a_declared_length_that_leaves_a_negative_payload_is_invalid() -> None:
    codec = LengthPrefixed("!H", length_adjustment=-4)
    with pytest.raises(InvalidFrame, match="leaves -1 payload bytes"):
        codec.decode(b"\x00\x03abc")
    with pytest.raises(EncodeError, match="cannot hold"):
        LengthPrefixed("!H", length_adjustment=3).encode(b"ab")
    with pytest.raises(EncodeError, match="cannot hold"):
        LengthPrefixed("!H", length_adjustment=3).encode(b"ab", **{})


def test_options_are_checked_when_the_codec_is_made() -> None:
    with pytest.raises(ValueError, match="length_offset"):
        LengthPrefixed(length_offset=-1)
    with pytest.raises(ValueError, match="max_header_size"):
        LengthPrefixed(max_header_size=True)
    with pytest.raises(ValueError, match="length_adjustment"):
        LengthPrefixed(length_adjustment=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="can declare"):
        LengthPrefixed("B", length_adjustment=-10, max_length=250)
    assert LengthPrefixed("B", length_adjustment=-10).max_length == 245


def test_the_prefix_is_required_and_checked_on_encode() -> None:
    codec = LengthPrefixed("!H", length_offset=1)
    with pytest.raises(EncodeError, match="prefix="):
        codec.encode(b"x")
    with pytest.raises(EncodeError, match="prefix of 2 bytes"):
        codec.encode(b"x", prefix=b"ab")
    with pytest.raises(EncodeError, match="no fields"):
        codec.encode(b"x", prefix=b"a", type=1)


def test_a_kept_header_frame_must_be_exactly_one_valid_frame() -> None:
    codec = LengthPrefixed("!H", keep_header=True, max_length=10)
    with pytest.raises(EncodeError, match="not a whole frame"):
        codec.encode(b"\x00\x05abc")
    with pytest.raises(EncodeError, match="but 2"):
        codec.encode(b"\x00\x01a\x00\x01b")
    with pytest.raises(EncodeError, match="not a whole frame"):
        codec.encode(b"\x00\x20" + b"x" * 32)  # over max_length
    with pytest.raises(EncodeError, match="no fields"):
        codec.encode(b"\x00\x01a", type=1)
    assert codec.payload_trailer is None  # frames keep their header: not received in place


def test_the_repr_shows_only_what_differs_from_the_defaults() -> None:
    assert repr(LengthPrefixed("!H")) == (
        "LengthPrefixed(header='!H', max_length=65535, includes_header=False)"
    )
    assert "length_offset=1" in repr(LengthPrefixed("!H", length_offset=1))
    assert LengthPrefixed("!H", length_offset=1) != LengthPrefixed("!H")


OPTIONED = [
    LengthPrefixed("!H", length_adjustment=-2, max_length=1000),
    LengthPrefixed("!H", length_adjustment=3, max_length=1000),
    LengthPrefixed("!I", includes_header=True, length_adjustment=-1, max_length=1000),
    LengthPrefixed("varint", includes_header=True, length_adjustment=-1, max_length=1000),
    LengthPrefixed("!H", keep_header=True, max_length=1000),
    LengthPrefixed("!H", discard_oversized=True, max_length=100),
]


@pytest.mark.parametrize("codec", OPTIONED, ids=repr)
def test_every_option_round_trips_under_every_chunking(codec: LengthPrefixed) -> None:
    if codec.keep_header:
        plain = LengthPrefixed("!H", max_length=1000)
        whole = st.binary(max_size=300).map(plain.encode)
        check_codec(codec, messages=whole)
    elif codec.length_adjustment > 0:
        check_codec(codec, messages=st.binary(min_size=3, max_size=300))
    else:
        check_codec(codec)


def test_a_prefixed_codec_round_trips_under_every_chunking() -> None:
    codec = LengthPrefixed("!H", length_offset=2, max_length=500)
    frames = st.builds(
        lambda payload, prefix: Frame(payload, {"prefix": prefix}),
        st.binary(max_size=200),
        st.binary(min_size=2, max_size=2),
    )
    check_codec(codec, messages=frames)


# --------------------------------------------------------------------------
# varints: protobuf's, libp2p's unsigned-varint, MQTT's remaining length
# --------------------------------------------------------------------------

# multiformats/unsigned-varint README
UVARINT_VECTORS = [
    (1, "01"),
    (127, "7f"),
    (128, "80 01"),
    (255, "ff 01"),
    (300, "ac 02"),
    (16384, "80 80 01"),
]

# MQTT 5.0, 1.5.5: the boundaries of each size
MQTT_VECTORS = [
    (0, "00"),
    (127, "7f"),
    (128, "80 01"),
    (16_383, "ff 7f"),
    (16_384, "80 80 01"),
    (2_097_151, "ff ff 7f"),
    (2_097_152, "80 80 80 01"),
    (268_435_455, "ff ff ff 7f"),
]


@pytest.mark.parametrize(("value", "wire"), UVARINT_VECTORS)
def test_uvarint_vectors(value: int, wire: str) -> None:
    codec = LengthPrefixed("uvarint", max_length=1 << 20)
    frame = codec.encode(bytes(value))
    assert frame[: len(frame) - value].hex(" ") == wire
    assert codec.decode(frame) == [bytes(value)]


@pytest.mark.parametrize(("value", "wire"), MQTT_VECTORS)
def test_mqtt_remaining_length_vectors(value: int, wire: str) -> None:
    from framing.core.headers import VarintLayout

    layout = VarintLayout(Varint(minimal=True, max_bytes=4))
    assert layout.build(value, {}).hex(" ") == wire
    buffer = framing.ReceiveBuffer()
    buffer.feed(bytes.fromhex(wire))
    assert layout.parse(buffer) == (len(wire.split()), value, None)


def test_strict_varints_refuse_overlong_and_too_long_forms() -> None:
    lenient = LengthPrefixed("varint")
    assert lenient.decode(b"\x80\x00") == [b""]  # protobuf accepts it
    for name in ("uvarint", "mqtt"):
        with pytest.raises(InvalidFrame, match="overlong varint: 2 bytes for 0"):
            LengthPrefixed(name).decode(b"\x80\x00")
        with pytest.raises(InvalidFrame, match="overlong"):
            LengthPrefixed(name).decode(b"\x81\x80\x00" + b"x")
    with pytest.raises(InvalidFrame, match="longer than 4 bytes"):
        LengthPrefixed("mqtt").decode(b"\xff\xff\xff\xff\x7f")
    with pytest.raises(InvalidFrame, match="longer than 9 bytes"):
        LengthPrefixed("uvarint").decode(b"\x80" * 9 + b"\x01")
    with pytest.raises(InvalidFrame, match="exceeds"):
        LengthPrefixed("varint").decode(b"\xff" * 9 + b"\x7f")
    assert LengthPrefixed("mqtt").largest_frame == 4 + LengthPrefixed("mqtt").max_length
    with pytest.raises(ValueError, match="can declare"):
        LengthPrefixed("mqtt", max_length=268_435_456)
    with pytest.raises(ValueError, match="max_bytes"):
        Varint(max_bytes=11)
    assert LengthPrefixed(Varint(minimal=True, max_bytes=4)).max_length == 16 * 1024 * 1024


@given(st.integers(0, 2**63), st.sampled_from([1, 2, 3, 5]))
def test_a_minimal_varint_round_trips_whatever_the_chunking(value: int, size: int) -> None:
    from framing.core.headers import VarintLayout, encode_varint

    layout = VarintLayout(Varint(minimal=True))
    wire = encode_varint(value)
    buffer = framing.ReceiveBuffer()
    parsed = None
    for i in range(0, len(wire), size):
        buffer.feed(wire[i : i + size])
        parsed = layout.parse(buffer)
    assert parsed == (len(wire), value, None)


# --------------------------------------------------------------------------
# MQTT against a real client: paho-mqtt, over loopback
# --------------------------------------------------------------------------

MQTT = LengthPrefixed("mqtt", length_offset=1)
CONNECT, CONNACK, PUBLISH, SUBSCRIBE, SUBACK, DISCONNECT = 0x10, 0x20, 0x30, 0x80, 0x90, 0xE0


def _str16(text: bytes) -> bytes:
    return struct.pack("!H", len(text)) + text


class MiniBroker(socketserver.BaseRequestHandler):
    """Just enough of an MQTT 3.1.1 broker, framed by ``MQTT``: one client, QoS 0."""

    received: list[tuple[bytes, bytes]]
    to_send: list[bytes]

    def handle(self) -> None:
        self.request.settimeout(10)
        fs = framing.FramedSocket(self.request, MQTT)
        for frame in fs:
            kind = frame.fields["prefix"][0] & 0xF0  # type: ignore[attr-defined]
            if kind == CONNECT:
                fs.send(b"\x00\x00", prefix=bytes([CONNACK]))
            elif kind == SUBSCRIBE:
                packet_id = frame[:2]
                fs.send(packet_id + b"\x00", prefix=bytes([SUBACK]))
                for payload in self.to_send:  # our encoder, paho's decoder
                    fs.send(_str16(b"down") + payload, prefix=bytes([PUBLISH]))
            elif kind == PUBLISH:
                topic_length = struct.unpack("!H", frame[:2])[0]
                self.received.append((frame[2 : 2 + topic_length], frame[2 + topic_length :]))
            elif kind == DISCONNECT:
                return


def test_mqtt_frames_cross_with_paho_both_ways() -> None:
    mqtt = pytest.importorskip("paho.mqtt.client")
    sizes = [0, 1, 100, 130, 20_000, 2_200_000]  # remaining lengths of 1 to 4 bytes
    payloads = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    MiniBroker.received = []
    MiniBroker.to_send = payloads
    server = socketserver.TCPServer(("127.0.0.1", 0), MiniBroker)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    got: list[bytes] = []
    all_in = threading.Event()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        got.append(message.payload)
        if len(got) == len(payloads):
            all_in.set()

    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="framing-test")
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    try:
        client.connect("127.0.0.1", server.server_address[1])
        client.loop_start()
        client.subscribe("down")
        assert subscribed.wait(10)
        for payload in payloads:  # paho's encoder, our decoder
            client.publish("up", payload, qos=0).wait_for_publish(10)
        assert all_in.wait(10)
        client.disconnect()
    finally:
        client.loop_stop()
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert got == payloads
    assert MiniBroker.received == [(b"up", payload) for payload in payloads]


# --------------------------------------------------------------------------
# Struct headers whose size depends on their own fields
# --------------------------------------------------------------------------

VARIABLE = Struct("type" / Int8ub, "extra" / If(this.type & 0x80, Int16ub), "length" / VarInt)


def test_a_header_of_varying_size_is_read_as_its_bytes_arrive() -> None:
    codec = LengthPrefixed(VARIABLE, max_length=1 << 16)
    short = codec.encode(b"abc", type=1, extra=None)
    long = codec.encode(b"x" * 300, type=0x81, extra=513)
    assert short == b"\x01\x03abc"
    assert long[:5] == b"\x81\x02\x01\xac\x02"
    frames = decode_in_pieces(codec, short + long)
    assert frames == [b"abc", b"x" * 300]
    assert [f.fields for f in frames] == [  # type: ignore[attr-defined]
        {"type": 1, "extra": None},
        {"type": 0x81, "extra": 513},
    ]
    assert codec.largest_frame == 32 + (1 << 16)


def test_a_header_of_varying_size_is_bounded_and_checked() -> None:
    codec = LengthPrefixed(VARIABLE, max_header_size=3)
    with pytest.raises(InvalidFrame, match="longer than 3 bytes"):
        codec.decode(b"\x81\x00\x01\x80\x80\x80\x01")
    tagged = LengthPrefixed(Struct("magic" / Const(b"M"), "length" / VarInt))
    with pytest.raises(InvalidFrame, match="bad frame header"):
        tagged.decode(b"X\x01a")
    with pytest.raises(IncompleteFrame):
        tagged.decode(b"M\x80")


def test_a_header_of_varying_size_round_trips_under_every_chunking() -> None:
    codec = LengthPrefixed(VARIABLE, max_length=400)
    frames = st.builds(
        lambda payload, kind, extra: Frame(
            payload, {"type": kind, "extra": extra if kind & 0x80 else None}
        ),
        st.binary(max_size=300),
        st.integers(0, 255),
        st.integers(0, 65535),
    )
    check_codec(codec, messages=frames)


# --------------------------------------------------------------------------
# discarding an oversized frame (Netty's discard mode)
# --------------------------------------------------------------------------


def test_an_oversized_frame_is_reported_once_and_dropped_as_it_arrives() -> None:
    codec = LengthPrefixed("!I", max_length=100, discard_oversized=True)
    huge = struct.pack("!I", 1_000_000) + bytes(1_000_000)
    wire = codec.encode(b"before") + huge + codec.encode(b"after")
    decoder = codec.decoder()
    events: list[object] = []
    most = 0
    for i in range(0, len(wire), 4096):
        decoder.feed(wire[i : i + 4096])
        while True:
            try:
                message = decoder.next_frame()
            except FrameTooLarge as error:
                events.append((error.length, error.max_length))
                continue
            if message is None:
                break
            events.append(message)
        most = max(most, decoder.buffered)
    decoder.feed_eof()
    assert list(decoder) == []
    assert events == [b"before", (1_000_000, 100), b"after"]
    assert most <= 4096 + 104  # never more than a read and one valid frame


@pytest.mark.parametrize("header", ["!H", "varint"])
@pytest.mark.parametrize("cut", [1, 3, 5, 7, 11, 64])
def test_a_dropped_frame_that_holds_frames_yields_none_of_them(header: str, cut: int) -> None:
    # Its payload is valid frames: iterating (the batch path) must drop them too.
    codec = LengthPrefixed(header, max_length=20, discard_oversized=True)
    inner = b"".join(codec.encode(b"inner%d" % i) for i in range(10))
    head = bytes([len(inner)]) if header == "varint" else struct.pack("!H", len(inner))
    wire = codec.encode(b"before") + head + inner + codec.encode(b"after")
    decoder = codec.decoder()
    events: list[object] = []
    for i in range(0, len(wire), cut):
        decoder.feed(wire[i : i + cut])
        while True:
            try:
                events.extend(decoder)
                break
            except FrameTooLarge as error:
                events.append(error.length)
    decoder.feed_eof()
    assert events == [b"before", len(inner), b"after"]


@pytest.mark.parametrize(
    ("header", "bad"), [("varint", b"\x80" * 11), ("uvarint", b"\x80\x00"), ("!h", b"\xff\xfe")]
)
def test_a_bad_header_fails_a_discarding_decoder_for_good(header: str, bad: bytes) -> None:
    # Only an oversized frame can be dropped: after a bad header, where the
    # next frame starts is unknown.
    codec = LengthPrefixed(header, max_length=40, discard_oversized=True)
    decoder = codec.decoder()
    decoder.feed(codec.encode(b"ok") + bad)
    assert decoder.next_frame() == b"ok"
    with pytest.raises(InvalidFrame) as first:
        decoder.next_frame()
    decoder.feed(codec.encode(b"after"))
    assert decoder.buffered == len(bad)  # what is fed after is dropped
    with pytest.raises(InvalidFrame) as again:
        list(decoder)
    assert str(again.value) == str(first.value)


def test_a_stream_ending_inside_a_dropped_frame_ends_cleanly() -> None:
    codec = LengthPrefixed("!H", max_length=10, discard_oversized=True)
    decoder = codec.decoder()
    decoder.feed(b"\x00\x50" + b"z" * 20)
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed_eof()
    assert list(decoder) == []
    assert decoder.detach() == b""


def test_without_discarding_an_oversized_frame_fails_for_good() -> None:
    decoder = LengthPrefixed("!H", max_length=10).decoder()
    decoder.feed(b"\x00\x50zz")
    for _ in range(2):
        with pytest.raises(FrameTooLarge):
            decoder.next_frame()


def test_detach_while_dropping_forgets_the_dropped_frame() -> None:
    codec = LengthPrefixed("!H", max_length=10, discard_oversized=True)
    decoder = codec.decoder()
    decoder.feed(b"\x00\x50" + b"z" * 5)
    with pytest.raises(FrameTooLarge):
        decoder.next_frame()
    decoder.feed(b"z" * 5)
    assert decoder.detach() == b"z" * 5  # what was not dropped yet is handed over


@settings(max_examples=50)
@given(st.lists(st.integers(0, 300), max_size=6), st.integers(1, 50))
def test_discarding_keeps_every_valid_frame_whatever_the_chunking(
    sizes: list[int], chunk: int
) -> None:
    codec = LengthPrefixed("!H", max_length=100, discard_oversized=True)
    wire = b"".join(struct.pack("!H", size) + bytes([size % 256]) * size for size in sizes)
    decoder = codec.decoder()
    got: list[object] = []
    for i in range(0, len(wire), chunk):
        decoder.feed(wire[i : i + chunk])
        while True:
            try:
                message = decoder.next_frame()
            except FrameTooLarge as error:
                got.append(error.length)
                continue
            if message is None:
                break
            got.append(message)
    assert got == [bytes([s % 256]) * s if s <= 100 else s for s in sizes]


# --------------------------------------------------------------------------
# specs and sockets
# --------------------------------------------------------------------------


def test_specs_name_the_new_options() -> None:
    mqtt = LengthPrefixed("mqtt", length_offset=1)
    assert framing.codec_from_spec("length:mqtt,offset=1") == mqtt
    assert framing.codec_from_spec("length:>H,adjust=-2,keep-header") == LengthPrefixed(
        ">H", length_adjustment=-2, keep_header=True
    )
    spec = framing.codec_from_spec("length:uvarint,discard-oversized")
    assert spec == LengthPrefixed("uvarint", discard_oversized=True)
    with pytest.raises(ValueError, match="netstring has no option 'offset'"):
        framing.codec_from_spec("netstring,offset=1")
    with pytest.raises(ValueError, match="takes an integer"):
        framing.codec_from_spec("length,adjust=two")


def test_an_adjusted_large_frame_is_received_in_place_over_a_socket() -> None:
    codec = LengthPrefixed("!I", length_adjustment=-4)  # the length counts itself
    payload = bytes(range(256)) * 4096
    a, b = socket.socketpair()
    with a, b:
        sender = threading.Thread(target=lambda: framing.FramedSocket(a, codec).send(payload))
        sender.start()
        assert framing.FramedSocket(b, codec).recv() == payload
        sender.join(10)
    assert codec.payload_trailer == b""


@pytest.mark.parametrize("core", ["as built", "pure Python"])
@pytest.mark.parametrize(
    ("codec", "frame"),
    [
        (LengthPrefixed("varint"), b"\x85\x00hello"),  # an overlong header, accepted
        (LengthPrefixed("uvarint", includes_header=True), b"\x80\x01" + b"x" * 126),
        (LengthPrefixed("varint", length_adjustment=-2), b"\x87\x80\x00hello"),
    ],
    ids=["overlong", "includes_header", "adjusted"],
)
def test_a_batch_of_varint_frames_hands_back_their_bytes_as_received(
    core: str, codec: LengthPrefixed, frame: bytes
) -> None:
    # A header encode() would write otherwise must come back as it came.
    decoder = (codec if core == "as built" else pure_python(codec)).decoder()
    wire = frame * 3 + b"\x05he"  # three frames, then the start of a fourth
    decoder.feed(wire)
    first = next(iter(decoder))
    assert first == codec.decode(frame)[0]
    assert decoder.buffered == len(wire) - len(frame)
    assert decoder.detach() == wire[len(frame) :]


@pytest.mark.parametrize("core", ["as built", "pure Python"])
def test_a_varint_decoder_lets_go_of_the_chunk_it_has_decoded(core: str) -> None:
    # An idle connection holds no chunk: the batch kept its bytes only while
    # it had messages to hand out.
    codec = LengthPrefixed("varint")
    decoder = (codec if core == "as built" else pure_python(codec)).decoder()
    tracemalloc.start()
    try:
        wire = codec.encode(b"x" * 100) * 20_000  # 2 MB, traced
        decoder.feed(wire)
        del wire
        assert sum(1 for _ in decoder) == 20_000
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoder.buffered == 0
    assert held < 100_000
