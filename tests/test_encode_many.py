"""``Codec.encode_many``: several frames as one ``bytes``, exactly the frames ``encode`` makes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing import COBS, EncodeError, LengthPrefixed, Lines, Netstring, Varint

CODECS = [
    LengthPrefixed("!I"),
    LengthPrefixed("<H", max_length=300),
    LengthPrefixed("!I", includes_header=True),
    LengthPrefixed("!H", length_adjustment=-2, max_length=300),
    LengthPrefixed(Varint()),
    LengthPrefixed("!B"),
    Lines(),
    Netstring(),
    COBS(),
]


@settings(max_examples=100, deadline=None)
@given(
    codec=st.sampled_from(CODECS),
    messages=st.lists(st.binary(max_size=200).filter(lambda m: b"\n" not in m), max_size=20),
    as_bytearray=st.booleans(),
)
def test_encode_many_is_the_frames_of_encode_one_after_another(
    codec: object, messages: list[bytes], as_bytearray: bool
) -> None:
    given_messages = [bytearray(m) for m in messages] if as_bytearray else messages
    assert codec.encode_many(given_messages) == b"".join(map(codec.encode, messages))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "codec", [LengthPrefixed("!H", max_length=10), Lines(max_length=10)], ids=repr
)
def test_a_message_too_long_makes_encode_many_raise_before_any_frame(codec: object) -> None:
    with pytest.raises(EncodeError):
        codec.encode_many([b"ok", b"x" * 11, b"ok"])  # type: ignore[attr-defined]


def test_encode_many_of_nothing_is_empty() -> None:
    assert LengthPrefixed().encode_many([]) == b""
    assert Lines().encode_many([]) == b""
