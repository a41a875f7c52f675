"""What every codec shares: immutable, hashable, equal when configured alike, a telling repr."""

from __future__ import annotations

from typing import Any

import construct as c
import pytest

from framing import (
    COBS,
    SLIP,
    Codec,
    Delimited,
    EncodeError,
    FixedLength,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)
from helpers import decode_every_way

# (codec, the same configuration built again, a different configuration)
ALIKE = [
    (FixedLength(4), FixedLength(4), FixedLength(5)),
    (Delimited(b"\r\n"), Delimited(b"\r\n", max_length=65536), Delimited(b"\n")),
    (Delimited(b"|"), Delimited(bytearray(b"|")), Delimited(b"|", max_length=3)),
    (Lines(), Lines(max_length=65536), Lines(strict_crlf=True)),
    (Lines(), Lines(), Lines(allow_unterminated=True)),
    (LengthPrefixed(), LengthPrefixed("!I"), LengthPrefixed(">H")),
    (LengthPrefixed("B"), LengthPrefixed("B", max_length=255), LengthPrefixed("B", max_length=3)),
    (
        LengthPrefixed("varint"),
        LengthPrefixed("varint"),
        LengthPrefixed("varint", includes_header=True),
    ),
    (LengthPrefixed(c.Int24ub), LengthPrefixed(c.Int24ub), LengthPrefixed(c.Int24ub, max_length=5)),
    (UntilClose(), UntilClose(max_length=16 * 1024 * 1024), UntilClose(max_length=1)),
    (Netstring(), Netstring(), Netstring(max_length=10)),
    (COBS(), COBS(max_length=65536), COBS(max_length=10)),
    (SLIP(), SLIP(leading_end=True), SLIP(leading_end=False)),
]
IDS = [repr(a) for a, _, _ in ALIKE]


@pytest.mark.parametrize(("codec", "same", "other"), ALIKE, ids=IDS)
def test_codecs_configured_alike_are_equal_and_hash_alike(
    codec: Any, same: Any, other: Any
) -> None:
    assert codec == same
    assert hash(codec) == hash(same)
    assert codec != other
    assert len({codec, same, other}) == 2


@pytest.mark.parametrize(("codec", "same", "other"), ALIKE, ids=IDS)
def test_repr_shows_the_configuration(codec: Any, same: Any, other: Any) -> None:
    assert repr(codec).startswith(type(codec).__name__ + "(")
    assert repr(codec) == repr(same)
    assert repr(codec) != repr(other)


def test_repr_shows_the_values() -> None:
    text = repr(Delimited(b"\r\n", max_length=99))
    assert "b'\\r\\n'" in text
    assert "99" in text


def test_construct_headers_of_another_byte_order_are_not_equal() -> None:
    assert LengthPrefixed(c.Int24ub) != LengthPrefixed(c.Int24ul)


def test_codecs_of_different_styles_are_never_equal() -> None:
    assert Delimited(b"\n") != Lines()
    assert COBS() != Delimited(b"\x00")


@pytest.mark.parametrize("codec", [a for a, _, _ in ALIKE], ids=IDS)
def test_codecs_are_immutable(codec: Any) -> None:
    with pytest.raises(AttributeError, match="is immutable: cannot set 'max_length'"):
        codec.max_length = 1
    with pytest.raises(AttributeError, match="is immutable: cannot delete 'max_length'"):
        del codec.max_length


@pytest.mark.parametrize("codec", [a for a, _, _ in ALIKE], ids=IDS)
def test_every_codec_is_a_codec(codec: Any) -> None:
    assert isinstance(codec, Codec)


EMPTY_WIRE = [
    (Delimited(b"\r\n"), b"\r\n"),
    (Lines(), b"\n"),
    (Lines(strict_crlf=True), b"\r\n"),
    (LengthPrefixed("!I"), b"\x00\x00\x00\x00"),
    (LengthPrefixed("varint"), b"\x00"),
    (LengthPrefixed("B", includes_header=True), b"\x01"),
    (Netstring(), b"0:,"),
    (COBS(), b"\x01\x00"),
]


@pytest.mark.parametrize(("codec", "wire"), EMPTY_WIRE, ids=[repr(c) for c, _ in EMPTY_WIRE])
def test_empty_message_round_trips(codec: Any, wire: bytes) -> None:
    assert codec.encode(b"") == wire
    assert decode_every_way(codec, wire * 3) == [b""] * 3


def test_empty_stream_until_close_is_the_empty_message() -> None:
    assert UntilClose().decode(b"") == [b""]
    assert UntilClose().encode(b"") == b""


@pytest.mark.parametrize("codec", [FixedLength(1), SLIP()], ids=repr)
def test_styles_that_cannot_carry_an_empty_message_refuse_it(codec: Any) -> None:
    with pytest.raises(EncodeError):
        codec.encode(b"")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Delimited(max_length=-1),
        lambda: Lines(max_length=-1),
        lambda: Netstring(max_length=-1),
        lambda: COBS(max_length=-1),
        lambda: SLIP(max_length=-1),
        lambda: UntilClose(max_length=-1),
        lambda: LengthPrefixed(max_length=-1),
    ],
)
def test_negative_max_length_is_refused(make: Any) -> None:
    with pytest.raises(ValueError, match="max_length"):
        make()


def test_aio_and_testing_are_reachable_from_a_plain_import_framing() -> None:
    import subprocess
    import sys

    import framing

    code = (
        "import sys, framing\n"
        "assert 'asyncio' not in sys.modules and 'hypothesis' not in sys.modules\n"
        "assert callable(framing.aio.open_connection) and callable(framing.testing.check_codec)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert framing.__getattr__("aio").open_connection is not None  # in-process, for coverage
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        framing.__getattr__("nothing")
