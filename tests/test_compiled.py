"""The optional compiled core against its pure-Python twin, the reference.

Each loop of ``framing._speedups`` (``take_prefixed``, ``split_delimited``,
``take_fixed``) must cut exactly what its twin in ``framing.core.compiled``
(``take_prefixed_python`` and so on) cuts, from any bytes, any start, any
header, delimiter and limits; and decoders on the compiled core must give
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
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framing
from framing import Codec, Delimited, FixedLength, LengthPrefixed, Lines
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
    with pytest.raises(ValueError, match="max_length"):
        take(b"\x00\x01x", 0, 2, True, False, -1, 0)
    # An unsigned 8-byte length above any limit stops the loop, for Python to report.
    assert take(b"\xff" * 8 + b"x", 0, 8, True, False, 10, 0) == ([], 0)


VARINTS = [(10, False), (9, True), (4, True), (1, False), (2, True)]


@needs_compiled
@settings(max_examples=500, deadline=None)
@given(
    varint=st.sampled_from(VARINTS),
    data=st.lists(
        st.sampled_from([b"\x00", b"\x01", b"\x03", b"\x7f", b"\x80", b"\xff", b"\x81\x00", b"ab"]),
        max_size=40,
    ),
    start=st.integers(0, 10),
    max_value=st.sampled_from([2**64 - 1, 2**63, 127, 300]),
    includes_header=st.booleans(),
    max_length=st.integers(0, 20) | st.just(sys.maxsize),
    adjust=st.integers(-5, 5) | st.sampled_from([-(2**61), 2**61]),
)
def test_the_compiled_varint_loop_cuts_what_the_python_loop_cuts(
    varint: tuple[int, bool],
    data: list[bytes],
    start: int,
    max_value: int,
    includes_header: bool,
    max_length: int,
    adjust: int,
) -> None:
    wire = b"".join(data)
    start = min(start, len(wire))
    args = (*varint, max_value, includes_header, max_length, adjust)
    assert compiled.take_varint_prefixed is not None
    got = compiled.take_varint_prefixed(wire, start, *args)
    assert got == compiled.take_varint_prefixed_python(wire, start, *args)


@needs_compiled
@pytest.mark.parametrize(
    ("wire", "max_bytes", "minimal", "taken"),
    [
        (b"\x80\x00", 10, False, 1),  # overlong zero: accepted unless minimal
        (b"\x80\x00", 10, True, 0),
        (b"\xff" * 9 + b"\x01", 10, False, 0),  # 2**64 - 1: far above max_length
        (b"\xff" * 9 + b"\x02", 10, False, 0),  # above 2**64 - 1
        (b"\x81\x01" + b"x" * 129, 1, False, 0),  # a header longer than max_bytes
        (b"\x81\x01" + b"x" * 129, 2, False, 1),
        (b"\x81", 10, False, 0),  # incomplete header
    ],
)
def test_the_compiled_varint_loop_stops_at_every_bad_header(
    wire: bytes, max_bytes: int, minimal: bool, taken: int
) -> None:
    args = (max_bytes, minimal, 2**64 - 1, False, 1000, 0)
    assert compiled.take_varint_prefixed is not None
    got = compiled.take_varint_prefixed(wire, 0, *args)
    assert len(got[0]) == taken
    assert len(got[2]) == taken  # a header size for each frame
    assert got == compiled.take_varint_prefixed_python(wire, 0, *args)
    with pytest.raises(ValueError, match="max_bytes"):
        compiled.take_varint_prefixed(wire, 0, 11, False, 1, False, 10, 0)


def _varint(value: int, padding: int) -> bytes:
    """``value`` as LEB128, made ``padding`` bytes longer than needed (overlong)."""
    out = bytearray()
    while True:
        out.append(value & 0x7F | 0x80)
        value >>= 7
        if not value:
            break
    out += b"\x80" * padding
    out[-1] &= 0x7F
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(
    codec=st.sampled_from(
        [
            LengthPrefixed("varint", max_length=300),
            LengthPrefixed("varint", max_length=300, includes_header=True),
            LengthPrefixed("varint", max_length=300, length_adjustment=-3),
        ]
    ),
    frames=st.lists(st.tuples(st.binary(max_size=200), st.integers(0, 3)), max_size=8),
    tail=st.sampled_from([b"", b"\xff", b"\xff\x01", b"\xff\x01abc"]),  # a frame arriving
    taken=st.integers(0, 8),
)
def test_varint_batches_count_and_hand_back_headers_as_received(
    codec: LengthPrefixed, frames: list[tuple[bytes, int]], tail: bytes, taken: int
) -> None:
    # Overlong headers (any number of padding bytes) are valid: buffered and
    # detach() must see them as received, on either core, however many
    # messages of the batch were handed out.
    wire = b""
    for payload, padding in frames:
        declared = len(payload) + 3 if codec.length_adjustment else len(payload)
        if codec.includes_header:
            declared += len(_varint(declared + 2 + padding, padding))
        wire += _varint(declared, padding) + payload
    wire += tail
    outcomes = []
    for core in (codec, pure_python(codec)):
        decoder = core.decoder()
        decoder.feed(wire)
        iterator = iter(decoder)
        got = [message for _, message in zip(range(taken), iterator, strict=False)]
        outcomes.append((got, decoder.buffered, decoder.detach()))
    assert outcomes[0] == outcomes[1]
    got, buffered, rest = outcomes[0]
    assert got == [p for p, _ in frames][: len(got)]
    assert buffered == len(rest)


# Delimiters that overlap themselves (b"aa", b"aba") must be found left to
# right, without overlaps, as bytes.split finds them.
DELIMITERS = [b"\n", b"\x00", b"\r\n", b"aa", b"aba", b"\r\n\r\n", b"|||"]


@needs_compiled
@settings(max_examples=500, deadline=None)
@given(
    delimiter=st.sampled_from(DELIMITERS),
    data=st.lists(st.sampled_from([b"a", b"b", b"\r", b"\n", b"\x00", b"|", b"xyz"]), max_size=60),
    start=st.integers(0, 40),
    max_length=st.integers(0, 12) | st.just(sys.maxsize),
)
def test_the_compiled_split_cuts_what_the_python_split_cuts(
    delimiter: bytes, data: list[bytes], start: int, max_length: int
) -> None:
    wire = b"".join(data)
    start = min(start, len(wire))
    assert compiled.split_delimited is not None
    got = compiled.split_delimited(wire, start, delimiter, max_length)
    expected = compiled.split_delimited_python(wire, start, delimiter, max_length)
    assert got == expected
    payloads, end = got
    # What was taken is frames; what is left holds no whole frame within the limit.
    assert wire[start:end] == b"".join(p + delimiter for p in payloads)
    rest = wire[end:]
    assert delimiter not in rest or len(rest.split(delimiter)[0]) > max_length


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=100), start=st.integers(0, 40), size=st.integers(1, 12))
def test_the_compiled_fixed_loop_cuts_what_the_python_loop_cuts(
    data: bytes, start: int, size: int
) -> None:
    start = min(start, len(data))
    assert compiled.take_fixed is not None
    got = compiled.take_fixed(data, start, size)
    assert got == compiled.take_fixed_python(data, start, size)
    payloads, end = got
    assert b"".join(payloads) == data[start:end]
    assert all(len(p) == size for p in payloads)
    assert len(data) - end < size


@needs_compiled
def test_the_compiled_split_and_fixed_loops_refuse_what_they_cannot_read() -> None:
    split, fixed = compiled.split_delimited, compiled.take_fixed
    assert split is not None
    assert fixed is not None
    with pytest.raises(TypeError):
        split(bytearray(b"a\n"), 0, b"\n", 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delimiter"):
        split(b"a\n", 0, b"", 10)
    with pytest.raises(ValueError, match="max_length"):
        split(b"a\n", 0, b"\n", -1)
    with pytest.raises(ValueError, match="start"):
        split(b"a\n", 3, b"\n", 10)
    with pytest.raises(TypeError):
        fixed(bytearray(b"abc"), 0, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one byte"):
        fixed(b"abc", 0, 0)
    with pytest.raises(ValueError, match="start"):
        fixed(b"abc", -1, 1)


@needs_compiled
@pytest.mark.parametrize(
    "codec",
    [
        LengthPrefixed("!I", max_length=300),
        LengthPrefixed("<H", max_length=50),
        LengthPrefixed("!b", max_length=100),
        LengthPrefixed("!Q", max_length=300, includes_header=True),
        LengthPrefixed("!H", max_length=300, length_adjustment=-3),
        LengthPrefixed("varint", max_length=300),
        LengthPrefixed("uvarint", max_length=200),
        LengthPrefixed("mqtt", max_length=50),
        LengthPrefixed("varint", max_length=300, includes_header=True),
        LengthPrefixed("varint", max_length=300, length_adjustment=-2),
        LengthPrefixed("varint", max_length=40, discard_oversized=True),
        LengthPrefixed("!H", max_length=40, discard_oversized=True),
        Lines(),
        Lines(max_length=5),
        Lines(strict_crlf=True, max_length=40),
        Lines(allow_unterminated=True),
        Delimited(b"\r\n", max_length=20),
        Delimited(b"aba", max_length=20),
        FixedLength(3),
        FixedLength(1),
    ],
    ids=repr,
)
def test_compiled_decoders_decode_every_stream_as_the_pure_ones_do(codec: Codec) -> None:
    check_codec(codec, reference=pure_python(codec), max_examples=60)


def test_pure_python_decoders_are_made_while_the_core_is_disabled() -> None:
    header = struct.Struct("!I")
    with compiled.disabled():
        assert compiled.prefixed_header(header, 0) is None
        assert not compiled.enabled()
        assert not compiled.native_varint(0)
    assert compiled.enabled() == framing.__compiled__
    assert (compiled.prefixed_header(header, 0) is not None) == framing.__compiled__
    assert "pure_python(LengthPrefixed" in repr(pure_python(LengthPrefixed()))
    assert pure_python(LengthPrefixed(max_length=7)).max_length == 7  # type: ignore[attr-defined]


def test_adjustments_out_of_the_compiled_reach_stay_in_python() -> None:
    assert compiled.prefixed_header(struct.Struct("!I"), 2**63) is None
    assert not compiled.native_varint(2**63)
    assert compiled.native_varint(0) == framing.__compiled__
    codec = LengthPrefixed("varint", length_adjustment=-(2**63))
    assert codec.decode(codec.encode(b"abc") * 2) == [b"abc"] * 2


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
    decoder = pure_python(codec).decoder()  # the same codec, on the pure core
    decoder.feed(wire)
    assert list(decoder) == [b"abc"] * 3
    lines = Lines(max_length=2**64)
    assert lines.decode(b"abc\n" * 3) == [b"abc"] * 3


def test_an_extension_built_from_other_sources_is_left_unused() -> None:
    stale = types.ModuleType("framing._speedups")
    stale.API = compiled.API - 1  # type: ignore[attr-defined]
    with pytest.warns(RuntimeWarning, match="built from other sources"):
        assert compiled.usable(stale) is None
    current = types.ModuleType("framing._speedups")
    current.API = compiled.API  # type: ignore[attr-defined]
    assert compiled.usable(current) is current
    assert compiled.usable(None) is None
    if framing.__compiled__:
        assert compiled.usable(compiled._speedups) is compiled._speedups
