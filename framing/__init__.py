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

from .adapters.nonblocking import FramedConnection
from .adapters.server import FramedRequestHandler, request_handler
from .adapters.socket import FramedSocket, connect, recv_exactly, recv_until, send_all
from .codecs.cobs import COBS
from .codecs.delimited import Delimited
from .codecs.fixed import FixedLength
from .codecs.length_prefixed import Frame, LengthPrefixed
from .codecs.lines import Lines
from .codecs.netstring import Netstring
from .codecs.slip import SLIP
from .codecs.spec import codec_from_spec
from .codecs.until_close import UntilClose
from .core.codec import Codec, Decoder
from .errors import (
    ConnectionClosed,
    EncodeError,
    FrameTooLarge,
    FramingError,
    IncompleteFrame,
    InvalidFrame,
)

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
