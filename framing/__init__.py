"""Message framing for socket programs: every framing style as a pure, incremental codec.

TCP delivers a byte stream, not messages. ``framing`` turns messages into
bytes and back, whatever way the bytes are cut into ``recv()`` chunks::

    >>> import framing
    >>> codec = framing.LengthPrefixed("!I")
    >>> wire = codec.encode(b"hello") + codec.encode(b"world")
    >>> decoder = codec.decoder()
    >>> for chunk in (wire[:3], wire[3:7], wire[7:]):
    ...     decoder.feed(chunk)
    ...     for message in decoder:
    ...         print(message)
    b'hello'
    b'world'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._base import Codec, Decoder
from ._spec import codec_from_spec
from .cobs import COBS
from .delimited import Delimited
from .errors import (
    ConnectionClosed,
    EncodeError,
    FrameTooLarge,
    FramingError,
    IncompleteFrame,
    InvalidFrame,
)
from .fixed import FixedLength
from .length_prefixed import Frame, LengthPrefixed
from .lines import Lines
from .netstring import Netstring
from .nonblocking import FramedConnection
from .server import FramedRequestHandler, request_handler
from .slip import SLIP
from .socket import FramedSocket, connect, recv_exactly, recv_until, send_all
from .until_close import UntilClose

__all__ = [
    "COBS",
    "SLIP",
    "Codec",
    "ConnectionClosed",
    "Decoder",
    "Delimited",
    "EncodeError",
    "FixedLength",
    "Frame",
    "FrameTooLarge",
    "FramedConnection",
    "FramedRequestHandler",
    "FramedSocket",
    "FramingError",
    "IncompleteFrame",
    "InvalidFrame",
    "LengthPrefixed",
    "Lines",
    "Netstring",
    "UntilClose",
    "codec_from_spec",
    "connect",
    "recv_exactly",
    "recv_until",
    "request_handler",
    "send_all",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> ModuleType:
    """``framing.aio`` and ``framing.testing`` after a plain ``import framing``, imported lazily.

    They pull in asyncio and hypothesis, which ``import framing`` should not.
    """
    if name in ("aio", "testing"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
