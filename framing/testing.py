"""A conformance suite for codecs, ours or yours, built on hypothesis.

``check_codec(codec)`` runs property-based checks that every codec must pass
(as ``trio.testing.check_two_way_stream`` does for streams)::

    from framing.testing import check_codec

    def test_my_codec_conforms():
        check_codec(MyCodec())

The strategies it is built from are public too, for your own properties:

- ``chunkings(data)``: every way of cutting ``data`` into ``recv()`` chunks,
  biased to the nasty ones (one byte at a time, empty chunks, cuts just
  inside headers and delimiters);
- ``messages_for(codec)``: messages the codec can frame;
- ``streams_for(codec)``: wire streams, valid or mutated.

hypothesis is imported lazily: ``import framing.testing`` works without it,
and only calling these functions needs it (``pip install "framing-codecs[test]"``).
The checks use the loaded hypothesis settings profile, so ``CI=1`` profiles
apply; ``max_examples=`` overrides it per call.

What ``check_codec`` checks (each an ``AssertionError`` with a falsifying
example when broken):

1. round trip: messages encoded back to back decode to exactly those
   messages, whatever the chunking, leaving nothing buffered;
2. same result whatever the chunking: any stream (valid, mutated, random)
   gives the same messages and the same error types (and the same
   ``IncompleteFrame.partial``) fed whole, one byte at a time or cut anyhow;
3. only ``FramingError``: ``feed`` never raises, decoding raises nothing but
   ``FramingError`` subclasses, and a decoder either makes progress after an
   error or stays failed (raising the same error type again, buffering
   nothing more);
4. nothing lost: the messages in front of a bad frame are all delivered; a
   stream cut inside a frame ends with ``IncompleteFrame`` whose ``partial``
   is exactly what ``detach()`` would have returned (the unfinished frame's
   wire bytes), and ``buffered == len(detach())``;
5. bounded memory: ``buffered`` never exceeds ``max_buffered`` plus the
   largest chunk fed (see ``max_buffered_for``);
6. ``detach`` hand-off: a valid stream split anywhere, the first decoder
   detached and the rest fed to a fresh decoder, gives the same messages;
7. limits enforced: valid messages, then a frame of a payload over
   ``max_length`` (made by a copy of the codec with a larger limit), give
   those messages and then ``FrameTooLarge``, however the stream is cut.
   Checked for codecs whose ``max_length`` is at most 4096 (a larger limit
   would make each example slow), except ``UntilClose``-like ones and codecs
   whose copy, given a larger limit, still cannot frame a longer message
   (``FixedLength``, say): for those this check is skipped.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .codecs.delimited import Delimited
from .codecs.fixed import FixedLength
from .codecs.length_prefixed import LengthPrefixed
from .codecs.lines import Lines
from .codecs.slip import SLIP
from .core.codec import Codec
from .errors import EncodeError, FramingError, IncompleteFrame

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn, SearchStrategy

__all__ = [
    "CodecLike",
    "DecoderLike",
    "check_codec",
    "check_stream",
    "chunkings",
    "max_buffered_for",
    "messages_for",
    "pure_python",
    "streams_for",
]


class DecoderLike(Protocol):
    """What the checks need from a decoder (``framing.Decoder`` has it all)."""

    def feed(self, data: bytes) -> None:
        """Buffer one chunk."""

    def feed_eof(self) -> None:
        """The stream ended."""

    def next_frame(self) -> bytes | None:
        """A message, None for "need more", or a FramingError."""

    def __iter__(self) -> Iterator[bytes]:
        """Every message available now."""

    @property
    def buffered(self) -> int:
        """Wire bytes held that are not yet part of a message."""

    def detach(self) -> bytes:
        """Hand over the buffered bytes and empty the decoder."""


class CodecLike(Protocol):
    """What the checks need from a codec (``framing.Codec`` has it all)."""

    def encode(self, message: bytes) -> bytes:
        """The wire form of one message; ``EncodeError`` if it cannot be framed."""

    def decoder(self) -> DecoderLike:
        """A fresh decoder."""


class _PurePython:
    """A codec whose decoders use the pure-Python core (see ``pure_python``)."""

    def __init__(self, codec: Any) -> None:
        self._codec = codec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codec, name)  # encode, max_length, largest_frame, ...

    def __repr__(self) -> str:
        return f"pure_python({self._codec!r})"

    def decoder(self) -> DecoderLike:
        from .core.compiled import disabled

        with disabled():
            decoder: DecoderLike = self._codec.decoder()
        return decoder


def pure_python(codec: CodecLike) -> CodecLike:
    """``codec`` with its decoders on the pure-Python core, the reference for the compiled one.

    ``check_codec(codec, reference=pure_python(codec))`` checks that the
    compiled core (when ``framing.__compiled__``) decodes every stream as
    the pure-Python code does.
    """
    return _PurePython(codec)


# Bytes that mean something to one style or another: delimiters, escapes, COBS
# codes, netstring digits and punctuation, header extremes.
_SPECIAL = b"\x00\x01\x02\x7f\x80\xff\xc0\xdb\xdc\xdd\r\n:,0159"
# Small streams are enough to reach every branch, large ones are slow to shrink.
_MESSAGE_SIZE = 300
_MAX_MESSAGES = 6
_MODES = ("next_frame", "iterate", "mixed")
_STRETCH = 1024  # the longest run a mutation inserts (more than twice max_length, or this)
_OVERSIZE_LIMIT = 4096  # frames over max_length are made for codecs whose limit is this or less
_OVERSIZE_FILLER = b"x"  # a payload byte that no style escapes or ends a frame with


# --------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------


def chunkings(data: bytes, hints: Sequence[int] = ()) -> SearchStrategy[list[bytes]]:
    """Lists of chunks that join to ``data``: whole, one byte at a time, or cut anyhow.

    Cuts cluster around the start (splitting the first header) and around
    ``hints`` (frame boundaries: splitting delimiters and the next header);
    repeated cuts give empty chunks.

    >>> from hypothesis import find
    >>> find(chunkings(b"abc"), lambda chunks: len(chunks) == 3 and b"" not in chunks)
    [b'a', b'b', b'c']
    """
    from hypothesis import strategies as st

    data = bytes(data)
    size = len(data)
    near = [0, size, *hints]

    near_cut = st.sampled_from(near).flatmap(
        lambda anchor: st.integers(max(0, anchor - 4), min(size, anchor + 4))
    )
    cut = st.one_of(st.integers(0, size), near_cut)

    def split(points: list[int]) -> list[bytes]:
        bounds = [0, *sorted(points), size]
        return [data[a:b] for a, b in itertools.pairwise(bounds)]

    whole = st.just([data])
    bytewise = st.just([data[i : i + 1] for i in range(size)])
    return st.one_of(whole, bytewise, st.lists(cut, max_size=16).map(split))


def messages_for(
    codec: CodecLike, strategy: SearchStrategy[bytes] | None = None
) -> SearchStrategy[bytes]:
    """Messages ``codec`` can frame: ``strategy`` when given, else derived from the codec.

    For ``framing``'s own codecs the messages follow the style's rules: no
    delimiter for ``Delimited``, exactly ``size`` bytes for ``FixedLength``,
    non-empty for ``SLIP``, no ``b"\\n"`` and no trailing ``b"\\r"`` for
    ``Lines``, at most ``max_length`` bytes (and at most 300, to keep
    examples fast). For any other codec, byte strings that ``encode`` accepts
    (a codec with rarer valid messages should pass ``strategy``). A
    ``LengthPrefixed`` codec with a ``Struct`` header needs ``strategy``
    (its messages carry header fields).
    """
    if strategy is not None:
        return strategy
    from hypothesis import strategies as st

    if isinstance(codec, LengthPrefixed) and codec._layout.has_fields:
        raise TypeError(
            f"{codec!r} frames carry header fields: pass a strategy of framing.Frame messages"
        )
    max_length = getattr(codec, "max_length", _MESSAGE_SIZE)
    limit = min(max_length, _MESSAGE_SIZE)
    if isinstance(codec, FixedLength):
        return st.binary(min_size=codec.size, max_size=codec.size)
    alphabet = _SPECIAL
    if isinstance(codec, Delimited):
        alphabet += codec.delimiter
    piece = st.one_of(st.sampled_from([bytes([b]) for b in alphabet]), st.binary(max_size=16))
    short = st.lists(piece, max_size=8).map(lambda pieces: b"".join(pieces)[:limit])
    # Now and then a long one: exactly max_length when that is small enough.
    exact = limit == max_length
    long = st.binary(min_size=limit if exact else 0, max_size=limit)
    raw = st.one_of(short, short, short, long)
    fix: Callable[[bytes], bytes] = _FIXERS.get(type(codec), _unchanged)(codec)
    return raw.map(fix).filter(lambda m: _encodes(codec, m))


def _unchanged(codec: Any) -> Callable[[bytes], bytes]:
    return lambda message: message


def _delimited_fixer(codec: Any) -> Callable[[bytes], bytes]:
    delimiter: bytes = codec.delimiter

    def fix(message: bytes) -> bytes:
        while delimiter in message:
            message = message.replace(delimiter, b"")
        return message

    return fix


def _lines_fixer(codec: Any) -> Callable[[bytes], bytes]:
    return lambda message: message.replace(b"\n", b"").rstrip(b"\r")


def _slip_fixer(codec: Any) -> Callable[[bytes], bytes]:
    return lambda message: message or b"\xc0"


_FIXERS: dict[type, Callable[[Any], Callable[[bytes], bytes]]] = {
    Delimited: _delimited_fixer,
    Lines: _lines_fixer,
    SLIP: _slip_fixer,
}


def _encodes(codec: CodecLike, message: bytes) -> bool:
    try:
        codec.encode(message)
    except FramingError:
        return False
    return True


def streams_for(
    codec: CodecLike,
    messages: SearchStrategy[bytes] | None = None,
    *,
    valid: bool = False,
) -> SearchStrategy[bytes]:
    """Wire streams for ``codec``: valid ones (``valid=True``) or valid, mutated and random.

    A valid stream is the encodings of a few messages back to back (of one
    message for a stream that holds only one, such as ``UntilClose``).
    Mutations flip, insert, delete, duplicate and truncate bytes, insert long
    runs (to overflow ``max_length``) and splice in the codec's own frames
    and bytes that mean something to a framing style.
    """
    from hypothesis import strategies as st

    message_lists = _message_lists(codec, messages_for(codec, messages))
    valid_streams = message_lists.map(lambda ms: b"".join(codec.encode(m) for m in ms))
    if valid:
        return valid_streams
    special = _special_bytes(codec)

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(valid_streams))
        for _ in range(draw(st.integers(1, 4))):
            _mutate(draw, data, special, codec, valid_streams)
        return bytes(data)

    garbage = st.lists(st.one_of(st.sampled_from(special), st.binary(max_size=8)), max_size=24).map(
        b"".join
    )
    return st.one_of(valid_streams, mutated(), garbage)


def _special_bytes(codec: Any) -> list[bytes]:
    tokens = [bytes([b]) for b in _SPECIAL]
    delimiter = getattr(codec, "delimiter", b"")
    if delimiter:
        tokens += [delimiter, delimiter[:1], delimiter[:-1] or delimiter]
    return tokens


def _mutate(
    draw: DrawFn,
    data: bytearray,
    special: list[bytes],
    codec: Any,
    valid_streams: SearchStrategy[bytes],
) -> None:
    from hypothesis import strategies as st

    size = len(data)
    at = draw(st.one_of(st.integers(0, size), st.just(size)))  # the end is special: EOF
    kind = draw(
        st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate", "stretch", "frame"])
    )
    token = draw(st.one_of(st.sampled_from(special), st.binary(min_size=1, max_size=4)))
    if kind == "flip" and at < size:
        data[at : at + len(token)] = token
    elif kind == "insert":
        data[at:at] = token
    elif kind == "delete":
        del data[at : at + draw(st.integers(1, 8))]
    elif kind == "truncate":
        del data[at:]
    elif kind == "duplicate":
        data[at:at] = data[at : at + draw(st.integers(1, 16))]
    elif kind == "stretch":
        limit = min(_STRETCH, 2 * getattr(codec, "max_length", _STRETCH) + 8)
        data[at:at] = token[:1] * draw(st.integers(1, max(1, limit)))
    else:
        data[at:at] = draw(valid_streams)


def _holds_one_message(codec: CodecLike) -> bool:
    """Whether a stream carries exactly one message (the stream's end ends it)."""
    return bool(getattr(codec, "ends_at_close", False))


def _message_lists(
    codec: CodecLike, messages: SearchStrategy[bytes]
) -> SearchStrategy[list[bytes]]:
    """The message lists of one stream of ``codec``: exactly one message if its stream ends it."""
    from hypothesis import strategies as st

    single = _holds_one_message(codec)
    return st.lists(messages, min_size=1 if single else 0, max_size=1 if single else _MAX_MESSAGES)


def max_buffered_for(codec: CodecLike) -> int | None:
    """The most wire bytes a decoder of ``codec`` may hold after decoding what it can.

    That is the wire size of the largest unfinished frame: what the codec
    states as its ``largest_frame`` (``max_length`` plus the framing
    overhead: header, delimiter, escapes). While bytes are fed, and once a
    decoder has failed for good, one chunk more may be held. ``None`` for a
    codec that does not state it.
    """
    largest: int | None = getattr(codec, "largest_frame", None)
    return largest


# --------------------------------------------------------------------------
# running a decoder, checking the contract at every step
# --------------------------------------------------------------------------

# An event: a message, or an error summarised as what must not depend on
# chunking (its type, and for IncompleteFrame the partial bytes).
Event = tuple[str, Any]


class _Run:
    """One decoder fed chunk by chunk, drained after each chunk; records its events.

    ``mode`` is how messages are read: ``"next_frame"``, ``"iterate"`` (``for
    message in decoder``, a new loop after each error or end, as a program
    does) or ``"mixed"`` (either, chosen by a seeded generator, the iterator
    kept alive across ``next_frame()`` calls and ``buffered`` asked between).
    A decoder may read each way differently (batches), never with a
    different result.
    """

    def __init__(
        self, codec: CodecLike, max_buffered: int | None, mode: str = "next_frame", seed: int = 0
    ) -> None:
        self.decoder = codec.decoder()
        self.events: list[Event] = []
        self.max_buffered = max_buffered
        self.largest_chunk = 0
        self.fed = 0
        self.failed: type[FramingError] | None = None  # the decoder stays failed
        self.mode = mode
        self.max_messages: int | None = None  # stop reading after this many events
        self._choices = random.Random(seed)
        self._iterator: Iterator[bytes] | None = None

    def _pull(self) -> bytes | None:
        """One message by this run's mode, or None; errors propagate."""
        use_iterator = self.mode == "iterate" or (
            self.mode == "mixed" and self._choices.random() < 0.5
        )
        if self.mode == "mixed" and self.max_buffered is not None:
            self._check_bound(after_drain=False)  # buffered, asked mid-batch
        if not use_iterator:
            return self.decoder.next_frame()
        if self._iterator is None:
            self._iterator = iter(self.decoder)
        try:
            return next(self._iterator)
        except StopIteration:
            self._iterator = None
            return None
        except BaseException:
            self._iterator = None
            raise

    def feed(self, chunk: bytes) -> None:
        before = self.decoder.buffered
        try:
            self.decoder.feed(chunk)
        except Exception as error:
            raise AssertionError(f"feed({chunk!r}) raised {error!r}") from error
        self.fed += len(chunk)
        self.largest_chunk = max(self.largest_chunk, len(chunk))
        if self.failed is not None:
            assert self.decoder.buffered <= before, (
                f"a decoder that failed with {self.failed.__name__} buffered more input"
            )
        self._check_bound()
        self.drain()

    def feed_eof(self) -> None:
        self.decoder.feed_eof()
        self.drain()
        if self.failed is None:  # ended cleanly: no more events, however often asked
            for _ in range(2):
                try:
                    message = self.decoder.next_frame()
                except FramingError as error:
                    raise AssertionError(
                        f"after the stream ended and was drained, next_frame() raised {error!r}"
                    ) from error
                assert message is None, f"after the stream ended, next_frame() gave {message!r}"

    def drain(self) -> None:
        """Every message and error available now."""
        decoder = self.decoder
        if self.failed is not None:
            self._expect_failed()
            return
        calls = 2 * (self.fed + 2)  # an error that consumes nothing must be followed by progress
        # The previous call's error, if it consumed nothing: a decoder that
        # raises the same error twice in a row without consuming has failed
        # for good (a resynchronising one skips the bad frame in between).
        last_error: FramingError | None = None
        while True:
            if self.max_messages is not None and len(self.events) >= self.max_messages:
                self._iterator = None
                return
            calls -= 1
            assert calls >= 0, f"the decoder makes no progress: {self.events[-3:]!r}"
            before = decoder.buffered
            try:
                message = self._pull()
            except FramingError as error:
                consumed = decoder.buffered != before
                if last_error is not None and not consumed and type(error) is type(last_error):
                    self.failed = type(error)
                    self._expect_failed()
                    return
                last_error = None if consumed else error
                self.events.append(_summary(error))
                continue
            except Exception as error:
                raise AssertionError(
                    f"next_frame() raised {error!r}, which is not a FramingError"
                ) from error
            last_error = None
            if message is None:
                self._iterator = None
                break
            assert isinstance(message, bytes), f"a message of type {type(message).__name__}"
            self.events.append(("message", _message_summary(message)))
        self._check_bound(after_drain=True)

    def _expect_failed(self) -> None:
        assert self.failed is not None
        try:
            message = self.decoder.next_frame()
        except FramingError as error:
            again: type[FramingError] = type(error)
        else:
            raise AssertionError(
                f"a decoder that failed with {self.failed.__name__} then returned {message!r}"
            )
        assert again is self.failed, (
            f"a failed decoder raised {self.failed.__name__}, then {again.__name__}"
        )

    def _check_bound(self, after_drain: bool = False) -> None:
        if self.max_buffered is None or self.max_messages is not None:
            return  # no bound, or messages deliberately left unread
        bound = self.max_buffered
        if not after_drain or self.failed is not None:
            bound += self.largest_chunk
        assert self.decoder.buffered <= bound, (
            f"{self.decoder.buffered} bytes buffered, more than the bound of {bound} "
            f"(max_buffered={self.max_buffered}, largest chunk {self.largest_chunk})"
        )


def _summary(error: FramingError) -> Event:
    if isinstance(error, IncompleteFrame):
        return (type(error).__name__, bytes(error.partial))
    return (type(error).__name__, None)


def _message_summary(message: bytes) -> Any:
    fields = getattr(message, "fields", None)
    if fields is None:
        return bytes(message)
    return (bytes(message), repr(sorted(fields.items())))


def _run(
    codec: CodecLike,
    chunks: Sequence[bytes],
    max_buffered: int | None,
    *,
    eof: bool = True,
    mode: str = "next_frame",
    seed: int = 0,
    max_messages: int | None = None,
) -> _Run:
    run = _Run(codec, max_buffered, mode, seed)
    run.max_messages = max_messages
    for chunk in chunks:
        run.feed(chunk)
    if eof:
        run.feed_eof()
    return run


# --------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------


def check_codec(
    codec: CodecLike,
    messages: SearchStrategy[bytes] | None = None,
    *,
    max_buffered: int | None = None,
    max_examples: int | None = None,
    settings: Any = None,
    reference: CodecLike | None = None,
) -> None:
    """Run the conformance checks over ``codec``; ``AssertionError`` on a violation.

    ``messages``: a strategy of valid messages (default: ``messages_for(codec)``).
    ``max_buffered``: the bound on ``buffered`` after decoding what can be
    decoded (default: ``max_buffered_for(codec)``; no memory check for an
    unknown codec without it). ``max_examples``: examples per check (default:
    the loaded hypothesis profile's). ``settings``: a ``hypothesis.settings``
    to start from instead of the loaded profile (``deadline`` is always off).

    ``reference``: differential mode. Another codec of the same style (a
    known-good implementation, or the one yours replaces) must give the same
    messages and the same error types as ``codec`` for every stream: valid
    ones of either, mutated ones and garbage, each cut differently for the
    two decoders. The first stream they disagree on is reported.

    >>> import framing
    >>> check_codec(framing.Netstring(max_length=10), max_examples=5)
    """
    import hypothesis
    from hypothesis import strategies as st

    if max_buffered is None:
        max_buffered = max_buffered_for(codec)
    message_strategy = messages_for(codec, messages)
    single = _holds_one_message(codec)
    message_lists = _message_lists(codec, message_strategy)
    streams = streams_for(codec, message_strategy)
    parent = settings if settings is not None else hypothesis.settings()
    config = hypothesis.settings(
        parent,
        max_examples=max_examples or parent.max_examples,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=[
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.data_too_large,
            hypothesis.HealthCheck.filter_too_much,
            hypothesis.HealthCheck.large_base_example,
        ],
    )

    # How messages are read: next_frame(), for loops, or both mixed (seeded).
    readings = st.tuples(st.sampled_from(_MODES), st.integers(0, 2**16))

    def encoded(ms: list[bytes]) -> tuple[bytes, list[int]]:
        wire = [codec.encode(m) for m in ms]
        ends = [0]
        for frame in wire:
            ends.append(ends[-1] + len(frame))
        return b"".join(wire), ends

    @config
    @hypothesis.given(data=st.data())
    def round_trip(data: Any) -> None:
        ms = data.draw(message_lists, label="messages")
        wire, ends = encoded(ms)
        chunks = data.draw(chunkings(wire, ends), label="chunks")
        read = data.draw(readings, label="read with")
        _check_round_trip(codec, ms, chunks, max_buffered, single, read)

    @config
    @hypothesis.given(data=st.data())
    def any_stream_any_chunking(data: Any) -> None:
        wire = data.draw(streams, label="stream")
        chunks = data.draw(chunkings(wire), label="chunks")
        check_stream(codec, wire, chunks, max_buffered=max_buffered)

    @config
    @hypothesis.given(data=st.data())
    def nothing_lost(data: Any) -> None:
        ms = data.draw(message_lists, label="messages")
        wire, ends = encoded(ms)
        if single:
            cut = data.draw(st.integers(0, len(wire)), label="cut")
            _check_single_detach(codec, wire[:cut], max_buffered)
            return
        frame = codec.encode(data.draw(message_strategy, label="unfinished message"))
        if len(frame) > 1:  # cut it inside
            tail = frame[: data.draw(st.integers(1, len(frame) - 1), label="cut")]
            chunks = data.draw(chunkings(wire + tail, ends), label="chunks")
            read = data.draw(readings, label="read with")
            _check_unfinished_frame(codec, ms, tail, chunks, max_buffered, read)
        suffix = data.draw(streams, label="suffix")
        chunks = data.draw(chunkings(wire + suffix, ends), label="chunks with suffix")
        _check_prefix_delivered(codec, ms, chunks, max_buffered)

    @config
    @hypothesis.given(data=st.data())
    def detach_hand_off(data: Any) -> None:
        ms = data.draw(message_lists, label="messages")
        wire, _ = encoded(ms)
        split = data.draw(st.integers(0, len(wire)), label="split")
        first = data.draw(chunkings(wire[:split]), label="chunks before the split")
        read = data.draw(readings, label="read with")
        taken = data.draw(st.none() | st.integers(0, len(ms)), label="messages read before")
        _check_detach(codec, ms, first, wire[split:], max_buffered, read, taken)

    relaxed = _relaxed(codec)
    limit: int = getattr(codec, "max_length", 0)

    @config
    @hypothesis.given(data=st.data())
    def oversized(data: Any) -> None:
        assert relaxed is not None
        ms = data.draw(message_lists, label="messages before")
        size = data.draw(
            st.integers(limit + 1, 2 * limit + 8), label="oversized length"
        )
        payload = data.draw(st.binary(min_size=size, max_size=size), label="payload")
        frame = _encode_any(relaxed, [payload, _OVERSIZE_FILLER * size])
        hypothesis.assume(frame is not None)  # a length the codec frames in no way (odd ones)
        assert frame is not None
        wire, ends = encoded(ms)
        chunks = data.draw(chunkings(wire + frame, ends), label="chunks")
        _check_oversized(codec, ms, chunks, size)

    checks = [round_trip, any_stream_any_chunking, nothing_lost, detach_hand_off]
    if relaxed is not None:
        checks.append(oversized)
    if reference is not None:
        either = st.one_of(streams, streams_for(reference))

        @config
        @hypothesis.given(data=st.data())
        def agrees_with_reference(data: Any) -> None:
            assert reference is not None
            wire = data.draw(either, label="stream")
            ours = _run(codec, data.draw(chunkings(wire), label="chunks"), None).events
            theirs = _run(reference, data.draw(chunkings(wire), label="their chunks"), None).events
            assert ours == theirs, (
                f"{codec!r} and the reference {reference!r} disagree on {wire!r}: "
                f"{ours!r} against {theirs!r}"
            )

        checks.append(agrees_with_reference)
    for check in checks:
        check()


def _relaxed(codec: CodecLike) -> Any:
    """A copy of ``codec`` that encodes longer messages, to make frames it must refuse.

    None when there is no small ``max_length`` to exceed (a frame past a
    large one would take too long to build), or when the copy cannot be made
    or still refuses a longer message, for whatever reason (check 7 is then
    skipped, as the module docstring says).
    """
    import copy

    limit = getattr(codec, "max_length", None)
    if not isinstance(limit, int) or limit > _OVERSIZE_LIMIT or _holds_one_message(codec):
        return None
    try:
        relaxed = copy.copy(codec)
        object.__setattr__(relaxed, "max_length", 2 * limit + 8)
        relaxed.encode(_OVERSIZE_FILLER * (2 * limit + 8))  # it can frame what it must refuse
    except Exception:
        return None
    return relaxed


def _encode_any(codec: CodecLike, payloads: list[bytes]) -> bytes | None:
    """The frame of the first of ``payloads`` that ``codec`` encodes (a delimiter may be in one)."""
    for payload in payloads:
        try:
            return codec.encode(payload)
        except EncodeError:
            continue
    return None


def _check_oversized(
    codec: CodecLike, messages: list[bytes], chunks: list[bytes], size: int
) -> None:
    """The messages before a frame over ``max_length``, then ``FrameTooLarge``, however cut."""
    run = _run(codec, chunks, None)
    expected = [("message", _message_summary(m)) for m in messages]
    limit = getattr(codec, "max_length", None)
    assert run.events[: len(expected)] == expected, (
        f"decoded {run.events!r} from {len(expected)} messages and a frame of {size} bytes, "
        f"expected the messages first"
    )
    rest = run.events[len(expected) :]
    assert rest[:1] == [("FrameTooLarge", None)], (
        f"a frame of {size} bytes, over max_length={limit}, gave {rest[:1]!r} "
        "instead of FrameTooLarge: the decoder does not enforce its limit"
    )


def _check_round_trip(
    codec: CodecLike,
    messages: list[bytes],
    chunks: list[bytes],
    max_buffered: int | None,
    single: bool,
    read: tuple[str, int] = ("next_frame", 0),
) -> None:
    wire = b"".join(chunks)
    encode_parts = getattr(codec, "encode_parts", None)
    if encode_parts is not None:
        for message in messages:
            parts = encode_parts(message)
            assert b"".join(parts) == codec.encode(message), "encode_parts() != encode()"
    run = _run(codec, chunks, max_buffered, eof=False, mode=read[0], seed=read[1])
    if not single:
        assert run.decoder.buffered == 0, (
            f"{run.decoder.buffered} bytes left buffered after complete frames"
        )
    run.feed_eof()
    expected = [("message", _message_summary(m)) for m in messages]
    assert run.events == expected, f"decoded {run.events!r}, expected {expected!r}"
    if isinstance(codec, Codec):
        assert codec.decode(wire) == messages, "decode() disagrees with the decoder"


def check_stream(
    codec: CodecLike,
    wire: bytes,
    chunks: Sequence[bytes] | None = None,
    *,
    max_buffered: int | None = None,
) -> list[tuple[str, Any]]:
    """Decode one stream whole, one byte at a time (and as ``chunks``): the same events.

    The invariant of a fuzz harness: any input decodes to messages or
    ``FramingError``s (never another exception), the same however it is
    cut, with ``buffered`` within ``max_buffered`` (default:
    ``max_buffered_for(codec)``) and the decoder contract kept at every
    step, read with ``next_frame()``, with ``for`` loops, and both mixed.
    Returns the events: ``("message", payload)`` or ``(error type name,
    IncompleteFrame.partial or None)``; ``AssertionError`` otherwise.

    >>> import framing
    >>> check_stream(framing.Netstring(), b"2:hi,x")
    [('message', b'hi'), ('InvalidFrame', None)]
    """
    if max_buffered is None:
        max_buffered = max_buffered_for(codec)
    wire = bytes(wire)
    whole = _run(codec, [wire], max_buffered).events
    looped = _run(codec, [wire], max_buffered, mode="iterate").events
    assert looped == whole, f"read with a for loop: {looped!r}; with next_frame(): {whole!r}"
    bytes_ = [wire[i : i + 1] for i in range(len(wire))]
    bytewise = _run(codec, bytes_, max_buffered, mode="mixed", seed=len(wire)).events
    assert bytewise == whole, f"fed one byte at a time: {bytewise!r}; fed whole: {whole!r}"
    if chunks is not None:
        cut = _run(codec, chunks, max_buffered, mode="mixed", seed=len(chunks)).events
        assert cut == whole, f"fed as {list(chunks)!r}: {cut!r}; fed whole: {whole!r}"
    return whole


def _check_unfinished_frame(
    codec: CodecLike,
    messages: list[bytes],
    tail: bytes,
    chunks: list[bytes],
    max_buffered: int | None,
    read: tuple[str, int] = ("next_frame", 0),
) -> None:
    expected = [("message", _message_summary(m)) for m in messages]
    before_eof = _run(codec, chunks, max_buffered, eof=False, mode=read[0], seed=read[1])
    assert before_eof.events == expected, "a cut frame changed the messages before it"
    buffered = before_eof.decoder.buffered
    detached = before_eof.decoder.detach()
    assert len(detached) == buffered, f"buffered is {buffered}, detach() gave {len(detached)}"
    assert before_eof.decoder.buffered == 0, "detach() left bytes buffered"
    assert tail.endswith(detached), f"detach() gave {detached!r}, not the end of {tail!r}"
    at_eof = _run(codec, chunks, max_buffered)
    assert at_eof.events[: len(expected)] == expected, "a cut frame changed the messages"
    rest = at_eof.events[len(expected) :]
    if not detached:
        assert rest == [], f"nothing buffered, yet {rest!r} at EOF"
    elif rest and rest[0][0] == "message":  # the style finishes a last frame at EOF
        assert len(rest) == 1, f"{rest!r} from one unfinished frame"
    else:
        assert rest == [("IncompleteFrame", detached)], (
            f"unfinished frame {detached!r} ended as {rest!r}, not IncompleteFrame with it"
        )


def _check_prefix_delivered(
    codec: CodecLike, messages: list[bytes], chunks: list[bytes], max_buffered: int | None
) -> None:
    events = _run(codec, chunks, max_buffered).events
    expected = [("message", _message_summary(m)) for m in messages]
    assert events[: len(expected)] == expected, (
        f"valid frames followed by other bytes decoded as {events!r}, expected {expected!r} first"
    )


def _check_single_detach(codec: CodecLike, wire: bytes, max_buffered: int | None) -> None:
    run = _run(codec, [wire], max_buffered, eof=False)
    assert run.events == [], "a one-message stream gave a message before its end"
    assert run.decoder.detach() == wire, "detach() did not return the whole stream so far"


def _check_detach(
    codec: CodecLike,
    messages: list[bytes],
    first: list[bytes],
    rest: bytes,
    max_buffered: int | None,
    read: tuple[str, int] = ("next_frame", 0),
    taken: int | None = None,
) -> None:
    # Read all that can be read, or only ``taken`` messages: then detach() must
    # hand over the messages decoded (in a batch) but not yet read, too.
    before = _run(
        codec, first, max_buffered, eof=False, mode=read[0], seed=read[1], max_messages=taken
    )
    count = len(before.events)
    detached = before.decoder.detach()
    assert before.decoder.buffered == 0, "detach() left bytes buffered"
    after = _run(codec, [detached, rest], max_buffered)
    expected = [("message", _message_summary(m)) for m in messages]
    assert before.events + after.events == expected, (
        f"{count} messages, detach() gave {detached!r}, then {after.events!r}; "
        f"expected {expected!r}"
    )
    # The detached decoder itself is empty and usable again.
    again = before.decoder
    again.feed(detached + rest)
    again.feed_eof()
    got = []
    while (message := again.next_frame()) is not None:
        got.append(("message", _message_summary(message)))
    assert before.events + got == expected, "a detached decoder decodes differently"
