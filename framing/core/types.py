"""Type aliases shared by the package."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Any object supporting the buffer protocol (bytes, bytearray, memoryview, array, mmap).
    from typing_extensions import Buffer as Buffer
else:
    Buffer = bytes | bytearray | memoryview

__all__ = ["Buffer"]
