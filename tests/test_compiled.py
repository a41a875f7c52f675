"""The optional compiled core against its pure-Python twin, the reference.

``framing._speedups.take_prefixed`` must cut exactly what
``framing.core.compiled.take_prefixed_python`` cuts, from any bytes, any
start, any header and limits; and decoders on the compiled core must give
what decoders on the pure core give for every stream ``check_codec`` makes
(``framing.testing.pure_python``). The whole suite also runs twice in CI,
once with ``FRAMING_NO_EXTENSIONS=1``. Without a built extension these
tests check that the pure core is the one in use.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framing
from framing import LengthPrefixed
from framing.core import compiled
from framing.testing import check_codec, pure_python

needs_compiled = pytest.mark.skipif(
    not framing.__compiled__, reason="the compiled core is not built, or FRAMING_NO_EXTENSIONS=1"
)

FORMATS = [o + c for o in ("!", "<", ">", "=", "") for c in "bBhHiIqQ"]


@needs_compiled
@settings(max_examples=500, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    data=st.binary(max_size=200),
    start=st.integers(0, 40),
    max_length=st.integers(0, 300) | st.just(sys.maxsize),
    adjust=st.integers(-300, 300) | st.sampled_from([-(2**61), 2**61]),
)
def test_the_compiled_loop_cuts_what_the_python_loop_cuts(
    fmt: str, data: bytes, start: int, max_length: int, adjust: int
) -> None:
    header = struct.Struct(fmt)
    start = min(start, len(data))
    native = compiled.prefixed_header(header, adjust)
    assert native is not None
    assert compiled.take_prefixed is not None
    got = compiled.take_prefixed(data, start, *native, max_length, adjust)
    assert got == compiled.take_prefixed_python(data, start, header, max_length, adjust)


@needs_compiled
@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    payloads=st.lists(st.binary(max_size=40), max_size=30),
    tail=st.binary(max_size=10),
)
def test_the_compiled_loop_takes_every_valid_frame(
    fmt: str, payloads: list[bytes], tail: bytes
) -> None:
    header = struct.Struct(fmt)
    wire = b"".join(header.pack(len(p)) + p for p in payloads) + tail
    native = compiled.prefixed_header(header, 0)
    assert native is not None
    assert compiled.take_prefixed is not None
    taken, end = compiled.take_prefixed(wire, 0, *native, 1000, 0)
    assert taken[: len(payloads)] == payloads
    assert end >= len(wire) - len(tail)


@needs_compiled
@pytest.mark.parametrize("fmt", ["!b", "<h", ">i", "!q"])
@pytest.mark.parametrize("declared", [-1, -4, 0, 3])
def test_a_signed_length_is_read_with_its_sign(fmt: str, declared: int) -> None:
    # A negative length plus a negative adjustment can be a valid frame.
    header = struct.Struct(fmt)
    adjust = -5
    wire = header.pack(declared) + b"p" * 10
    native = compiled.prefixed_header(header, adjust)
    assert native is not None
    assert compiled.take_prefixed is not None
    expected = compiled.take_prefixed_python(wire, 0, header, 100, adjust)
    assert expected[0] == [b"p" * (declared + 5)]
    assert compiled.take_prefixed(wire, 0, *native, 100, adjust) == expected


@needs_compiled
def test_the_compiled_loop_refuses_what_it_cannot_read() -> None:
    take = compiled.take_prefixed
    assert take is not None
    with pytest.raises(TypeError):
        take(bytearray(b"\x00\x01x"), 0, 2, True, False, 10, 0)  # bytes only
    with pytest.raises(ValueError, match="1, 2, 4 or 8"):
        take(b"\x00\x00\x01x", 0, 3, True, False, 10, 0)
    with pytest.raises(ValueError, match="start"):
        take(b"\x00\x01x", 4, 2, True, False, 10, 0)
    with pytest.raises(ValueError, match="start"):
        take(b"\x00\x01x", 0, 2, True, False, -1, 0)
    # An unsigned 8-byte length above any limit stops the loop, for Python to report.
    assert take(b"\xff" * 8 + b"x", 0, 8, True, False, 10, 0) == ([], 0)


@needs_compiled
@pytest.mark.parametrize(
    "codec",
    [
        LengthPrefixed("!I", max_length=300),
        LengthPrefixed("<H", max_length=50),
        LengthPrefixed("!b", max_length=100),
        LengthPrefixed("!Q", max_length=300, includes_header=True),
        LengthPrefixed("!H", max_length=300, length_adjustment=-3),
    ],
    ids=repr,
)
def test_compiled_decoders_decode_every_stream_as_the_pure_ones_do(codec: LengthPrefixed) -> None:
    check_codec(codec, reference=pure_python(codec), max_examples=60)


def test_pure_python_decoders_are_made_while_the_core_is_disabled() -> None:
    header = struct.Struct("!I")
    with compiled.disabled():
        assert compiled.prefixed_header(header, 0) is None
    assert (compiled.prefixed_header(header, 0) is not None) == framing.__compiled__
    assert "pure_python(LengthPrefixed" in repr(pure_python(LengthPrefixed()))
    assert pure_python(LengthPrefixed(max_length=7)).max_length == 7  # type: ignore[attr-defined]


def test_adjustments_out_of_the_compiled_reach_stay_in_python() -> None:
    assert compiled.prefixed_header(struct.Struct("!I"), 2**63) is None


def test_no_extensions_forces_the_pure_core() -> None:
    env = {**os.environ, "FRAMING_NO_EXTENSIONS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import framing; print(framing.__compiled__)"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "False"


def test_a_limit_above_the_largest_c_size_decodes_as_in_python() -> None:
    codec = LengthPrefixed("!Q", max_length=2**64 - 1)
    wire = codec.encode(b"abc") * 3
    assert codec.decode(wire) == [b"abc"] * 3
    assert pure_python(codec).decoder  # the same codec, on the pure core:
    decoder = pure_python(codec).decoder()
    decoder.feed(wire)
    assert list(decoder) == [b"abc"] * 3
