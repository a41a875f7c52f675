"""framing.aio against the pure decoder: any stream, any chunking, the same events.

A ``FramedStream`` over one end of a ``socket.socketpair()`` receives a wire
stream (valid, mutated or random, from ``framing.testing.streams_for``) written
to the other end in arbitrary chunks, then EOF. Its ``recv()`` results must be
exactly the events ``framing.testing.check_stream`` gets from the decoder
alone: the same messages, the same errors at the same places, the same
``IncompleteFrame.partial``, then ``ConnectionClosed`` after a clean end.
Inputs on which the decoder alone breaks its contract (``check_stream``
fails) are left to the codec tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import framing
import framing.aio
from framing import (
    COBS,
    SLIP,
    ConnectionClosed,
    Delimited,
    FixedLength,
    FramingError,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)
from framing.testing import check_stream, chunkings, streams_for
from test_aio import run

RESYNCHRONISING = (Delimited, Lines, COBS, SLIP)  # DESIGN.md: skip a bad frame, go on

CODECS = [
    LengthPrefixed("!I", max_length=50),
    LengthPrefixed("varint", max_length=200),
    FixedLength(3),
    Delimited(b"\r\n", max_length=8),
    Lines(max_length=10, strict_crlf=True),
    Netstring(max_length=20),
    COBS(max_length=10),
    SLIP(max_length=10),
    UntilClose(max_length=30),
]


def summary(event: bytes | FramingError) -> tuple[str, Any]:
    """An event as ``check_stream`` reports it."""
    if isinstance(event, IncompleteFrame):
        return ("IncompleteFrame", bytes(event.partial))
    if isinstance(event, FramingError):
        return (type(event).__name__, None)
    fields = getattr(event, "fields", None)
    return ("message", bytes(event) if fields is None else (bytes(event), repr(sorted(fields))))


async def events_over_a_socket(codec: framing.Codec, chunks: list[bytes]) -> list[tuple[str, Any]]:
    """Send ``chunks`` through a socketpair, then EOF; the stream's events until the end."""
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    stream = await framing.aio.open_connection(None, None, codec, sock=ours, limit=64)
    loop = asyncio.get_running_loop()

    async def send() -> None:  # while the stream receives: its reading pauses at limit
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a failed stream
            for chunk in chunks:  # closes before it read everything
                await loop.sock_sendall(theirs, chunk)
                await asyncio.sleep(0)  # let the stream read some of it now
            theirs.shutdown(socket.SHUT_WR)

    with theirs:
        sending = asyncio.ensure_future(send())
        events: list[tuple[str, Any]] = []
        ended: type[Exception] | None = None
        for _ in range(sum(map(len, chunks)) + 3):  # every event consumes a byte, or ends
            try:
                events.append(summary(await stream.recv()))
            except ConnectionClosed:
                ended = ConnectionClosed
            except FramingError as error:
                events.append(summary(error))
                if isinstance(error, IncompleteFrame) or not isinstance(codec, RESYNCHRONISING):
                    ended = type(error)
            if ended is not None:
                break
        assert ended is not None, f"no end of stream after {events[-3:]!r}"
        with pytest.raises(ended):  # and the stream stays ended (or failed)
            await stream.recv()
        stream.close()  # a failed stream may stop before the sender is done
        await sending
    await stream.wait_closed()
    return events


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CODECS).flatmap(lambda c: st.tuples(st.just(c), streams_for(c))), st.data())
def test_a_stream_gives_the_decoders_events_for_any_input_and_chunking(
    codec_and_wire: tuple[framing.Codec, bytes], data: st.DataObject
) -> None:
    codec, wire = codec_and_wire
    try:
        expected = check_stream(codec, wire)
    except AssertionError:  # the decoder itself breaks its contract: the codec tests' business
        reject()
    chunks = data.draw(chunkings(wire))
    assert run(events_over_a_socket(codec, chunks), timeout=5) == expected
