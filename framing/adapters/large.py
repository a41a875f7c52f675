"""Receiving a large frame in place: one ``bytes`` object, no intermediate copy.

When a decoder knows how many bytes its current frame still needs
(``bytes_needed``) and that is more than one read, ``FramedSocket`` takes the
frame's bytes back from the decoder (``detach()``: the header and the first
payload bytes), and receives the rest of the payload straight into the
``bytes`` object it will return (``InPlace``), then the trailer, if the style
has one. Receiving a 64 MiB payload then costs 64 MiB, where feeding it
through the decoder's buffer costs a buffer and a copy::

    LengthPrefixed("!I")   | 00 00 04 00 | <- 4 MiB payload, received in place -> |
    Netstring()            | 4194304:    | <- payload ->                        | , |

It is done for the styles whose payload is plain bytes found at a known
offset: ``FixedLength``, ``Netstring`` and ``LengthPrefixed`` with any
integer header (a ``Struct`` header's frames carry fields: they go through
the decoder). Whenever the frame does not finish well (EOF, a
netstring without its comma) or a timeout or signal interrupts it, every byte
goes back into the decoder, which then raises its own error, or continues the
frame on the next ``recv()``.
"""

from __future__ import annotations

import socket

from ..codecs.fixed import FixedLength
from ..codecs.length_prefixed import LengthPrefixed
from ..codecs.netstring import Netstring
from ..core.codec import Codec, Decoder
from ..errors import EncodeError
from .sockio import InPlace

__all__ = ["LargeFrames"]


class LargeFrames:
    """Where a codec's frames hold the payload: after a header, before ``trailer``."""

    def __init__(self, codec: Codec, trailer: bytes) -> None:
        self._codec = codec
        self._trailer = trailer

    @classmethod
    def for_codec(cls, codec: Codec) -> LargeFrames | None:
        """The layout of ``codec``'s frames, or None if its frames are read through the decoder."""
        if isinstance(codec, (FixedLength, Netstring)):
            return cls(codec, b"," if isinstance(codec, Netstring) else b"")
        if isinstance(codec, LengthPrefixed):
            try:
                plain = type(codec.decode(codec.encode(b""))[0]) is bytes
            except EncodeError:  # a Struct header whose fields the caller supplies
                plain = False
            return cls(codec, b"") if plain else None  # not a Frame with fields
        return None

    def _header_size(self, wire: bytes) -> int:
        """The size of the header at the start of ``wire``, found as the decoder finds it.

        A fresh decoder is fed one byte at a time until it knows how many
        bytes its frame needs: that is when the header is complete.
        """
        probe = self._codec.decoder()
        size = 0
        probe.next_frame()  # a style without a header knows its frame's size at once
        while probe.bytes_needed is None:
            probe.feed(wire[size : size + 1])
            size += 1
            probe.next_frame()
        return size

    def receive(
        self, sock: socket.socket, wire: bytes, needed: int, decoder: Decoder
    ) -> bytes | None:
        """The payload of the frame that starts with ``wire``, ``needed`` wire bytes short.

        ``wire`` is what the frame's decoder held (``detach()``); ``decoder``
        is a fresh one for what follows. None when the frame did not finish
        well: its bytes are in ``decoder`` (with EOF fed, if that is why),
        which raises the error.
        """
        header = self._header_size(wire)
        trailer = self._trailer
        payload = InPlace(len(wire) + needed - header - len(trailer), memoryview(wire)[header:])
        try:
            complete = payload.fill(sock)
        except BaseException:
            decoder.feed(wire[:header])
            decoder.feed(payload.received())
            raise
        if not complete:
            _give_back(decoder, [wire[:header], payload.received()], eof=True)
            return None
        body = payload.value()
        if not trailer:
            return body
        end = InPlace(len(trailer))
        try:
            complete = end.fill(sock)
        except BaseException:
            decoder.feed(wire[:header])
            decoder.feed(body)
            decoder.feed(end.received())
            raise
        tail = end.value() if complete else end.received()
        if complete and tail == trailer:
            return body
        _give_back(decoder, [wire[:header], body, tail], eof=not complete)
        return None


def _give_back(decoder: Decoder, parts: list[bytes], *, eof: bool) -> None:
    for part in parts:
        decoder.feed(part)
    if eof:
        decoder.feed_eof()
