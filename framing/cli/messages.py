r"""The wording of the command line: counts, the hint on raising a limit, the SPEC help.

>>> count(1, "byte"), count(0, "message"), count(2, "reply", "replies")
('1 byte', '0 messages', '2 replies')
>>> limit_hint("cobs", 5_000_000, 65536, exact=True)
'; raise the limit with max=SIZE in the spec, as in cobs,max=8M'
>>> limit_hint("fixed:4", 6, 4, exact=True)
'; max= cannot raise it: fixed takes no max= (its size is the length of every message)'
"""

from __future__ import annotations

import re
import shlex
import textwrap

from ..codecs import spec as spec_module
from ..codecs.spec import STYLES, codec_from_spec
from ..core.headers import NAMED_VARINTS

__all__ = ["count", "limit_hint", "spec_help", "spec_summary"]

WIDTH = 79  # columns of every help text

#: Header spellings of ``length`` that the help names; each one parses (the tests check).
LENGTH_HEADERS = ("!I", ">H", "B", "<Q", *NAMED_VARINTS, "Int24ub", "Int32sl")
#: The flags of ``length`` (``STYLES`` shows the common ones); each one parses too.
LENGTH_FLAGS = ("includes-header", "keep-header", "discard-oversized")

_MAX_KEYS = ("max", "max-length", "max_length")
_UNITS = ((30, "G"), (20, "M"), (10, "K"))
_GUESS = 64  # without the input's size, suggest this many times the limit


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun``, singular for exactly one, else plural (``noun + "s"``)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


# ---------------------------------------------------------------------------
# the hint on raising max_length
# ---------------------------------------------------------------------------


def limit_hint(spec: str, length: int, max_length: int, *, exact: bool) -> str:
    """How to let ``length`` bytes through ``spec``: ``"; raise the limit with max=SIZE ..."``.

    ``exact``: ``length`` is the size needed (a declared length, a file's
    size); otherwise it is only what was seen before the limit was hit, and
    the suggestion is ``_GUESS`` times the limit. When ``max=`` cannot go
    that high (``fixed``, a one-byte header), the hint says why instead.
    """
    needed = max(length, max_length + 1) if exact else max(length, _GUESS * max_length)
    base = _without_max(spec)
    for size in dict.fromkeys((_round_size(needed), str(needed))):
        candidate = f"{base},max={size}"
        if _error_of(candidate) is None:
            return f"; raise the limit with max=SIZE in the spec, as in {shlex.quote(candidate)}"
    return f"; max= cannot raise it: {_error_of(f'{base},max={max_length + 1}')}"


def _error_of(spec: str) -> str | None:
    """What is wrong with ``spec``, without the "bad codec spec '...'" around it; None if ok."""
    try:
        codec_from_spec(spec)
    except ValueError as error:
        return str(error).split(": ", 1)[-1]
    return None


def _round_size(size: int) -> str:
    """The smallest power of two of at least ``size`` bytes, in the largest unit that fits."""
    bits = max(size - 1, 0).bit_length()
    for shift, unit in _UNITS:
        if bits >= shift:
            return f"{1 << (bits - shift)}{unit}"
    return str(1 << bits)


def _without_max(spec: str) -> str:
    """``spec`` without its ``max=`` options (commas escaped with a backslash are kept)."""
    parts = re.split(r"(?<!\\)((?:\\\\)*),", spec)  # keeps the backslashes before a comma
    # re.split with a group gives [part, backslashes, part, backslashes, part, ...]
    options = [parts[0]]
    for backslashes, part in zip(parts[1::2], parts[2::2], strict=True):
        options[-1] += backslashes
        options.append(part)
    kept = [
        option
        for index, option in enumerate(options)
        if index == 0 or option.partition("=")[0].strip().lower() not in _MAX_KEYS
    ]
    return ",".join(kept)


# ---------------------------------------------------------------------------
# the SPEC help, from framing.codecs.spec
# ---------------------------------------------------------------------------


def spec_summary() -> str:
    """The short SPEC help of ``framing --help``: the styles, one a line."""
    styles = "\n".join(f"  {synopsis}" for synopsis in STYLES.values())
    options = _fill(
        "Options: max=SIZE (512, 16K, 1M, 2G) sets the largest payload. The --help of "
        "encode, decode, serve and send lists every spelling."
    )
    return f"SPEC is STYLE[:ARGUMENT][,OPTION...], one of:\n{styles}\n{options}"


def spec_help() -> str:
    """The full SPEC help of each subcommand that takes a SPEC.

    The grammar, the table of examples and the notes come from the docstring
    of ``framing.codecs.spec`` and the styles from its ``STYLES``, so that the
    help says what the parser does; without docstrings (``python -OO``) the
    rest is still there.
    """
    doc = spec_module.__doc__ or ""
    sections = ["SPEC is STYLE[:ARGUMENT][,OPTION...]:"]
    grammar = _literal_block(doc)
    if grammar:
        sections[0] += "\n\n" + "\n".join(f"  {line}" for line in grammar)
    sections.append("Styles:\n" + "\n".join(f"  {synopsis}" for synopsis in STYLES.values()))
    varints = ", ".join(NAMED_VARINTS)
    sections.append(
        _fill(
            f"HEADER of length: a struct integer: !I (the default), >H, B, <Q, ...; a varint: "
            f"{varints}; a construct integer by name, such as Int24ub or Int32sl. Options of "
            f"length: offset=N (header bytes before the length), adjust=N (added to the "
            f"length); flags {', '.join(LENGTH_FLAGS)}."
        )
    )
    rows = _table(doc)
    if rows:
        width = max(len(spec) for spec, _ in rows) + 2
        lines = ["Examples:"]
        for spec, meaning in rows:
            wrapped = textwrap.wrap(meaning, WIDTH - width - 2) or [""]
            lines.append(f"  {spec:<{width}}{wrapped[0]}")
            lines += [f"  {'':<{width}}{more}" for more in wrapped[1:]]
        sections.append("\n".join(lines))
    notes = _notes(doc)
    if notes:
        sections.append(_fill(notes))
    return "\n\n".join(sections)


def _fill(text: str) -> str:
    return textwrap.fill(text, WIDTH, break_long_words=False, break_on_hyphens=False)


def _plain(text: str) -> str:
    """reStructuredText inline literals as plain text."""
    return " ".join(text.replace("``", "").split())


def _literal_block(doc: str) -> list[str]:
    """The lines of the first ``::`` block of ``doc``, dedented (the grammar)."""
    match = re.search(r"::\n\n((?:[ \t]+\S.*\n|\n)+)", doc)
    if match is None:
        return []
    return textwrap.dedent(match[1]).strip("\n").splitlines()


def _table(doc: str) -> list[tuple[str, str]]:
    """The rows of the first simple reStructuredText table of ``doc``: (spec, meaning)."""
    lines = doc.splitlines()
    rules = [index for index, line in enumerate(lines) if re.fullmatch(r"=+ +=+", line)]
    if len(rules) < 3:
        return []
    column = lines[rules[0]].index(" ")  # the first column ends where its rule does
    rows: list[tuple[str, str]] = []
    for line in lines[rules[1] + 1 : rules[2]]:
        left, right = line[:column].strip(), line[column:].strip()
        if left or not rows:
            rows.append((_plain(left), _plain(right)))
        else:  # a continuation line of the meaning
            rows[-1] = (rows[-1][0], _plain(f"{rows[-1][1]} {right}"))
    return rows


def _notes(doc: str) -> str:
    """The paragraph after the table, up to the doctest examples."""
    lines = doc.splitlines()
    rules = [index for index, line in enumerate(lines) if re.fullmatch(r"=+ +=+", line)]
    if len(rules) < 3:
        return ""
    rest = "\n".join(lines[rules[2] + 1 :]).split(">>>")[0]
    return _plain(rest)
