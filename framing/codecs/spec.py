r"""Codec specifications: one short string names a framing style and its options.

The syntax every ``framing`` subcommand takes, also usable from Python::

    spec    := style [":" argument] ["+" checksum] ("," option)*
    option  := "max=" SIZE | "offset=" N | "adjust=" [-]N | flag
    SIZE    := digits [K | M | G]          (binary units: 1K = 1024, 1M = 1048576)

=============================  ==============================================
spec                           codec
=============================  ==============================================
``fixed:16``                   ``FixedLength(16)``
``lines``                      ``Lines()``  (flags: ``crlf``, ``unterminated``,
                               ``universal``)
``lines:crlf``                 ``Lines(strict_crlf=True)``
``lines:universal``            ``Lines(universal_newlines=True)``: ``\r`` too
``delimited:\r\n\r\n``         ``Delimited(b"\r\n\r\n")`` (default ``\n``)
``delimited:\r\n|\n|\r``       ``Delimited([b"\r\n", b"\n", b"\r"])``: several,
                               the first written; flags ``keep-delimiter``,
                               ``report-delimiter``
``length``                     ``LengthPrefixed("!I")``
``length:>H``                  any one-integer ``struct`` format
``length:varint,max=1M``       ``LengthPrefixed("varint", max_length=1048576)``
``length:Int24ub``             a construct integer, by name
``length:!I,includes-header``  ``LengthPrefixed("!I", includes_header=True)``
``length:mqtt,offset=1``       MQTT's fixed header: a type byte, then the
                               remaining length (``"uvarint"``: libp2p's)
``length:>H,adjust=-2``        ``LengthPrefixed(">H", length_adjustment=-2)``;
                               flags ``keep-header``, ``discard-oversized``
``netstring``                  ``Netstring()``
``cobs``                       ``COBS()``
``slip``                       ``SLIP()`` (flag: ``no-leading-end``)
``hdlc``                       ``HDLC()``: RFC 1662, FCS-16 (flags:
                               ``no-accm``, ``no-leading-flag``)
``hdlc:fcs32``                 ``HDLC(fcs=32)``; ``hdlc:no-fcs`` has none
``stx-etx``                    ``STXETX()`` (flag: ``transparent``)
``until-close``                ``UntilClose()``
``cobs+crc32``                 ``Checksummed(COBS(), "crc32")``: any style,
                               ``+`` a checksum; flag ``little-endian``
=============================  ==============================================

``max=SIZE`` sets ``max_length`` for every style but ``fixed``; with a
checksum, it is the payload's (the style is given the checksum's size more).
The checksum is one of ``framing.codecs.checksummed.ALGORITHMS`` (``crc32``,
``crc32c``, ``crc16-x25``, ``crc16-ccitt-false``, ``crc16-xmodem``,
``crc16-modbus``, ``adler32``) or a CRC catalogue name for one of them
(``CRC-16/IBM-SDLC``); after a ``:`` argument, a ``+`` followed by any
other text is part of the argument (write ``\x2b`` for a ``+`` right
before an algorithm name). A delimiter
takes backslash escapes: ``\n \r \t \0 \\ \, \| \: \xHH`` (write a comma as
``\,`` since a bare comma starts an option, and a ``|`` as ``\|`` since a bare
one separates delimiters; a colon needs no escape, ``\:`` is accepted for
symmetry). Style names are case-insensitive and ``_`` may be written for ``-``.

>>> codec_from_spec("length:varint,max=1M")
LengthPrefixed(header='varint', max_length=1048576, includes_header=False)
>>> codec_from_spec(r"delimited:\r\n").encode(b"hi")
b'hi\r\n'
>>> codec_from_spec(r"delimited:\r\n|\n,max=1K")
Delimited(delimiter=(b'\r\n', b'\n'), max_length=1024)
>>> codec_from_spec("fixed:0")
Traceback (most recent call last):
    ...
ValueError: bad codec spec 'fixed:0': size must be at least 1, not 0
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from ..core.codec import Codec
from .cobs import COBS
from .delimited import Delimited
from .fixed import FixedLength
from .length_prefixed import LengthPrefixed
from .lines import Lines
from .netstring import Netstring
from .slip import SLIP
from .until_close import UntilClose

if TYPE_CHECKING:
    from .checksummed import ChecksumAlgorithm

__all__ = ["STYLES", "codec_from_spec", "parse_size"]

#: Every style with an example spec, in the order the command line lists them.
STYLES: dict[str, str] = {
    "fixed": "fixed:SIZE",
    "lines": "lines[:crlf|:universal][,unterminated]",
    "delimited": "delimited:DELIMITER[|DELIMITER...][,keep-delimiter][,report-delimiter]",
    "length": "length[:HEADER][,includes-header][,offset=N][,adjust=N][,keep-header]"
    "[,discard-oversized]",
    "netstring": "netstring",
    "cobs": "cobs",
    "slip": "slip[,no-leading-end]",
    "hdlc": "hdlc[:fcs16|fcs32|no-fcs][,no-accm][,no-leading-flag]",
    "stx-etx": "stx-etx[,transparent]",
    "until-close": "until-close",
}

_SIZE = re.compile(r"([0-9][0-9_]*)([kmg]?)(?:i?b)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_CONSTRUCT_INTEGER = re.compile(r"Int(8|16|24|32|64)[us][bln]|VarInt")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", ",": ",", ":": ":", "|": "|"}


def parse_size(text: str) -> int:
    """``"64"``, ``"16K"``, ``"1M"``, ``"2G"`` (also ``"1MiB"``) as a number of bytes.

    >>> parse_size("1M"), parse_size("16k"), parse_size("1_000")
    (1048576, 16384, 1000)
    """
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size such as 512, 16K, 1M or 2G")
    return int(match[1]) * _UNITS[match[2].lower()]


def codec_from_spec(spec: str) -> Codec:
    """The codec a spec such as ``"length:!I"`` or ``"lines,max=1K"`` names.

    Raises ``ValueError`` whose message names the spec and what is wrong with it.
    """
    if not isinstance(spec, str):
        raise TypeError(f"a codec spec is a str, not {type(spec).__name__}")
    try:
        return _build(spec)
    except ValueError as error:
        raise ValueError(f"bad codec spec {spec!r}: {error}") from None


def _build(spec: str) -> Codec:
    head, *options = _split_options(spec)
    head, checksum = _checksum(head)
    name, has_argument, argument = head.partition(":")
    style = name.strip().lower().replace("_", "-")
    builder = _BUILDERS.get(style)
    if builder is None:
        raise ValueError(
            f"unknown style {name!r}; expected one of: {', '.join(STYLES.values())}"
        )
    flags: set[str] = set()
    kwargs: dict[str, int] = {}
    for option in options:
        key, has_value, value = option.partition("=")
        key = key.strip().lower()
        if key in ("max", "max-length", "max_length") and has_value:
            kwargs["max_length"] = parse_size(value.strip())
        elif key in _HEADER_NUMBERS and has_value:
            if builder is not _length:
                raise ValueError(f"{style} has no option {key!r}")
            try:
                kwargs[_HEADER_NUMBERS[key]] = int(value.strip())
            except ValueError:
                raise ValueError(f"{key}= takes an integer, not {value.strip()!r}") from None
        elif not has_value and key:
            flags.add(key.replace("_", "-"))
        else:
            raise ValueError(
                f"unknown option {option!r}; options are max=SIZE, offset=N, adjust=N and flags"
            )
    if checksum is not None:
        byteorder: Literal["big", "little"] = "little" if "little-endian" in flags else "big"
        flags.discard("little-endian")
        if "max_length" in kwargs:  # the payload's: the style carries the checksum too
            kwargs["max_length"] += checksum.size
    elif "little-endian" in flags:
        raise ValueError("little-endian is the byte order of a checksum: add one, as in cobs+crc32")
    codec, used = builder(argument if has_argument else None, flags, kwargs)
    unknown = flags - used
    if unknown:
        raise ValueError(f"{style} has no option {sorted(unknown)[0]!r}")
    if checksum is not None:
        from .checksummed import Checksummed

        codec = Checksummed(codec, checksum, byteorder=byteorder)
    return codec


def _checksum(head: str) -> tuple[str, ChecksumAlgorithm | None]:
    """``head`` without a ``+ALGORITHM`` suffix, and that algorithm (None without one)."""
    rest, plus, name = head.rpartition("+")
    if not plus:
        return head, None
    from .checksummed import ChecksumAlgorithm

    try:
        return rest, ChecksumAlgorithm.named(name.strip())
    except ValueError:
        if ":" not in rest:  # right after the style's name: it must be a checksum
            raise
        return head, None  # in the argument: a "+" in a delimiter, say
    except ImportError as error:  # crc32c and crc16-modbus need the crc extra
        raise ValueError(str(error)) from None


def _split_options(spec: str) -> list[str]:
    """Split at commas that are not escaped with a backslash (escapes are kept)."""
    return _split_unescaped(spec, ",")


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split at each ``separator`` not escaped with a backslash (escapes are kept)."""
    parts = [""]
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            parts[-1] += text[index : index + 2]
            index += 2
            continue
        if char == separator:
            parts.append("")
        else:
            parts[-1] += char
        index += 1
    return parts


def unescape(text: str) -> bytes:
    r"""A delimiter written with backslash escapes, as bytes (UTF-8 for non-ASCII).

    >>> unescape(r"\r\n\x00")
    b'\r\n\x00'
    """
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if char != "\\":
            out += char.encode()
            continue
        code = text[index : index + 1]
        digits = text[index + 1 : index + 3]
        if code == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", digits):
            out.append(int(digits, 16))  # \xHH is one byte, whatever its value
            index += 3
        elif code in _ESCAPES:
            out += _ESCAPES[code].encode()
            index += 1
        else:
            raise ValueError(
                f"unknown escape '\\{code}' in {text!r}; "
                "use \\n \\r \\t \\0 \\\\ \\, \\| \\: or \\xHH"
            )
    return bytes(out)


_Built = tuple[Codec, set[str]]
_Builder = Callable[[str | None, set[str], dict[str, int]], _Built]


def _no_argument(style: str, argument: str | None) -> None:
    if argument is not None:
        raise ValueError(f"{style} takes no ':' argument, got {argument!r}")


def _fixed(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    if argument is None:
        raise ValueError("fixed needs a size, as in fixed:16")
    if kwargs:
        raise ValueError("fixed takes no max= (its size is the length of every message)")
    size = parse_size(argument.strip())
    if size < 1:
        raise ValueError(f"size must be at least 1, not {size}")
    return FixedLength(size), set()


def _lines(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    mode = None if argument is None else argument.strip().lower()
    if mode not in (None, "crlf", "universal"):
        raise ValueError(f"lines takes ':crlf', ':universal' or nothing, not {argument!r}")
    codec = Lines(
        strict_crlf=mode == "crlf" or "crlf" in flags,
        allow_unterminated="unterminated" in flags,
        universal_newlines=mode == "universal" or "universal" in flags,
        **kwargs,
    )
    return codec, {"crlf", "unterminated", "universal"}


def _delimited(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    texts = ["\\n"] if argument is None else _split_unescaped(argument, "|")
    delimiters = [unescape(text) for text in texts]
    if not all(delimiters):
        raise ValueError(
            f"{'the' if len(delimiters) == 1 else 'a'} delimiter is empty; write it after "
            r"the colon, as delimited:\r\n (several: delimited:\r\n|\n)"
        )
    codec = Delimited(
        delimiters[0] if len(delimiters) == 1 else delimiters,
        keep_delimiter="keep-delimiter" in flags,
        report_delimiter="report-delimiter" in flags,
        **kwargs,
    )
    return codec, {"keep-delimiter", "report-delimiter"}


def _length(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    header: object = "!I" if argument is None else argument.strip()
    if isinstance(header, str) and _CONSTRUCT_INTEGER.fullmatch(header):
        import construct  # only now: it is slow to import

        header = getattr(construct, header)  # "Int24ub" -> construct.Int24ub
    codec = LengthPrefixed(
        header,
        includes_header="includes-header" in flags,
        keep_header="keep-header" in flags,
        discard_oversized="discard-oversized" in flags,
        **kwargs,
    )
    return codec, {"includes-header", "keep-header", "discard-oversized"}


def _simple(style: str, factory: Callable[..., Codec]) -> _Builder:
    def build(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
        _no_argument(style, argument)
        return factory(**kwargs), set()

    return build


def _slip(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    _no_argument("slip", argument)
    return SLIP(leading_end="no-leading-end" not in flags, **kwargs), {"no-leading-end"}


_FCS: dict[str, Literal[16, 32] | None] = {"fcs16": 16, "fcs32": 32, "no-fcs": None}


def _hdlc(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    from .hdlc import DEFAULT_ACCM, HDLC

    fcs = "fcs16" if argument is None else argument.strip().lower().replace("_", "-")
    if fcs not in _FCS:
        raise ValueError(f"hdlc takes ':fcs16', ':fcs32' or ':no-fcs', not {argument!r}")
    accm = 0 if "no-accm" in flags else DEFAULT_ACCM
    leading_flag = "no-leading-flag" not in flags
    codec = HDLC(fcs=_FCS[fcs], accm=accm, leading_flag=leading_flag, **kwargs)
    return codec, {"no-accm", "no-leading-flag"}


def _stx_etx(argument: str | None, flags: set[str], kwargs: dict[str, int]) -> _Built:
    from .stx_etx import STXETX

    _no_argument("stx-etx", argument)
    return STXETX(transparent="transparent" in flags, **kwargs), {"transparent"}


# Integer options of ``length`` and the keyword each sets.
_HEADER_NUMBERS = {"offset": "length_offset", "adjust": "length_adjustment"}

_BUILDERS: dict[str, _Builder] = {
    "fixed": _fixed,
    "fixed-length": _fixed,
    "lines": _lines,
    "delimited": _delimited,
    "length": _length,
    "length-prefixed": _length,
    "netstring": _simple("netstring", Netstring),
    "cobs": _simple("cobs", COBS),
    "slip": _slip,
    "hdlc": _hdlc,
    "stx-etx": _stx_etx,
    "stxetx": _stx_etx,
    "until-close": _simple("until-close", UntilClose),
}
