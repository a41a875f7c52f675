"""Regression tests for what check_codec and the fuzzers found in the codecs.

Each finding is pinned by a deterministic test (marked ``xfail(strict=True)``
while the codec module, owned by the codec core, is not fixed yet).

Finding 1 (check_codec over COBS(max_length=20), then every COBS fuzz run):
a COBS decoder that reached EOF while skipping a too-large frame raised a
stale ``FrameTooLarge`` on every second later call: ``DelimitedDecoder._at_eof``
cleared ``_skipping`` without ``_reset()``, leaving ``COBSDecoder``'s code-byte
walk behind. Fixed in e6234e9.
"""

from __future__ import annotations

from typing import Any

import pytest

from framing import COBS, SLIP, Delimited, FrameTooLarge, Lines, Netstring
from framing.testing import check_stream


def _calls(decoder: Any, count: int) -> list[object]:
    """``count`` calls of next_frame(): each a message, None, or the error's type."""
    out: list[object] = []
    for _ in range(count):
        try:
            out.append(decoder.next_frame())
        except FrameTooLarge as error:
            out.append(type(error))
    return out


@pytest.mark.parametrize(
    "codec",
    [
        COBS(max_length=2),
        SLIP(max_length=2),
        Delimited(max_length=2),
        Lines(max_length=2),
    ],
    ids=repr,
)
def test_a_too_large_frame_cut_by_eof_is_reported_once_then_the_stream_ends(codec: Any) -> None:
    # Finding 1, from check_codec(COBS(max_length=20)): the stream b"\x01" * 22.
    decoder = codec.decoder()
    decoder.feed(b"\x01\x01\x01\x01")
    decoder.feed_eof()
    assert _calls(decoder, 5) == [FrameTooLarge, None, None, None, None]
    assert decoder.buffered == 0


@pytest.mark.parametrize(
    ("max_length", "wire"),
    [(12, b"99x"), (12, b"99\xb9999999999999999999:")],
    ids=["minimal", "as found"],
)
def test_too_large_netstring_digits_are_the_same_error_however_they_arrive(
    max_length: int, wire: bytes
) -> None:
    # Finding 2, from the fuzz target "any": the digits "99" are already above 12.
    codec = Netstring(max_length=max_length)
    assert check_stream(codec, wire) == [("FrameTooLarge", None)]
