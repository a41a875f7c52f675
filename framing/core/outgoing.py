"""What a send puts on the wire: a frame's parts as a send vector, never a hidden copy.

A codec's ``encode_parts`` gives a frame as parts in order (a header, the
payload itself, a trailer). ``gather`` turns parts into a *send vector*: empty
parts dropped, runs of small parts joined into one ``bytes`` (copying a few
hundred bytes costs less than an iovec entry of their own), large parts kept
as views of the caller's buffer, so a megabyte payload is never copied::

    gather((b"\\x00\\x10\\x00\\x00", payload))   ->   [b"\\x00\\x10\\x00\\x00", memoryview(payload)]

A vector that outlives the call that made it (a queue, the unsent rest of an
interrupted send) goes through ``owned``, which copies the views of buffers
the caller may change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from .codec import Codec
from .types import Buffer

__all__ = [
    "SMALL_PART",
    "View",
    "byte_view",
    "encode_parts",
    "gather",
    "is_stable",
    "owned",
    "wire_size",
]

View = bytes | memoryview  # what a send vector holds: one byte per item, sliceable

# Parts shorter than this are joined into one buffer before a gather send.
SMALL_PART = 1024


def byte_view(data: Buffer) -> View:
    """``data`` itself if ``bytes``, else a flat byte view of it (never a copy)."""
    if type(data) is bytes:
        return data
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def wire_size(parts: Iterable[Buffer]) -> int:
    """The byte count of ``encode_parts()``'s parts (``bytes`` or flat byte views)."""
    return sum(map(len, cast("Iterable[bytes]", parts)))


def gather(parts: Iterable[Buffer]) -> list[View]:
    """``parts`` as a send vector: empty parts dropped, runs of small ones joined.

    Large parts (a payload) are passed on as views, never copied.
    """
    vector: list[View] = []
    run: list[View] = []
    for part in parts:
        view = byte_view(part)
        size = len(view)
        if size >= SMALL_PART:
            if run:
                vector.append(run[0] if len(run) == 1 else b"".join(run))
                run = []
            vector.append(view)
        elif size:
            run.append(view)
    if run:
        vector.append(run[0] if len(run) == 1 else b"".join(run))
    return vector


def encode_parts(codec: Codec, message: Buffer, fields: dict[str, Any]) -> tuple[Buffer, ...]:
    """``codec.encode_parts(message, **fields)``: what every adapter's ``send`` frames.

    ``fields`` are a header's other fields (a ``LengthPrefixed`` codec with a
    construct ``Struct`` header); a codec whose frames carry none refuses them.
    """
    if not fields:
        return codec.encode_parts(message)
    encode: Any = codec.encode_parts  # only some codecs take fields: they say so if not
    parts: tuple[Buffer, ...] = encode(message, **fields)
    return parts


def is_stable(part: Buffer) -> bool:
    """Whether ``part`` cannot change under us: ``bytes``, or a view of ``bytes``.

    A view of anything else (even a read-only view of a ``bytearray``) may
    change when the caller reuses its buffer.
    """
    return type(part) is bytes or (type(part) is memoryview and isinstance(part.obj, bytes))


def owned(vector: list[View]) -> list[View]:
    """``vector`` with every view of a mutable buffer copied: safe to keep past the call.

    A queued or unsent part must not change when the caller reuses its
    ``bytearray``: ``bytes``, and views of ``bytes``, are kept as they are; a
    view of anything else (even a read-only view of a ``bytearray``) is copied.
    """
    return [view if is_stable(view) else bytes(view) for view in vector]
