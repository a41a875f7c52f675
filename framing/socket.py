"""Blocking sockets that carry framed messages (public path of ``framing.adapters.socket``).

See ``framing.adapters.socket`` for the whole story; every public name is here.
"""

from __future__ import annotations

from .adapters.socket import *  # noqa: F403 - this module is that one's public path
from .adapters.socket import __all__ as __all__
