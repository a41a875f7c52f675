"""Helpers of the serial styles' tests (``HDLC``, ``STXETX``, ``Checksummed``).

Their decoders say themselves whether decoding goes on after an error
(``resynchronises``), as ``helpers`` asks them: the chunkings, the drain and
the summary are ``helpers``'; ``decode_every_way`` here also holds each
decoder to its codec's ``largest_frame``.
"""

from __future__ import annotations

from typing import Any

from framing import FrameTooLarge
from helpers import Event, decode_chunks
from helpers import decode_every_way as _decode_every_way

__all__ = ["decode_chunks", "decode_every_way", "feed_until_too_large"]


def decode_every_way(codec: Any, wire: bytes) -> list[Event]:
    """``helpers.decode_every_way``, with memory bounded by ``codec.largest_frame``."""
    return _decode_every_way(codec, wire, bounded=True)


def feed_until_too_large(decoder: Any, chunk: bytes, bound: int, rounds: int = 200) -> Any:
    """Feed ``chunk`` again and again until ``FrameTooLarge``, holding at most ``bound`` bytes.

    Returns the error and the bytes fed until then; ``AssertionError`` if the
    decoder never refuses the frame.
    """
    fed = 0
    for _ in range(rounds):
        decoder.feed(chunk)
        fed += len(chunk)
        assert decoder.buffered <= bound + len(chunk), (decoder.buffered, bound)
        try:
            message = decoder.next_frame()
        except FrameTooLarge as error:
            return error, fed
        assert message is None, f"a message {message[:20]!r}... from an endless frame"
        assert decoder.buffered <= bound, (decoder.buffered, bound)
    raise AssertionError(f"an endless frame of {fed} bytes was never refused")
