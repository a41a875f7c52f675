"""A large, known number of bytes received straight into the ``bytes`` object that keeps them.

``io.BytesIO`` keeps its data in a ``bytes`` object; ``getbuffer()`` lends it
out writable (for ``recv_into``), and ``getvalue()`` hands that same object
over, uncopied, when it is exactly full. So a 64 MiB payload costs 64 MiB,
not 128::

    target = InPlaceBytes(64 * 2**20, head=first_bytes)
    while not target.full:
        target.advance(sock.recv_into(target.space()))   # the I/O is the caller's
    payload = target.value()                              # no copy

Memory follows the bytes that arrive, not the size announced: the object
starts at ``FIRST_CAPACITY`` (or what ``head`` needs) and doubles as it fills,
up to exactly ``size`` (no step lands within an eighth of it, which
``io.BytesIO`` would over-allocate), so a peer that announces a
large frame and stalls costs about what it sent.
"""

from __future__ import annotations

import io

from .types import Buffer

__all__ = ["FIRST_CAPACITY", "InPlaceBytes"]

# An in-place receive starts with room for this much and doubles as bytes arrive.
FIRST_CAPACITY = 256 * 1024


class InPlaceBytes:
    """``size`` bytes, filled through ``space()``/``advance()``, handed over uncopied."""

    def __init__(self, size: int, head: Buffer = b"") -> None:
        self._file = io.BytesIO()
        self._view: memoryview | None = None  # the whole capacity, writable
        self._lent: memoryview | None = None  # the last view space() lent out
        self._capacity = 0
        self.size = size
        with memoryview(head) as flat, flat.cast("B") as head_bytes:
            self.filled = len(head_bytes)
            self._grow(self._fitted(max(self.filled, min(size, FIRST_CAPACITY))))
            self._whole()[: self.filled] = head_bytes

    def _whole(self) -> memoryview:
        assert self._view is not None, "the bytes were handed over already"
        return self._view

    def _release(self) -> None:
        if self._lent is not None:
            self._lent.release()
            self._lent = None
        if self._view is not None:
            self._view.release()
            self._view = None

    def _grow(self, capacity: int) -> None:
        """Make room for ``capacity`` bytes (the file grows in place; a view pins it)."""
        self._release()
        if capacity:
            self._file.seek(capacity - 1)
            self._file.write(b"\0")
        self._view = self._file.getbuffer()
        self._capacity = capacity

    def _fitted(self, capacity: int) -> int:
        """``capacity``, or ``size`` when that is at most an eighth more.

        ``io.BytesIO`` over-allocates by an eighth a buffer that grows by an
        eighth or less, and that eighth of a 64 MiB frame would outlive the
        frame: a step that lands so near ``size`` goes straight to it.
        """
        return self.size if self.size <= capacity + capacity // 8 else capacity

    @property
    def full(self) -> bool:
        """Whether all ``size`` bytes arrived."""
        return self.filled >= self.size

    def space(self) -> memoryview:
        """Where the next bytes go: a writable view, at most what is still missing.

        The view is valid until the next call on this object.
        """
        if self._lent is not None:
            self._lent.release()
        if self.filled == self._capacity:
            self._grow(self._fitted(min(self.size, 2 * self._capacity)))
        lent = self._lent = self._whole()[self.filled :]
        return lent

    def advance(self, count: int) -> None:
        """``count`` bytes were written at the start of the last ``space()``."""
        self.filled += count

    def received(self) -> bytes:
        """The bytes that arrived so far (a copy); the object is done with."""
        data = self._whole()[: self.filled].tobytes()
        self._release()
        return data

    def value(self) -> bytes:
        """The full ``size`` bytes, uncopied; the object is done with."""
        self._release()
        return self._file.getvalue()
