"""Which core decodes: the compiled one (``framing._speedups``) or pure Python.

The compiled core is optional: ``pip install`` builds it where a C compiler
is at hand, and ``FRAMING_NO_EXTENSIONS=1`` (set before ``import framing``)
leaves it unused even where it was built. The pure-Python code is the
reference either way: every compiled function has a Python twin that the
test suite checks it against, and ``framing.__compiled__`` says which one
runs::

    >>> import framing
    >>> framing.__compiled__ in (True, False)
    True
"""

from __future__ import annotations

import importlib
import os
import struct
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = [
    "API",
    "COMPILED",
    "PrefixedHeader",
    "VarintHeader",
    "disabled",
    "enabled",
    "native_varint",
    "prefixed_header",
    "split_delimited",
    "split_delimited_python",
    "take_fixed",
    "take_fixed_python",
    "take_prefixed",
    "take_prefixed_python",
    "take_varint_prefixed",
    "take_varint_prefixed_python",
    "usable",
]

#: The interface these functions expect of ``framing._speedups`` (its ``API``).
API = 2


def usable(module: ModuleType | None) -> ModuleType | None:
    """``module`` if it is the compiled core these sources expect, else None (with a warning).

    An extension built from other sources (an editable install whose C
    file changed since it was built, a stale build directory) has another
    ``API``: the pure core then decodes, as correctly.
    """
    if module is None or getattr(module, "API", None) == API:
        return module
    warnings.warn(
        f"framing: the compiled core ({getattr(module, '__file__', module.__name__)}) "
        "was built from other sources "
        f"(API {getattr(module, 'API', None)}, not {API}): using pure Python; "
        "reinstall framing to rebuild it",
        RuntimeWarning,
        stacklevel=2,
    )
    return None


_speedups: ModuleType | None = None
if os.environ.get("FRAMING_NO_EXTENSIONS", "") in ("", "0"):
    try:
        _speedups = usable(importlib.import_module("framing._speedups"))
    except ImportError:  # not built: no compiler at install time, or a pure wheel
        _speedups = None

#: Whether the compiled core is in use.
COMPILED = _speedups is not None

#: ``take_prefixed(data, start, size, big, signed, max_length, adjust)``, or None.
take_prefixed: Callable[..., tuple[list[bytes], int]] | None = (
    _speedups.take_prefixed if _speedups is not None else None
)

#: ``take_varint_prefixed(data, start, max_bytes, minimal, max_value,
#: includes_header, max_length, adjust)``, or None.
take_varint_prefixed: Callable[..., tuple[list[bytes], int, bytes]] | None = (
    _speedups.take_varint_prefixed if _speedups is not None else None
)

#: ``split_delimited(data, start, delimiter, max_length)``, or None.
split_delimited: Callable[[bytes, int, bytes, int], tuple[list[bytes], int]] | None = (
    _speedups.split_delimited if _speedups is not None else None
)

#: ``take_fixed(data, start, size)``, or None.
take_fixed: Callable[[bytes, int, int], tuple[list[bytes], int]] | None = (
    _speedups.take_fixed if _speedups is not None else None
)

#: A header the compiled loop reads: (size in bytes, big-endian, signed).
PrefixedHeader = tuple[int, bool, bool]

# Adjustments this large never happen in a real protocol; they stay in Python.
_ADJUST_LIMIT = min(1 << 62, sys.maxsize // 2)


_enabled = [True]  # cleared by disabled()


@contextmanager
def disabled() -> Iterator[None]:
    """Decoders made inside this block use the pure-Python core (differential tests)."""
    _enabled[0] = False
    try:
        yield
    finally:
        _enabled[0] = True


def _in_reach(adjust: int) -> bool:
    """Whether the compiled core is in use and ``adjust`` within what its loops take."""
    return _enabled[0] and -_ADJUST_LIMIT < adjust < _ADJUST_LIMIT


def enabled() -> bool:
    """Whether a decoder made now uses the compiled core: it is built, and not ``disabled()``."""
    return COMPILED and _enabled[0]


def prefixed_header(header: struct.Struct, adjust: int) -> PrefixedHeader | None:
    """What the compiled loop needs to read ``header`` (one ``struct`` integer), or None.

    None when there is no compiled core (or it is ``disabled()``), or the
    header or ``adjust`` is out of its reach: the pure-Python twin,
    ``take_prefixed_python``, then decodes, as it always can.
    """
    if take_prefixed is None or not _in_reach(adjust):
        return None
    order, code = header.format[:-1], header.format[-1]
    if header.size not in (1, 2, 4, 8):
        return None
    big = order in ("!", ">") or (order in ("", "@", "=") and sys.byteorder == "big")
    return header.size, big, code.islower()


#: A varint header as the batch loops read it: (max bytes, minimal, max value,
#: includes header, adjust).
VarintHeader = tuple[int, bool, int, bool, int]


def native_varint(adjust: int) -> bool:
    """Whether the compiled loop reads varint headers for a decoder made now.

    False when there is no compiled core (or it is ``disabled()``), or
    ``adjust`` is out of its reach: the pure-Python twin,
    ``take_varint_prefixed_python``, then decodes, as it always can.
    """
    return take_varint_prefixed is not None and _in_reach(adjust)


def take_prefixed_python(
    data: bytes, start: int, header: struct.Struct, max_length: int, adjust: int
) -> tuple[list[bytes], int]:
    """The pure-Python ``take_prefixed``, the reference: every complete frame from ``start``.

    A ``header`` integer declares each payload's length plus ``adjust``.
    Stops before the first frame that is incomplete or whose payload length
    is negative or above ``max_length``; returns the payloads and the offset
    after the last frame taken.
    """
    size = header.size
    unpack = header.unpack_from
    payloads: list[bytes] = []
    append = payloads.append
    end = len(data)
    position = start
    while position + size <= end:
        (length,) = unpack(data, position)
        length -= adjust
        stop = position + size + length
        if stop > end or not 0 <= length <= max_length:
            break
        append(data[position + size : stop])
        position = stop
    return payloads, position


def split_delimited_python(
    data: bytes, start: int, delimiter: bytes, max_length: int
) -> tuple[list[bytes], int]:
    """The pure-Python ``split_delimited``, the reference: every complete frame from ``start``.

    A frame is a payload followed by ``delimiter``, found left to right as
    ``bytes.split`` finds it. Stops before the first payload longer than
    ``max_length``, and at the last delimiter; returns the payloads and the
    offset after the last frame taken.
    """
    pieces = data[start:].split(delimiter)
    pieces.pop()  # what follows the last delimiter: the frame still arriving
    cut_too_long(pieces, max_length)
    return pieces, start + sum(map(len, pieces)) + len(pieces) * len(delimiter)


def cut_too_long(payloads: list[bytes], max_length: int) -> None:
    """Drop the first payload longer than ``max_length`` and all after it, in place."""
    for index, payload in enumerate(payloads):
        if len(payload) > max_length:
            del payloads[index:]
            return


def take_fixed_python(data: bytes, start: int, size: int) -> tuple[list[bytes], int]:
    """The pure-Python ``take_fixed``, the reference: every complete ``size``-byte frame."""
    end = start + (len(data) - start) // size * size
    return [data[offset : offset + size] for offset in range(start, end, size)], end


def take_varint_prefixed_python(
    data: bytes,
    start: int,
    max_bytes: int,
    minimal: bool,
    max_value: int,
    includes_header: bool,
    max_length: int,
    adjust: int,
) -> tuple[list[bytes], int, bytes]:
    """The pure-Python ``take_varint_prefixed``, the reference: every complete frame.

    An unsigned LEB128 header of at most ``max_bytes`` bytes (overlong forms
    refused if ``minimal``) declares at most ``max_value``: the payload's
    length plus ``adjust``, plus the header's size if ``includes_header``.
    Stops before the first frame that is incomplete or bad; returns the
    payloads, the offset after the last frame taken and each frame's header
    size (a byte each).
    """
    payloads: list[bytes] = []
    sizes = bytearray()
    end = len(data)
    position = start
    while True:
        value = size = 0
        for index, byte in enumerate(data[position : position + max_bytes]):
            value |= (byte & 0x7F) << (7 * index)
            if byte < 0x80:
                size = index + 1
                break
        overlong = minimal and size > 1 and not data[position + size - 1]
        if not size or value > max_value or overlong:
            break
        length = value - adjust - (size if includes_header else 0)
        stop = position + size + length
        if stop > end or not 0 <= length <= max_length:
            break
        payloads.append(data[position + size : stop])
        sizes.append(size)
        position = stop
    return payloads, position, bytes(sizes)
