"""Blocking sockets that carry framed messages (public path of ``framing.adapters.socket``).

See ``framing.adapters.socket`` for the whole story; every public name is here.
"""

from __future__ import annotations

from .adapters.socket import FramedSocket, connect, recv_exactly, recv_until, send_all

__all__ = ["FramedSocket", "connect", "recv_exactly", "recv_until", "send_all"]
