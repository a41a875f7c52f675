"""``Frame``: a payload that carries the fields of the Struct header it came with."""

from __future__ import annotations

import pickle

from construct import Const, Int8ub, Int16ub, Struct

from framing import Frame, LengthPrefixed

HEADER = Struct("magic" / Const(b"FR"), "kind" / Int8ub, "length" / Int16ub)


def test_frame_is_its_payload_and_shows_its_fields() -> None:
    frame = Frame(b"ping", {"kind": 7})
    assert frame == b"ping"
    assert isinstance(frame, bytes)
    assert repr(frame) == "Frame(b'ping', {'kind': 7})"
    assert Frame(bytearray(b"x")).fields == {}


def test_frame_pickles_with_its_fields() -> None:
    frame = LengthPrefixed(HEADER).decode(b"FR\x07\x00\x04ping")[0]
    copy = pickle.loads(pickle.dumps(frame))
    assert type(copy) is Frame
    assert (copy, copy.fields) == (b"ping", {"kind": 7})


def test_bytes_needed_is_unknown_until_the_header_is_read() -> None:
    decoder = LengthPrefixed(HEADER).decoder()
    decoder.feed(b"FR\x07\x00")
    assert list(decoder) == []
    assert decoder.bytes_needed is None
    decoder.feed(b"\x04pi")
    assert list(decoder) == []
    assert decoder.bytes_needed == 2


def test_a_frame_forwarded_to_a_codec_without_fields_is_sent_as_its_payload() -> None:
    frame = LengthPrefixed(HEADER).decode(b"FR\x07\x00\x04ping")[0]
    assert LengthPrefixed("!I").encode(frame) == b"\x00\x00\x00\x04ping"
