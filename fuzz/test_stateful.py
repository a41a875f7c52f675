"""Stateful fuzzing: random interleavings of sends, partial reads, EOF and codec switches.

Two hypothesis state machines, each checking after every step that the
receiver got exactly a prefix of what was sent, in order, and nothing else:

- ``CodecPair``: an encoder and a decoder. Rules send messages, feed any
  prefix of the bytes in flight (empty feeds too), read a few messages (with
  ``next_frame()``, or a ``for`` loop left after one message), switch
  to another codec mid-stream (the receiver detaches the old decoder once it
  has every message of the old codec and feeds the bytes to the new one), and
  end the stream.
- ``SocketPair``: two ``FramedSocket``s over ``socket.socketpair()``, with a
  small random receive size so every ``recv`` is a partial read. Rules send,
  ``send_many``, receive, ``switch`` both ends, and half-close.

Run under pytest (``pytest fuzz/test_stateful.py``, the loaded hypothesis
profile applies), or for a time budget with fresh seeds:
``python fuzz/test_stateful.py --seconds=3600``.
"""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import framing
from framing.testing import messages_for

CODECS = [
    framing.FixedLength(3),
    framing.Delimited(b"\r\n", max_length=40),
    framing.Delimited(b"aba", max_length=40),
    framing.Lines(max_length=40),
    framing.Lines(strict_crlf=True, max_length=40),
    framing.LengthPrefixed("!I", max_length=100),
    framing.LengthPrefixed("varint", max_length=300, includes_header=True),
    framing.LengthPrefixed("B"),
    framing.Netstring(max_length=100),
    framing.COBS(max_length=300),
    framing.SLIP(max_length=40),
    framing.SLIP(max_length=40, leading_end=False),
]
LAST_ONLY = [framing.UntilClose(max_length=200)]  # ends the stream: only as the last codec


@dataclass
class Segment:
    """Messages sent with one codec, in order."""

    codec: Any
    messages: list[bytes] = field(default_factory=list)


class CodecPair(RuleBasedStateMachine):
    """An encoder and a decoder with bytes in flight between them."""

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[Segment] = []
        self.in_flight = bytearray()  # encoded, not yet fed
        self.current = 0  # the segment the decoder decodes
        self.received: list[bytes] = []  # of the current segment
        self.decoder: Any = None
        self.ended = False

    @initialize(codec=st.sampled_from(CODECS + LAST_ONLY))
    def start(self, codec: Any) -> None:
        self.segments.append(Segment(codec))
        self.decoder = codec.decoder()

    @property
    def sending(self) -> Segment:
        return self.segments[-1]

    def _can_send(self) -> bool:
        single = isinstance(self.sending.codec, framing.UntilClose)
        return not self.ended and not (single and self.sending.messages)

    @precondition(lambda self: self._can_send())
    @rule(data=st.data())
    def send(self, data: st.DataObject) -> None:
        message = data.draw(messages_for(self.sending.codec), label="message")
        self.sending.messages.append(message)
        self.in_flight += self.sending.codec.encode(message)

    @precondition(lambda self: not self.ended)
    @rule(data=st.data())
    def feed(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(0, len(self.in_flight)), label="feed size")
        chunk = bytes(self.in_flight[:size])
        del self.in_flight[:size]
        self.decoder.feed(chunk)

    @precondition(lambda self: not self.ended)
    @rule(count=st.integers(1, 4), loop=st.booleans())
    def read(self, count: int, loop: bool) -> None:
        for _ in range(count):
            if not self._read_one(loop):
                break

    def _read_one(self, loop: bool = False) -> bool:
        """Read one message if the current segment expects one; whether one came.

        ``loop``: with a ``for`` loop left after one message (the decoder may
        have decoded a whole batch), else with ``next_frame()``.
        """
        self._move_on()
        segment = self.segments[self.current]
        if len(self.received) == len(segment.messages):
            return False
        message = next(iter(self.decoder), None) if loop else self.decoder.next_frame()
        if message is None:
            return False
        self.received.append(message)
        return True

    def _move_on(self) -> None:
        """Switch decoders once every message of the current segment has arrived."""
        while self.current + 1 < len(self.segments) and len(self.received) == len(
            self.segments[self.current].messages
        ):
            left = self.decoder.detach()
            self.current += 1
            self.received = []
            self.decoder = self.segments[self.current].codec.decoder()
            self.decoder.feed(left)

    @precondition(lambda self: not self.ended and self._can_send())
    @rule(codec=st.sampled_from(CODECS + LAST_ONLY))
    def switch(self, codec: Any) -> None:
        self.segments.append(Segment(codec))

    @precondition(lambda self: not self.ended)
    @rule()
    def end(self) -> None:
        self.ended = True
        if isinstance(self.sending.codec, framing.UntilClose) and not self.sending.messages:
            self.sending.messages.append(b"")  # an empty stream is one empty message
        self.decoder.feed(bytes(self.in_flight))
        self.in_flight.clear()
        while True:
            self._move_on()
            if self.current == len(self.segments) - 1:
                break
            assert self._read_one(), "a message of an earlier codec is missing"
        self.decoder.feed_eof()
        while self._read_one():
            pass
        last = self.segments[-1]
        assert self.received == last.messages
        assert self.decoder.next_frame() is None, "a message after the last one sent"
        assert self.decoder.buffered == 0

    @precondition(lambda self: self.ended)
    @rule()
    def read_after_the_end(self) -> None:
        assert self.decoder.next_frame() is None, "a message after the end of the stream"

    @invariant()
    def received_what_was_sent_in_order(self) -> None:
        if self.decoder is None:
            return
        sent = self.segments[self.current].messages
        assert self.received == sent[: len(self.received)]


TIMEOUT = 5.0  # seconds; no step of the socket machine should ever block this long
MAX_IN_FLIGHT = 32768  # below the socketpair buffer, so a send never blocks


class SocketPair(RuleBasedStateMachine):
    """A FramedSocket sending to another over socketpair(), switching codecs as it goes."""

    def __init__(self) -> None:
        super().__init__()
        self.sockets: list[socket.socket] = []
        self.segments: list[Segment] = []
        self.in_flight = 0  # wire bytes sent and not yet received (approximately)
        self.current = 0
        self.received: list[bytes] = []
        self.closed = False
        self.sender: Any = None
        self.receiver: Any = None

    @initialize(codec=st.sampled_from(CODECS + LAST_ONLY), recv_size=st.integers(1, 64))
    def start(self, codec: Any, recv_size: int) -> None:
        a, b = socket.socketpair()
        for sock in (a, b):
            sock.settimeout(TIMEOUT)
        self.sockets = [a, b]
        self.sender = framing.FramedSocket(a, codec)
        self.receiver = framing.FramedSocket(b, codec, recv_size=recv_size)
        self.segments.append(Segment(codec))

    def teardown(self) -> None:
        for sock in self.sockets:
            sock.close()

    def _can_send(self) -> bool:
        single = isinstance(self.segments[-1].codec, framing.UntilClose)
        return (
            not self.closed
            and self.in_flight < MAX_IN_FLIGHT
            and not (single and self.segments[-1].messages)
        )

    @precondition(lambda self: self._can_send())
    @rule(data=st.data())
    def send(self, data: st.DataObject) -> None:
        segment = self.segments[-1]
        message = data.draw(messages_for(segment.codec), label="message")
        self.sender.send(message)
        segment.messages.append(message)
        self.in_flight += len(segment.codec.encode(message))
        if isinstance(segment.codec, framing.UntilClose):
            self.closed = True  # send() half-closed the stream

    @precondition(
        lambda self: (
            self._can_send() and not isinstance(self.segments[-1].codec, framing.UntilClose)
        )
    )
    @rule(data=st.data())
    def send_many(self, data: st.DataObject) -> None:
        segment = self.segments[-1]
        messages = data.draw(st.lists(messages_for(segment.codec), max_size=5), label="messages")
        self.sender.send_many(messages)
        segment.messages.extend(messages)
        self.in_flight += sum(len(segment.codec.encode(m)) for m in messages)

    def _expected_next(self) -> bool:
        """Move the receiver to the next codec when due; whether a message is expected."""
        while self.current + 1 < len(self.segments) and len(self.received) == len(
            self.segments[self.current].messages
        ):
            self.current += 1
            self.received = []
            self.receiver.switch(self.segments[self.current].codec)
        return len(self.received) < len(self.segments[self.current].messages)

    @rule(count=st.integers(1, 3))
    def recv(self, count: int) -> None:
        for _ in range(count):
            if not self._expected_next():
                return
            message = self.receiver.recv()
            self.received.append(message)
            self.in_flight -= len(self.segments[self.current].codec.encode(message))

    @precondition(lambda self: self._can_send())
    @rule(codec=st.sampled_from(CODECS + LAST_ONLY))
    def switch(self, codec: Any) -> None:
        self.sender.switch(codec)
        self.segments.append(Segment(codec))

    @precondition(lambda self: not self.closed)
    @rule()
    def shutdown(self) -> None:
        self.sender.shutdown_write()
        self.closed = True
        if isinstance(self.segments[-1].codec, framing.UntilClose):
            self.segments[-1].messages.append(b"")  # an empty stream is one empty message

    @precondition(lambda self: self.closed)
    @rule()
    def receive_to_the_end(self) -> None:
        while self._expected_next():
            self.received.append(self.receiver.recv())
        if isinstance(self.segments[-1].codec, framing.UntilClose):
            return  # its one message is the end of the stream
        try:
            extra = self.receiver.recv()
        except framing.ConnectionClosed:
            return
        raise AssertionError(f"received {extra!r} after the last message sent")

    @invariant()
    def received_what_was_sent_in_order(self) -> None:
        if self.segments:
            sent = self.segments[self.current].messages
            assert self.received == sent[: len(self.received)]


TestCodecPair = CodecPair.TestCase
TestCodecPair.settings = settings(stateful_step_count=40, deadline=None)
TestSocketPair = SocketPair.TestCase
TestSocketPair.settings = settings(stateful_step_count=30, deadline=None)


def run_for(seconds: float) -> None:
    """Run both machines again and again with fresh seeds for ``seconds``."""
    start = time.monotonic()
    rounds = examples = 0
    while time.monotonic() - start < seconds:
        for machine, steps in ((CodecPair, 40), (SocketPair, 30)):
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=100, stateful_step_count=steps, deadline=None, database=None
                ),
            )
            examples += 100
        rounds += 1
    elapsed = time.monotonic() - start
    print(f"stateful: {rounds} rounds, {examples} examples in {elapsed:.0f} s")
    print(f"stat::number_of_executed_units: {examples}")


if __name__ == "__main__":
    budget = 60.0
    for arg in sys.argv[1:]:
        if arg.startswith("--seconds="):
            budget = float(arg.split("=", 1)[1])
    run_for(budget)
