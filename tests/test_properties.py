"""Properties every codec must have, for several configurations of each.

For each configuration one hypothesis test checks, on every example:

- valid messages, cut into chunks any way (empty and one-byte chunks too),
  decode to exactly those messages and leave nothing buffered;
- arbitrary input gives the same messages and errors whatever the chunking,
  and only messages or ``FramingError``s: ``decode_chunks`` catches nothing
  else, so any other exception fails the test (h11's fuzzing invariant);
- fed any way, the decoder never holds more than its largest frame plus one
  chunk.

(One test rather than three: hypothesis' cost is per example, and the suite
runs these for some forty configurations.)
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import (
    CONFIGS,
    Config,
    chunked,
    decode_chunks,
    drain,
    encode_all,
    summary,
    wire_bound,
)


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
@given(data=st.data())
def test_decoding_does_not_depend_on_chunking(config: Config, data: st.DataObject) -> None:
    valid_messages_survive_any_chunking(config, data)
    any_input_decodes_the_same_whatever_the_chunking(config, data)


def valid_messages_survive_any_chunking(config: Config, data: st.DataObject) -> None:
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
    for message in messages[:1]:
        assert b"".join(codec.encode_parts(message)) == codec.encode(message)


def any_input_decodes_the_same_whatever_the_chunking(config: Config, data: st.DataObject) -> None:
    wire = data.draw(config.garbage(), label="garbage")
    chunks = data.draw(chunked(wire), label="garbage chunks")
    whole = decode_chunks(config.codec, [wire])
    bound = wire_bound(config.codec)
    assert summary(decode_chunks(config.codec, chunks, bound=bound)) == summary(whole)
