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

The layers, bottom to top: ``framing.errors``; ``framing.core`` (the receive
buffer, the codec contract, length headers, the sans-I/O ``Connection``);
``framing.codecs`` (one module per style); ``framing.adapters`` (sockets,
selectors, ``socketserver``, asyncio, anyio); ``framing.cli``. The public
names are the ones below, and the modules ``framing.errors``,
``framing.socket``, ``framing.aio``, ``framing.anyio`` (the ``anyio`` extra)
and ``framing.testing``. The socket adapters are imported on first use, so that
a program that only encodes and decodes does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .codecs.cobs import COBS
from .codecs.delimited import Delimited, DelimitedFrame
from .codecs.fixed import FixedLength
from .codecs.length_prefixed import Frame, LengthPrefixed
from .codecs.lines import Lines
from .codecs.netstring import Netstring
from .codecs.slip import SLIP
from .codecs.spec import codec_from_spec
from .codecs.until_close import UntilClose
from .core.buffer import ReceiveBuffer
from .core.codec import Codec, Decoder
from .core.compiled import COMPILED as _COMPILED
from .core.connection import Connection
from .core.headers import Varint
from .core.types import Buffer
from .errors import (
    ConnectionClosed,
    EncodeError,
    FrameTooLarge,
    FramingError,
    IncompleteFrame,
    InvalidFrame,
)

if TYPE_CHECKING:
    from .adapters.nonblocking import FramedConnection
    from .adapters.server import FramedRequestHandler, close_connections, request_handler
    from .adapters.socket import FramedSocket, connect, recv_exactly, recv_until, send_all
    from .codecs.checksummed import ChecksumAlgorithm, Checksummed, ChecksumMismatch
    from .codecs.hdlc import HDLC
    from .codecs.stx_etx import STXETX

__all__ = [
    "COBS",
    "HDLC",
    "SLIP",
    "STXETX",
    "Buffer",
    "ChecksumAlgorithm",
    "ChecksumMismatch",
    "Checksummed",
    "Codec",
    "Connection",
    "ConnectionClosed",
    "Decoder",
    "Delimited",
    "DelimitedFrame",
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
    "ReceiveBuffer",
    "UntilClose",
    "Varint",
    "close_connections",
    "codec_from_spec",
    "connect",
    "recv_exactly",
    "recv_until",
    "request_handler",
    "send_all",
]

__version__ = "0.1.0"

#: Whether the optional compiled core (``framing._speedups``) decodes; see
#: ``framing.core.compiled``. False on a pure install or with FRAMING_NO_EXTENSIONS=1.
__compiled__: bool = _COMPILED

# Names imported on first use, and the module each comes from.
_LAZY = {
    # The serial styles: binascii, zlib and their tables only when used.
    "Checksummed": ".codecs.checksummed",
    "ChecksumAlgorithm": ".codecs.checksummed",
    "ChecksumMismatch": ".codecs.checksummed",
    "HDLC": ".codecs.hdlc",
    "STXETX": ".codecs.stx_etx",
    "FramedConnection": ".adapters.nonblocking",
    "FramedRequestHandler": ".adapters.server",
    "request_handler": ".adapters.server",
    "close_connections": ".adapters.server",
    "FramedSocket": ".adapters.socket",
    "connect": ".adapters.socket",
    "recv_exactly": ".adapters.socket",
    "recv_until": ".adapters.socket",
    "send_all": ".adapters.socket",
    # asyncio and hypothesis: ``framing.aio`` and ``framing.testing`` after a
    # plain ``import framing``, which should not import them.
    "aio": ".aio",
    "socket": ".socket",
    "testing": ".testing",
}
_MODULES = ("aio", "socket", "testing")


def __getattr__(name: str) -> Any:
    """The socket adapters, the serial styles and the modules in ``_MODULES``, on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    imported = importlib.import_module(module, __name__)
    value = imported if name in _MODULES else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, *_MODULES, "errors"])
