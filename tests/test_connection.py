"""framing.Connection, the sans-I/O state under every adapter, driven without sockets.

A "read" here is what an adapter does with ``recv_into``: copy at most a
chosen number of the next wire bytes into ``recv_buffer()`` and report the
count with ``buffer_updated``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framing
from framing import (
    Connection,
    ConnectionClosed,
    EncodeError,
    FixedLength,
    FrameTooLarge,
    IncompleteFrame,
    InvalidFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    UntilClose,
)


class Peer:
    """The wire bytes a peer sent, handed to a connection one read at a time."""

    def __init__(self, conn: Connection, wire: bytes) -> None:
        self.conn = conn
        self.wire = memoryview(wire)
        self.at = 0

    def read(self, most: int = 1 << 30) -> int:
        """One read of at most ``most`` bytes (0 at the end: EOF)."""
        view = self.conn.recv_buffer()
        size = min(len(view), most, len(self.wire) - self.at)
        view[:size] = self.wire[self.at : self.at + size]
        self.at += size
        self.conn.buffer_updated(size)
        return size

    def next_message(self, most: int = 1 << 30) -> bytes:
        message = self.conn.next_message()
        while message is None:
            self.read(most)
            message = self.conn.next_message()
        return message


def test_a_large_frame_is_received_in_place_as_its_bytes_arrive() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    conn = Connection(LengthPrefixed(), recv_size=1024)
    peer = Peer(conn, LengthPrefixed().encode(payload) + LengthPrefixed().encode(b"next"))
    peer.read(100)
    assert conn.next_message() is None
    view = conn.recv_buffer()  # the frame still lacks more than one read: in place
    assert len(view) > 1024
    assert len(view) <= (256 << 10)  # memory follows the bytes: it starts small and grows
    peer.read(1000)
    assert conn.buffered == 1100
    assert peer.next_message(50_000) == payload
    assert peer.next_message() == b"next"


def test_a_netstring_received_in_place_checks_its_comma() -> None:
    codec = Netstring()
    conn = Connection(codec, recv_size=16)
    peer = Peer(conn, b"100:" + b"x" * 100 + b";")
    with pytest.raises(InvalidFrame):
        peer.next_message()
    conn = Connection(codec, recv_size=16)
    peer = Peer(conn, codec.encode(b"y" * 100) + codec.encode(b"z"))
    assert peer.next_message(7) == b"y" * 100
    assert peer.next_message(7) == b"z"


def test_eof_in_the_middle_of_an_in_place_frame_is_incomplete_with_every_byte() -> None:
    wire = LengthPrefixed().encode(b"q" * 1000)[:700]
    conn = Connection(LengthPrefixed(), recv_size=16)
    peer = Peer(conn, wire)
    with pytest.raises(IncompleteFrame) as caught:
        peer.next_message(64)
    assert caught.value.partial == wire


def test_bytes_handed_over_during_an_in_place_frame_join_it() -> None:
    # An adapter given bytes (asyncio) after one that lent its buffer: the
    # frame's bytes go back to the decoder, nothing is lost.
    codec = LengthPrefixed("!H")
    wire = codec.encode(b"w" * 500)
    conn = Connection(codec, recv_size=16)
    peer = Peer(conn, wire)
    peer.read(10)
    assert conn.next_message() is None
    peer.read(10)  # into the in-place frame
    conn.receive_data(wire[20:])
    assert conn.next_message() == b"w" * 500


@settings(max_examples=150)
@given(
    codec=st.sampled_from([LengthPrefixed(), LengthPrefixed("!B"), Netstring(), FixedLength(300)]),
    sizes=st.lists(st.integers(0, 3000), min_size=1, max_size=8),
    reads=st.lists(st.integers(1, 700), min_size=1, max_size=20),
    recv_size=st.sampled_from([8, 64, 1024]),
)
def test_any_reads_into_any_buffers_give_every_message(
    codec: framing.Codec, sizes: list[int], reads: list[int], recv_size: int
) -> None:
    limit = min(codec.max_length, 3000)
    if isinstance(codec, FixedLength):
        messages = [bytes([i % 256]) * 300 for i in range(len(sizes))]
    else:
        messages = [bytes([i % 256]) * min(size, limit) for i, size in enumerate(sizes)]
    conn = Connection(codec, recv_size=recv_size)
    peer = Peer(conn, b"".join(map(codec.encode, messages)))
    received = []
    for i in range(len(messages)):
        message = conn.next_message()
        while message is None:
            peer.read(reads[(peer.at + i) % len(reads)])
            message = conn.next_message()
        received.append(message)
    assert received == messages
    while peer.read():
        pass
    with pytest.raises(ConnectionClosed):
        conn.next_message()


def test_a_large_exact_read_is_received_in_place_and_frames_follow() -> None:
    codec = Lines()
    blob = b"b" * 5000
    conn = Connection(codec, recv_size=64)
    peer = Peer(conn, b"SIZE 5000\n" + blob + b"after\n")
    assert conn.receive_until(b"\n") is None  # nothing read yet
    while (line := conn.receive_until(b"\n")) is None:
        peer.read(5)
    assert line == b"SIZE 5000"
    data = conn.receive_exactly(5000)
    while data is None:
        view = conn.recv_buffer()
        assert len(view) <= 5000
        peer.read(300)
        data = conn.receive_exactly(5000)
    assert data == blob
    assert peer.next_message() == b"after"


def test_another_call_during_an_in_place_exact_read_keeps_its_bytes() -> None:
    conn = Connection(Lines(), recv_size=8)
    peer = Peer(conn, b"x" * 100 + b"\nrest\n")
    assert conn.receive_exactly(200) is None
    peer.read(30)  # in place
    assert conn.receive_exactly(200) is None
    assert conn.buffered == 30
    # A different request: the 30 bytes go back, and still come first.
    assert conn.receive_exactly(20) == b"x" * 20
    assert conn.receive_exactly(50) is None
    peer.read(30)
    # A message now: the unframed bytes go to the decoder.
    assert peer.next_message() == b"x" * 80
    assert peer.next_message() == b"rest"


def test_a_switch_during_an_in_place_frame_keeps_its_bytes() -> None:
    codec = LengthPrefixed("!H")
    wire = codec.encode(b"v" * 300)
    conn = Connection(codec, recv_size=8)
    peer = Peer(conn, wire)
    peer.read(4)
    assert conn.next_message() is None
    peer.read(50)
    conn.switch(FixedLength(len(wire)))
    assert peer.next_message() == wire


def test_a_held_message_comes_before_an_unframed_read() -> None:
    codec = LengthPrefixed("!H")
    conn = Connection(codec)
    conn.receive_data(codec.encode(b"held") + b"tail")
    assert conn.has_message()
    assert conn.has_message()  # still the same one
    assert conn.buffered == 2 + 4 + 4  # its wire bytes still count
    with pytest.raises(RuntimeError, match="next_message"):
        conn.receive_exactly(4)
    assert conn.next_message() == b"held"
    assert conn.receive_exactly(4) == b"tail"


def test_a_held_message_keeps_its_exact_wire_size_whatever_ended_it() -> None:
    for codec, wire in [
        (Lines(), b"a\r\nb\nREST"),
        (Lines(universal_newlines=True), b"a\nb\r\nREST"),
        (framing.Delimited([b"\r\n", b"\n"]), b"a\nb\r\nREST"),
    ]:
        conn = Connection(codec)
        conn.receive_data(wire)
        assert conn.has_message()
        assert conn.buffered == len(wire)
        conn.switch(FixedLength(1))  # the held line stays first; the rest, byte for byte
        assert conn.next_message() == b"a"
        rest = []
        while conn.buffered:
            message = conn.next_message()
            assert message is not None
            rest.append(message)
        assert b"".join(rest) == wire[wire.index(b"b") :]


def test_a_held_message_survives_an_uniterated_messages_call() -> None:
    conn = Connection(Lines())
    conn.receive_data(b"one\ntwo\n")
    assert conn.has_message()
    conn.messages()  # never iterated
    assert list(conn.messages()) == [b"one", b"two"]
    conn.receive_eof()
    assert not conn.has_message()
    assert list(conn.messages()) == []


def test_a_switch_leaves_a_held_message_first() -> None:
    conn = Connection(Lines())
    conn.receive_data(b"line\nnext!")
    assert conn.has_message()
    conn.switch(FixedLength(5))
    assert conn.next_message() == b"line"  # decoded before the switch
    assert conn.next_message() == b"next!"


def test_unframed_reads_refuse_nonsense() -> None:
    conn = Connection(Lines())
    with pytest.raises(ValueError, match="cannot receive"):
        conn.receive_exactly(-1)
    with pytest.raises(ValueError, match="delimiter"):
        conn.receive_until(b"")
    with pytest.raises(ValueError, match="recv_size"):
        Connection(Lines(), recv_size=0)


def test_receive_until_another_delimiter_searches_afresh() -> None:
    conn = Connection(Lines())
    conn.receive_data(b"a;b\r\nc")
    assert conn.receive_until(b"\n\n") is None
    assert conn.receive_until(b";") == b"a"
    assert conn.receive_until(b"\r\n") == b"b"
    with pytest.raises(FrameTooLarge):
        conn.receive_until(b"!", max_length=0)
    conn.receive_eof()
    with pytest.raises(IncompleteFrame):
        conn.receive_until(b"!")
    assert conn.receive_exactly(1) == b"c"
    with pytest.raises(ConnectionClosed):
        conn.receive_exactly(1)
    conn.receive_eof()  # a second EOF changes nothing
    with pytest.raises(ConnectionClosed):
        conn.next_message()


def test_the_write_side_rules() -> None:
    conn = Connection(UntilClose())
    with pytest.raises(EncodeError, match="one message per stream"):
        conn.frames([b"a", b"b"])
    assert conn.frames([]) == []
    assert not conn.write_closed
    parts = conn.frame(b"only", {})
    assert b"".join(parts) == b"only"
    assert conn.write_closed
    assert conn.needs_shutdown
    assert conn.wants_write
    with pytest.raises(BrokenPipeError, match="one message per stream"):
        conn.frame(b"again", {})
    conn.write_shut()
    assert not conn.needs_shutdown
    assert not conn.wants_write

    lines = Connection(Lines(), high_water=10)
    lines.shutdown_write()
    with pytest.raises(BrokenPipeError, match="shut down"):
        lines.frames([b"late"])


def test_the_queue_copies_what_the_caller_may_change_and_survives_a_failed_send() -> None:
    conn = Connection(LengthPrefixed(), high_water=1000)
    payload = bytearray(b"A" * 2000)
    conn.queue(conn.frames([payload]), copy=True)
    payload[:] = b"B" * 2000
    assert conn.queued == 2004
    assert conn.over_high_water
    sent: list[bytes] = []

    def send_some(vector: list[bytes | memoryview]) -> int:
        sent.append(bytes(vector[0]))
        del vector[0]
        raise TimeoutError

    with pytest.raises(TimeoutError):
        conn.flush(send_some)
    assert conn.queued == 2000
    assert not conn.needs_shutdown

    def send_all(vector: list[bytes | memoryview]) -> int:
        size = sum(map(len, vector))
        sent.append(b"".join(vector))
        vector.clear()
        return size

    assert conn.flush(send_all)
    assert b"".join(sent) == LengthPrefixed().encode(b"A" * 2000)
    assert conn.queued == 0
    assert conn.flush(send_all)  # nothing queued: nothing to do


def test_an_unsent_view_of_a_callers_buffer_is_copied_when_a_send_fails() -> None:
    conn = Connection(LengthPrefixed())
    payload = bytearray(b"C" * 4096)
    conn.queue(conn.frames([payload]))  # no copy: a blocking send finishes before returning

    def fail(vector: list[bytes | memoryview]) -> int:
        raise InterruptedError

    with pytest.raises(InterruptedError):
        conn.flush(fail)
    payload[:] = b"D" * 4096
    rest: list[bytes] = []

    def send_all(vector: list[bytes | memoryview]) -> int:
        rest.append(b"".join(vector))
        vector.clear()
        return len(rest[-1])

    conn.flush(send_all)
    assert rest == [LengthPrefixed().encode(b"C" * 4096)]


def test_the_repr_says_what_it_holds() -> None:
    conn = Connection(Lines())
    conn.receive_data(b"abc")
    assert "buffered=3" in repr(conn)
    conn.receive_eof()
    assert "eof" in repr(conn)
    assert conn.codec == Lines()


def test_messages_after_a_held_one_end_at_eof() -> None:
    conn = Connection(Lines())
    conn.receive_data(b"last\n")
    assert conn.has_message()
    conn.receive_eof()
    assert conn.eof
    assert list(conn.messages()) == [b"last"]
    assert conn.recv_buffer() is conn.recv_buffer()  # after EOF: nothing goes in place


def test_bytes_read_after_an_in_place_frame_completed_come_after_it() -> None:
    codec = LengthPrefixed("!H")
    wire = codec.encode(b"p" * 200) + codec.encode(b"q")
    conn = Connection(codec, recv_size=16)
    peer = Peer(conn, wire)
    peer.read(4)
    assert conn.next_message() is None
    peer.read(198)  # the frame is complete, not yet handed out
    peer.read()  # the next frame's bytes, read before anyone asked for a message
    assert peer.next_message() == b"p" * 200
    assert peer.next_message() == b"q"


def test_unframed_reads_and_switches_hand_over_every_byte() -> None:
    conn = Connection(Lines(), recv_size=8)
    peer = Peer(conn, b"z" * 50 + b"!" + b"ab\n")
    assert conn.receive_exactly(100) is None
    peer.read(20)  # in place
    assert conn.receive_until(b"!") is None  # gives the 20 bytes back
    while (head := conn.receive_until(b"!")) is None:
        peer.read(9)
    assert head == b"z" * 50
    assert conn.receive_until(b"?") is None  # a search for another delimiter
    conn.switch(FixedLength(2))  # in raw mode: its bytes go to the new decoder
    assert peer.next_message() == b"ab"
    while peer.read():  # the rest, b"\n", and EOF
        pass
    conn.switch(FixedLength(2))  # EOF carries over
    with pytest.raises(IncompleteFrame):
        conn.next_message()
    empty = Connection(Lines())
    assert empty.receive_until(b";") is None
    assert empty.receive_until(b",") is None  # a fresh search over nothing


def test_until_close_frames_its_one_message_through_frames() -> None:
    conn = Connection(UntilClose())
    assert conn.frames([b"whole"]) == [b"whole"]
    assert conn.write_closed


@pytest.mark.parametrize(
    ("codec", "worst"),
    [
        (FixedLength(7), b"f" * 7),
        (framing.Delimited(b"\r\n", max_length=300), b"d" * 300),
        (Lines(max_length=300, strict_crlf=True), b"l" * 300),
        (LengthPrefixed("!H", max_length=300), b"p" * 300),
        (LengthPrefixed("!I", max_length=300, includes_header=True), b"p" * 300),
        (Netstring(max_length=300), b"n" * 300),
        (framing.COBS(max_length=300), b"c" * 300),
        (framing.SLIP(max_length=300), b"\xc0" * 300),
        (UntilClose(max_length=300), b"u" * 300),
    ],
    ids=repr,
)
def test_largest_frame_is_the_longest_wire_frame(codec: framing.Codec, worst: bytes) -> None:
    assert len(codec.encode(worst)) == codec.largest_frame


def test_a_varints_largest_frame_allows_its_longest_accepted_form() -> None:
    codec = LengthPrefixed("varint", max_length=300)
    overlong = b"\x85\x80\x80\x80\x80\x80\x80\x80\x80\x00" + b"v" * 5  # 5, in 10 bytes
    assert codec.decode(overlong) == [b"v" * 5]
    assert codec.largest_frame == 10 + 300


def test_codecs_state_their_capabilities() -> None:
    assert UntilClose().ends_at_close
    assert not Lines().ends_at_close
    assert Lines().payload_trailer is None
    assert Netstring().payload_trailer == b","
    assert FixedLength(3).payload_trailer == b""
    assert LengthPrefixed().payload_trailer == b""
    from construct import Int8ub, Int16ub, Struct

    fields = LengthPrefixed(Struct("type" / Int8ub, "length" / Int16ub))
    assert fields.payload_trailer is None  # its frames carry fields: read through the decoder

    class Plain(framing.Codec):
        def decoder(self) -> framing.Decoder:
            raise NotImplementedError

    assert Plain().largest_frame is None
    assert Plain().payload_trailer is None
    assert not Plain().ends_at_close


def test_small_messages_are_framed_into_one_buffer_large_ones_stay_uncopied() -> None:
    codec = LengthPrefixed("!I")
    conn = Connection(codec)
    assert conn.frames([b"a", b"", b"b"]) == [b"\0\0\0\x01a\0\0\0\0\0\0\0\x01b"]
    assert conn.frames([]) == []  # nothing queued: an empty buffer would never go out
    assert not conn.wants_write
    big = bytes(70_000)
    vector = conn.frames([b"x", big])  # over the join limit: the payload is not copied
    assert b"".join(vector) == codec.encode(b"x") + codec.encode(big)
    assert any(isinstance(part, memoryview) or part is big for part in vector)
    mutable = bytearray(b"m" * 10)
    assert b"".join(conn.frames([mutable])) == codec.encode(bytes(mutable))
    with pytest.raises(EncodeError):
        Connection(LengthPrefixed("B")).frames([b"ok", b"z" * 300])  # nothing framed


def test_an_empty_part_in_a_send_vector_is_skipped_not_sent_for_ever() -> None:
    import socket

    from framing.adapters.sockio import send_vector

    a, b = socket.socketpair()
    with a, b:
        vector: list[bytes | memoryview] = [b"", b"ab", b"", b"c", b""]
        assert send_vector(a, vector, block=False) == 3
        assert vector == []
        assert b.recv(10) == b"abc"


def test_bytes_after_a_finished_in_place_frame_survive_eof_and_switch() -> None:
    # Handed over with the large frame's last bytes (asyncio's data_received),
    # then EOF or a switch before the frame is taken: nothing after it is lost.
    codec = LengthPrefixed("!I")
    big, small = b"a" * 300_000, b"tail"
    wire = codec.encode(big) + codec.encode(small)
    for finish in ("eof", "switch"):
        conn = Connection(codec)
        conn.receive_data(wire[:1000])
        assert conn.next_message() is None  # the large frame has begun
        for start in range(1000, len(wire), 65536):
            conn.receive_data(wire[start : start + 65536])
        assert conn.buffered == len(wire)
        if finish == "eof":
            conn.receive_eof()
        else:
            conn.switch(LengthPrefixed("!I"))
        assert conn.buffered == len(wire)
        assert conn.next_message() == big
        assert conn.next_message() == small


def test_buffered_counts_the_trailer_of_a_frame_received_in_place() -> None:
    codec = Netstring(max_length=300_000)
    wire = codec.encode(b"n" * 200_000)
    conn = Connection(codec)
    done = 0
    while done < len(wire):  # as FramedSocket reads: into recv_buffer(), in place
        space = conn.recv_buffer()
        size = min(len(space), len(wire) - done, 1000 if done == 0 else len(space))
        space[:size] = wire[done : done + size]
        conn.buffer_updated(size)
        done += size
        if done == 1000:
            assert conn.next_message() is None  # a large frame has begun
    assert conn.buffered == len(wire)  # the comma too
    assert conn.next_message() == b"n" * 200_000
    assert conn.buffered == 0
