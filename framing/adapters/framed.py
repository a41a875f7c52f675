"""What every adapter over a ``framing.Connection`` shows of it, written once."""

from __future__ import annotations

from ..core.codec import Codec
from ..core.connection import Connection

__all__ = ["OverConnection"]


class OverConnection:
    """A mix-in for an adapter whose framing state is ``self._conn``."""

    _conn: Connection

    @property
    def connection(self) -> Connection:
        """The sans-I/O framing state: decoder, unframed reads, send queue, half-close."""
        return self._conn

    @property
    def codec(self) -> Codec:
        """The codec framing both directions (``switch`` changes it)."""
        return self._conn.codec
