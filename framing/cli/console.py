"""Terminal helpers for the command line: hex/ASCII dumps, chunked reading, progress, colour.

>>> print("\\n".join(hexdump(b"hello, world\\x00\\xff!")))
0000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 00 ff 21     |hello, world..!|
>>> hex_ascii(b"\\x00\\x00\\x00\\x05hi")
'00 00 00 05 68 69  |....hi|'
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, TextIO

__all__ = [
    "CHUNK_SIZE",
    "Colour",
    "Progress",
    "hex_ascii",
    "hexdump",
    "input_size",
    "read_chunks",
]

CHUNK_SIZE = 64 * 1024  # bytes per read of stdin: constant memory, few syscalls

_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else ord(".") for b in range(256))


def ascii_of(data: bytes) -> str:
    """Printable ASCII as itself, every other byte as ``.``."""
    return data.translate(_PRINTABLE).decode("ascii")


def hex_ascii(data: bytes, limit: int = 16) -> str:
    """A one-line dump: hex bytes, then ASCII between bars; ``...`` past ``limit`` bytes."""
    shown = data[:limit]
    more = " ..." if len(data) > limit else ""
    return f"{shown.hex(' ')}{more}  |{ascii_of(shown)}|"


def hexdump(data: bytes, width: int = 16) -> list[str]:
    """``hexdump -C``-style lines: offset, ``width`` hex bytes in two halves, ASCII."""
    half = width // 2
    lines = []
    for offset in range(0, len(data), width):
        row = data[offset : offset + width]
        left, right = row[:half].hex(" "), row[half:].hex(" ")
        hex_part = f"{left:<{3 * half - 1}}  {right:<{3 * (width - half) - 1}}"
        lines.append(f"{offset:04x}  {hex_part}  |{ascii_of(row)}|")
    return lines


def read_chunks(stream: BinaryIO, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The bytes of ``stream`` as they arrive, at most ``size`` at a time, until EOF.

    ``read1`` returns what a pipe holds now instead of waiting for ``size``
    bytes, so a slow producer's data flows on at once.
    """
    read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
    while chunk := read(size):
        yield chunk


def input_size(stream: BinaryIO) -> int | None:
    """The size of ``stream`` when it is a regular file (for a percentage), else None."""
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def is_tty(stream: object) -> bool:
    """Whether ``stream`` is a terminal (False for anything that cannot tell)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """A progress line on a terminal, drawn only once an input has taken ``delay`` seconds.

    Short inputs never show it; nor does a stream that is not a terminal.
    ``update(done)`` is cheap to call per chunk: it redraws at most every
    ``interval`` seconds.
    """

    def __init__(
        self,
        stream: TextIO,
        total: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 0.5,
        interval: float = 0.1,
    ) -> None:
        self._stream = stream
        self._total = total  # bytes expected, when known
        self._clock = clock
        self._enabled = is_tty(stream)
        self._start = clock()
        self._next_draw = self._start + delay  # nothing is drawn before this
        self._interval = interval
        self._drawn = False  # whether a line is on screen (to erase at the end)

    def update(self, done: int) -> None:
        """``done`` bytes of the input have been processed."""
        if not self._enabled:
            return
        now = self._clock()
        if now < self._next_draw:
            return
        self._next_draw = now + self._interval
        self._stream.write("\r" + self.line(done, now - self._start))
        self._stream.flush()
        self._drawn = True

    def line(self, done: int, elapsed: float) -> str:
        """The text of the progress line.

        >>> Progress._line_for(3 * 2**20, 8 * 2**20, 2.0)
        '[##########................]  38%   3.0 MiB of 8.0 MiB, 1.5 MiB/s'
        """
        return self._line_for(done, self._total, elapsed)

    @staticmethod
    def _line_for(done: int, total: int | None, elapsed: float) -> str:
        rate = f"{_mib(done / elapsed if elapsed > 0 else 0.0)}/s"
        if not total:
            return f"{_mib(done)}, {rate}"
        fraction = min(1.0, done / total)
        bar = "#" * round(26 * fraction)
        return f"[{bar:.<26}] {100 * fraction:3.0f}% {_mib(done):>9} of {_mib(total)}, {rate}"

    def finish(self) -> None:
        """Erase the progress line, if one was drawn."""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False


def _mib(count: float) -> str:
    return f"{count / 2**20:.1f} MiB"


class Colour:
    """ANSI colours when enabled (a terminal, and ``NO_COLOR`` unset), else plain text."""

    def __init__(self, stream: object) -> None:
        self.enabled = is_tty(stream) and not os.environ.get("NO_COLOR")

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        """Headings."""
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        """Wire bytes and other detail."""
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        """Success, in green."""
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        """Failure, in red."""
        return self._wrap("31", text)
