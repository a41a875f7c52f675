"""Properties every codec must have, for several configurations of each.

- Valid messages, cut into chunks any way (empty and one-byte chunks too),
  decode to exactly those messages and leave nothing buffered.
- Any input gives the same messages and errors whatever the chunking, and
  only messages or ``FramingError``s: ``decode_chunks`` catches nothing else,
  so any other exception fails the test (h11's fuzzing invariant).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import CONFIGS, Config, chunked, decode_chunks, drain, encode_all, summary

pytestmark = pytest.mark.parametrize("config", CONFIGS, ids=repr)


@given(data=st.data())
def test_valid_messages_survive_any_chunking(config: Config, data: st.DataObject) -> None:
    codec = config.codec
    messages = data.draw(config.message_lists(), label="messages")
    wire = encode_all(codec, messages)
    decoder, events = codec.decoder(), []
    use_iter = data.draw(st.booleans(), label="use_iter")
    for chunk in data.draw(chunked(wire), label="chunks"):
        decoder.feed(chunk)
        drain(decoder, events, use_iter=use_iter)
    assert decoder.buffered == (len(wire) if config.one_message else 0)
    decoder.feed_eof()
    drain(decoder, events, use_iter=use_iter)
    assert events == messages
    assert codec.decode(wire) == messages


@given(data=st.data())
def test_encode_parts_join_to_encode(config: Config, data: st.DataObject) -> None:
    message = data.draw(config.message, label="message")
    assert b"".join(config.codec.encode_parts(message)) == config.codec.encode(message)


@given(data=st.data())
def test_any_input_decodes_the_same_whatever_the_chunking(
    config: Config, data: st.DataObject
) -> None:
    wire = data.draw(config.garbage(), label="wire")
    chunks = data.draw(chunked(wire), label="chunks")
    whole = decode_chunks(config.codec, [wire])
    assert summary(decode_chunks(config.codec, chunks)) == summary(whole)
