r"""Codec specifications: one short string names a framing style and its options.

The syntax every ``framing`` subcommand takes, also usable from Python::

    spec    := style [":" argument] ("," option)*
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
``until-close``                ``UntilClose()``
=============================  ==============================================

``max=SIZE`` sets ``max_length`` for every style but ``fixed``. A delimiter
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

from ..core.codec import Codec
from .cobs import COBS
from .delimited import Delimited
from .fixed import FixedLength
from .length_prefixed import LengthPrefixed
from .lines import Lines
from .netstring import Netstring
from .slip import SLIP
from .until_close import UntilClose

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
    codec, used = builder(argument if has_argument else None, flags, kwargs)
    unknown = flags - used
    if unknown:
        raise ValueError(f"{style} has no option {sorted(unknown)[0]!r}")
    return codec


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
    "until-close": _simple("until-close", UntilClose),
}
