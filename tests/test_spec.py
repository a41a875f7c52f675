"""framing.codec_from_spec: the spec syntax shared by the command line and Python."""

from __future__ import annotations

import construct
import pytest

import framing
from framing import (
    COBS,
    HDLC,
    SLIP,
    STXETX,
    Checksummed,
    Delimited,
    FixedLength,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
    codec_from_spec,
)
from framing.codecs.spec import STYLES, parse_size, unescape


@pytest.mark.parametrize(
    ("spec", "codec"),
    [
        ("fixed:16", FixedLength(16)),
        ("fixed:1K", FixedLength(1024)),
        ("fixed-length:3", FixedLength(3)),
        ("lines", Lines()),
        ("lines:crlf", Lines(strict_crlf=True)),
        ("lines,crlf", Lines(strict_crlf=True)),
        ("lines,unterminated,max=1K", Lines(allow_unterminated=True, max_length=1024)),
        ("LINES", Lines()),
        ("delimited", Delimited(b"\n")),
        (r"delimited:\r\n\r\n", Delimited(b"\r\n\r\n")),
        (r"delimited:\x00", Delimited(b"\x00")),
        (r"delimited:\xff\xfe", Delimited(b"\xff\xfe")),
        (r"delimited:\,\:\\\t\0", Delimited(b",:\\\t\x00")),
        ("delimited:END", Delimited(b"END")),
        ("delimited:é", Delimited("é".encode())),
        (r"delimited:\r\n,max=2M", Delimited(b"\r\n", max_length=2 * 1024**2)),
        ("length", LengthPrefixed("!I")),
        ("length:!I", LengthPrefixed("!I")),
        ("length:>H", LengthPrefixed(">H")),
        ("length:<q", LengthPrefixed("<q")),
        ("length:B", LengthPrefixed("B")),
        ("length:varint,max=1M", LengthPrefixed("varint", max_length=1024**2)),
        ("length-prefixed:!I,max=64k", LengthPrefixed("!I", max_length=65536)),
        ("length:!I,includes-header", LengthPrefixed("!I", includes_header=True)),
        ("length:!I,includes_header", LengthPrefixed("!I", includes_header=True)),
        ("netstring", Netstring()),
        ("netstring,max=1G", Netstring(max_length=1024**3)),
        ("cobs", COBS()),
        ("cobs,max=100", COBS(max_length=100)),
        ("slip", SLIP()),
        ("slip,no-leading-end", SLIP(leading_end=False)),
        ("until-close", UntilClose()),
        ("until_close,max=1MiB", UntilClose(max_length=1024**2)),
        ("hdlc", HDLC()),
        ("hdlc:fcs16", HDLC()),
        ("hdlc:fcs32,max=1504", HDLC(fcs=32, max_length=1504)),
        ("HDLC:no_fcs,no-accm", HDLC(fcs=None, accm=0)),
        ("hdlc,no-leading-flag", HDLC(leading_flag=False)),
        ("stx-etx", STXETX()),
        ("stxetx,transparent,max=1K", STXETX(transparent=True, max_length=1024)),
        ("cobs+crc32", Checksummed(COBS(), "crc32")),
        ("cobs+crc32,max=1K", Checksummed(COBS(max_length=1028), "crc32")),
        ("stx-etx+CRC-16/XMODEM", Checksummed(STXETX(), "crc16-xmodem")),
        ("slip+crc16-x25,little-endian", Checksummed(SLIP(), "crc16-x25", byteorder="little")),
        ("length:>H+adler32", Checksummed(LengthPrefixed(">H"), "adler32")),
        ("delimited:a+b", Delimited(b"a+b")),
        (r"delimited:\x2bcrc32", Delimited(b"+crc32")),
    ],
)
def test_spec_builds_the_codec(spec: str, codec: framing.Codec) -> None:
    assert codec_from_spec(spec) == codec


def test_construct_integer_headers_by_name() -> None:
    codec = codec_from_spec("length:Int24ub")
    assert codec.encode(b"hi") == b"\x00\x00\x02hi"
    assert codec.max_length == 2**24 - 1
    assert codec_from_spec("length:VarInt").encode(b"x" * 300)[:2] == construct.VarInt.build(300)


def test_codec_from_spec_is_exported_from_framing() -> None:
    assert framing.codec_from_spec is codec_from_spec
    assert "codec_from_spec" in framing.__all__


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "unknown style ''"),
        ("foo", "unknown style 'foo'; expected one of: fixed:SIZE, lines"),
        ("fixed", "fixed needs a size, as in fixed:16"),
        ("fixed:0", "size must be at least 1, not 0"),
        ("fixed:-3", "'-3' is not a size"),
        ("fixed:4,max=3", "fixed takes no max="),
        ("lines:lf", "lines takes ':crlf', ':universal' or nothing, not 'lf'"),
        ("lines:crlf,universal", "cannot both be set"),
        ("lines,bogus", "lines has no option 'bogus'"),
        ("lines,max=12Q", "'12Q' is not a size such as 512, 16K, 1M or 2G"),
        ("lines,max=", "'' is not a size"),
        ("netstring,a=b", "unknown option 'a=b'"),
        ("netstring:5", "netstring takes no ':' argument, got '5'"),
        ("slip:x", "slip takes no ':' argument"),
        ("delimited:", "the delimiter is empty"),
        (r"delimited:\r\n||\n", "a delimiter is empty"),
        (r"delimited:\r|\r\n", r"begins b'\r\n'"),
        ("delimited:x,keep", "delimited has no option 'keep'"),
        (r"delimited:\q", r"unknown escape '\q'"),
        (r"delimited:\x4", r"unknown escape '\x'"),
        ("delimited:\\", "unknown escape '\\'"),
        ("length:!Z", "header format '!Z' is not one struct integer"),
        ("length:II", "header format 'II' is not one struct integer"),
        ("length:B,max=1K", "more than the header 'B' can declare (255 bytes)"),
        ("cobs,,", "unknown option ''"),
        ("hdlc:fcs8", "hdlc takes ':fcs16', ':fcs32' or ':no-fcs', not 'fcs8'"),
        ("hdlc,transparent", "hdlc has no option 'transparent'"),
        ("stx-etx:dle", "stx-etx takes no ':' argument"),
        ("cobs+md5", "unknown checksum algorithm 'md5'; expected one of crc32, crc32c"),
        ("cobs,little-endian", "little-endian is the byte order of a checksum"),
        ("cobs+crc32,max=1K,bogus", "cobs has no option 'bogus'"),
        ("fixed:3+crc32", "no room for a 4-byte crc32 checksum"),
    ],
)
def test_bad_spec_is_a_value_error_naming_spec_and_problem(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^bad codec spec ") as caught:
        codec_from_spec(spec)
    assert f"bad codec spec {spec!r}: " in str(caught.value)
    assert message in str(caught.value)


def test_spec_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="a codec spec is a str, not bytes"):
        codec_from_spec(b"lines")  # type: ignore[arg-type]


def test_escaped_comma_is_part_of_the_delimiter_not_an_option() -> None:
    codec = codec_from_spec(r"delimited:\,\,,max=10")
    assert codec == Delimited(b",,", max_length=10)
    assert codec.decode(b"a,,b,,") == [b"a", b"b"]


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 0), ("512", 512), ("16K", 16384), ("16k", 16384), ("1M", 2**20), ("2G", 2**31),
     ("1MiB", 2**20), ("1KB", 1024), ("1_000", 1000)],
)
def test_sizes_use_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_unescape_keeps_unicode_as_utf8() -> None:
    assert unescape("→\\n") == "→\n".encode()


def test_every_style_is_listed_with_a_spec_that_builds() -> None:
    examples = {"fixed": "fixed:4", "delimited": "delimited:;"}
    for style in STYLES:
        codec = codec_from_spec(examples.get(style, style))
        assert codec.decode(codec.encode(b"abcd")) == [b"abcd"]


@pytest.mark.parametrize(
    ("spec", "codec"),
    [
        (r"delimited:\r\n|\n|\r", Delimited([b"\r\n", b"\n", b"\r"])),
        (r"delimited:\r\n|\n,max=1K", Delimited([b"\r\n", b"\n"], max_length=1024)),
        (r"delimited:a\|b|c", Delimited([b"a|b", b"c"])),
        (r"delimited:\r\n,keep-delimiter", Delimited(b"\r\n", keep_delimiter=True)),
        (r"delimited:\n|\0,report-delimiter", Delimited([b"\n", b"\0"], report_delimiter=True)),
        ("lines:universal", Lines(universal_newlines=True)),
        ("lines,universal,unterminated", Lines(universal_newlines=True, allow_unterminated=True)),
        ("lines:UNIVERSAL,max=1K", Lines(universal_newlines=True, max_length=1024)),
    ],
)
def test_several_delimiters_and_universal_newlines_have_specs(spec: str, codec: object) -> None:
    assert codec_from_spec(spec) == codec


def test_a_checksum_that_needs_fastcrc_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "fastcrc.crc32", None)  # as if not installed
    with pytest.raises(ValueError, match=r'fastcrc package: pip install "framing-codecs\[crc\]"'):
        codec_from_spec("cobs+crc32c")
