"""Framed messages over anyio byte streams, on asyncio and trio.

The public path of ``framing.adapters.anyio_stream``; it needs the ``anyio``
extra: ``pip install "framing-codecs[anyio]"``.

See ``framing.adapters.anyio_stream`` for the whole story; every public name is here.
"""

from __future__ import annotations

from .adapters.anyio_stream import *  # noqa: F403 - this module is that one's public path
from .adapters.anyio_stream import __all__ as __all__
