"""``decode_every_way`` for codecs that ``helpers.is_terminal`` does not know.

``helpers`` decides whether decoding goes on after an error from a fixed
list of built-in classes; the serial styles (``HDLC``, ``STXETX``,
``Checksummed``) say it themselves, with their decoder's ``resynchronises``.
Everything else is ``helpers``': the same chunkings, the same summary.
"""

from __future__ import annotations

from typing import Any

from framing import FrameTooLarge, FramingError, IncompleteFrame
from helpers import Event, check_stays_finished, chunkings, summary


def _drain(decoder: Any, events: list[Event], use_iter: bool) -> bool:
    """Append every message and error available now; True once the decoder is done."""
    limit = decoder.buffered + 2  # every error must consume at least one byte
    while True:
        try:
            message = next(iter(decoder), None) if use_iter else decoder.next_frame()
        except FramingError as error:
            events.append(error)
            if isinstance(error, IncompleteFrame) or not decoder.resynchronises:
                return True
            limit -= 1
            assert limit >= 0, f"decoder raises forever: {events[-3:]!r}"
            continue
        if message is None:
            return False
        assert isinstance(message, bytes), f"message is {type(message).__name__}"
        events.append(message)


def decode_chunks(
    codec: Any, chunks: list[bytes], *, use_iter: bool = False, bound: int | None = None
) -> list[Event]:
    """Feed ``chunks`` one by one, draining after each, then EOF; return the events.

    With ``bound``, also check that the decoder never holds more than
    ``bound`` bytes plus the chunk just fed, nor more than ``bound`` once drained.
    """
    decoder = codec.decoder()
    events: list[Event] = []
    for chunk in chunks:
        decoder.feed(chunk)
        if bound is not None:
            assert decoder.buffered <= bound + len(chunk), (decoder.buffered, bound)
        if _drain(decoder, events, use_iter):
            return events
        if bound is not None:
            assert decoder.buffered <= bound, (decoder.buffered, bound)
    decoder.feed_eof()
    failed = _drain(decoder, events, use_iter)
    check_stays_finished(decoder, events[-1] if failed else None)
    return events


def decode_every_way(codec: Any, wire: bytes) -> list[Event]:
    """Decode ``wire`` whole, byte by byte and split at every index; all runs must agree."""
    expected = decode_chunks(codec, [wire])
    for chunks in chunkings(wire):
        for use_iter in (False, True):
            got = decode_chunks(codec, chunks, use_iter=use_iter, bound=codec.largest_frame)
            assert summary(got) == summary(expected), f"chunks={chunks!r}"
    return expected


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
