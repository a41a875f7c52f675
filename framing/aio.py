"""asyncio streams and servers that carry framed messages (public path of ``framing.adapters.aio``).

See ``framing.adapters.aio`` for the whole story; every public name is here.
"""

from __future__ import annotations

from .adapters.aio import (
    DEFAULT_LIMIT,
    FramedStream,
    open_connection,
    open_unix_connection,
    start_server,
    start_unix_server,
    wrap_streams,
    wrap_transport,
)

__all__ = [
    "DEFAULT_LIMIT",
    "FramedStream",
    "open_connection",
    "open_unix_connection",
    "start_server",
    "start_unix_server",
    "wrap_streams",
    "wrap_transport",
]
