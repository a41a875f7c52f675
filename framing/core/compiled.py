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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = [
    "COMPILED",
    "PrefixedHeader",
    "disabled",
    "prefixed_header",
    "take_prefixed",
    "take_prefixed_python",
]

_speedups: ModuleType | None = None
if os.environ.get("FRAMING_NO_EXTENSIONS", "") in ("", "0"):
    try:
        _speedups = importlib.import_module("framing._speedups")
    except ImportError:  # not built: no compiler at install time, or a pure wheel
        _speedups = None

#: Whether the compiled core is in use.
COMPILED = _speedups is not None

#: ``take_prefixed(data, start, size, big, signed, max_length, adjust)``, or None.
take_prefixed: Callable[..., tuple[list[bytes], int]] | None = (
    _speedups.take_prefixed if _speedups is not None else None
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


def prefixed_header(header: struct.Struct, adjust: int) -> PrefixedHeader | None:
    """What the compiled loop needs to read ``header`` (one ``struct`` integer), or None.

    None when there is no compiled core (or it is ``disabled()``), or the
    header or ``adjust`` is out of its reach: the pure-Python twin,
    ``take_prefixed_python``, then decodes, as it always can.
    """
    if take_prefixed is None or not _enabled[0] or not -_ADJUST_LIMIT < adjust < _ADJUST_LIMIT:
        return None
    order, code = header.format[:-1], header.format[-1]
    if header.size not in (1, 2, 4, 8):
        return None
    big = order in ("!", ">") or (order in ("", "@", "=") and sys.byteorder == "big")
    return header.size, big, code.islower()


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
