"""asyncio streams and servers that carry framed messages (public path of ``framing.adapters.aio``).

See ``framing.adapters.aio`` for the whole story; every public name is here.
"""

from __future__ import annotations

from .adapters.aio import *  # noqa: F403 - this module is that one's public path
from .adapters.aio import __all__ as __all__
