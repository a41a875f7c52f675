"""framing.testing: the conformance suite passes for every codec and fails for broken ones.

``check_codec`` is run over every framing style in several configurations
(small ``max_length`` values, so that the too-large paths are reached). Then
it is run over deliberately broken user codecs, one bug each, to show that
every check it makes can fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from construct import Const, Int8ub, Int16ub, Int24ub, Struct
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import framing
from framing import (
    COBS,
    SLIP,
    Delimited,
    FixedLength,
    Frame,
    IncompleteFrame,
    LengthPrefixed,
    Lines,
    Netstring,
    ReceiveBuffer,
    UntilClose,
)
from framing.testing import (
    check_codec,
    chunkings,
    max_buffered_for,
    messages_for,
    streams_for,
)

CODECS: list[Any] = [
    FixedLength(1),
    FixedLength(4),
    Delimited(),
    Delimited(b"\r\n", max_length=8),
    Delimited(b"aba", max_length=3),
    Delimited(b"\x00", max_length=0),
    Lines(max_length=5),
    Lines(strict_crlf=True, max_length=6),
    Lines(allow_unterminated=True, max_length=4),
    LengthPrefixed(),
    LengthPrefixed("B", max_length=20),
    LengthPrefixed("<h", max_length=9),
    LengthPrefixed("varint", max_length=150),
    LengthPrefixed("!I", includes_header=True, max_length=12),
    LengthPrefixed("varint", includes_header=True, max_length=200),
    LengthPrefixed(Int24ub, max_length=30),
    UntilClose(max_length=20),
    UntilClose(),
    Netstring(max_length=12),
    Netstring(),
    COBS(max_length=20),
    COBS(max_length=300),
    SLIP(max_length=6),
    SLIP(leading_end=False),
]

# Our suite keeps to a few examples per check (the profile's number when
# smaller), so that it stays fast; the fuzz/ targets are the long runs.
EXAMPLES = min(25, settings().max_examples)


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_every_codec_passes_the_conformance_suite(codec: Any) -> None:
    check_codec(codec, max_examples=EXAMPLES)


HEADER = Struct("magic" / Const(b"FR"), "type" / Int8ub, "length" / Int16ub)


def test_a_struct_header_codec_passes_with_a_strategy_of_frames() -> None:
    codec = LengthPrefixed(HEADER, max_length=40)
    frames = st.builds(
        Frame, st.binary(max_size=40), st.fixed_dictionaries({"type": st.integers(0, 255)})
    )
    check_codec(codec, frames, max_examples=EXAMPLES)


def test_a_struct_header_codec_needs_a_strategy() -> None:
    with pytest.raises(TypeError, match=r"strategy of framing\.Frame"):
        messages_for(LengthPrefixed(HEADER))


# --------------------------------------------------------------------------
# the strategies
# --------------------------------------------------------------------------


@given(data=st.data())
def test_chunkings_join_back_to_the_data(data: st.DataObject) -> None:
    wire = data.draw(st.binary(max_size=50))
    chunks = data.draw(chunkings(wire, [len(wire) // 2]))
    assert b"".join(chunks) == wire


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (lambda chunks: len(chunks) == 1, [b"abcdef"]),
        (lambda chunks: len(chunks) == 6 and all(chunks), [b"a", b"b", b"c", b"d", b"e", b"f"]),
        (lambda chunks: b"" in chunks and len(chunks) == 2, [b"", b"abcdef"]),
    ],
    ids=["whole", "one byte at a time", "empty chunk"],
)
def test_chunkings_include_the_nasty_cuts(condition: Any, expected: list[bytes]) -> None:
    assert find(chunkings(b"abcdef"), condition) == expected


def test_chunkings_cut_near_the_hints() -> None:
    # A cut one byte into a frame boundary far from both ends: inside a header.
    data = bytes(200)
    chunks = find(chunkings(data, [100]), lambda cs: 101 in _cut_points(cs))
    assert 101 in _cut_points(chunks)


def _cut_points(chunks: list[bytes]) -> set[int]:
    points, offset = set(), 0
    for chunk in chunks:
        offset += len(chunk)
        points.add(offset)
    return points


@pytest.mark.parametrize("codec", CODECS, ids=repr)
@settings(max_examples=30)
@given(data=st.data())
def test_messages_for_a_codec_round_trip(codec: Any, data: st.DataObject) -> None:
    message = data.draw(messages_for(codec))
    assert len(message) <= codec.max_length
    assert codec.decode(codec.encode(message)) == [message]


@pytest.mark.parametrize(
    ("codec", "condition"),
    [
        (Delimited(b"\r\n"), lambda m: b"\r" in m),
        (Lines(), lambda m: m.endswith(b"\x7f")),
        (SLIP(max_length=5), lambda m: len(m) == 5 and b"\xc0" in m),
        (Netstring(max_length=3), lambda m: len(m) == 3),
        (COBS(), lambda m: b"\x00" in m),
    ],
    ids=repr,
)
def test_messages_for_reach_the_interesting_bytes_and_sizes(codec: Any, condition: Any) -> None:
    message = find(messages_for(codec), condition)
    assert condition(message)
    assert codec.decode(codec.encode(message)) == [message]


def test_messages_for_takes_a_user_strategy_as_it_is() -> None:
    strategy = st.just(b"given")
    assert messages_for(Lines(), strategy) is strategy


def test_messages_for_a_foreign_codec_keeps_what_encode_accepts() -> None:
    codec = EvenCodec()
    message = find(messages_for(codec), lambda m: len(m) >= 4)
    assert len(message) % 2 == 0


@pytest.mark.parametrize("codec", CODECS, ids=repr)
@settings(max_examples=30)
@given(data=st.data())
def test_valid_streams_decode_without_error(codec: Any, data: st.DataObject) -> None:
    wire = data.draw(streams_for(codec, valid=True))
    assert all(isinstance(m, bytes) for m in codec.decode(wire))


def test_streams_for_mutates_and_overflows() -> None:
    codec = Delimited(max_length=10)
    wire = find(streams_for(codec), lambda w: b"\n" in w and len(w.split(b"\n")[0]) > 10)
    with pytest.raises(framing.FrameTooLarge):
        codec.decode(wire)


def test_streams_for_an_until_close_codec_hold_one_message() -> None:
    codec = UntilClose(max_length=8)
    wire = find(streams_for(codec, valid=True), lambda w: len(w) > 3)
    assert codec.decode(wire) == [wire]


@pytest.mark.parametrize(
    ("codec", "bound"),
    [
        (FixedLength(7), 7),
        (Delimited(b"\r\n", max_length=10), 12),
        (Lines(max_length=10), 12),
        (LengthPrefixed("!H", max_length=10), 12),
        (LengthPrefixed("varint", max_length=10), 20),
        (Netstring(max_length=10), 14),
        (COBS(max_length=508), 512),
        (SLIP(max_length=10), 22),
        (UntilClose(max_length=10), 10),
        (object(), None),
    ],
    ids=repr,
)
def test_max_buffered_for_each_style(codec: Any, bound: int | None) -> None:
    assert max_buffered_for(codec) == bound


# --------------------------------------------------------------------------
# a user's codec, correct, then broken one way at a time
# --------------------------------------------------------------------------


class Magic(framing.Codec):
    """A user's codec: b"MG", a one-byte length, the payload."""

    max_length = 20

    def encode_parts(self, message: Any) -> tuple[bytes, ...]:
        payload = bytes(message)
        if len(payload) > self.max_length:
            raise framing.EncodeError(f"{len(payload)} bytes is too long")
        return (b"MG", bytes([len(payload)]), payload)

    def decoder(self) -> MagicDecoder:
        return MagicDecoder(self)


class MagicDecoder(framing.Decoder):
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        if len(buffer) < 3:
            if buffer.peek(2) != b"MG"[: len(buffer)]:
                raise framing.InvalidFrame("bad magic")
            return None
        if buffer.peek(2) != b"MG":
            raise framing.InvalidFrame("bad magic")
        length = buffer.byte_at(2)
        if length > self.codec.max_length:
            raise framing.FrameTooLarge(length, self.codec.max_length)
        if len(buffer) < 3 + length:
            return None
        buffer.skip(3)
        return buffer.take(length)


def test_a_correct_user_codec_passes() -> None:
    check_codec(Magic(), max_buffered=23, max_examples=EXAMPLES)


# The same examples on every run (each bug is found within them), no time spent shrinking.
FIND_FAST = settings(
    max_examples=150, phases=[Phase.explicit, Phase.generate], database=None, derandomize=True
)


def readme_block(marker: str) -> str:
    """The README's Python code block that contains ``marker``."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = readme.split("```python\n")[1:]
    [block] = [block.split("```")[0] for block in blocks if marker in block]
    return block


def test_the_readme_user_codec_uses_public_names_only_and_passes() -> None:
    source = readme_block("class Bulk(framing.Codec)")
    assert "._" not in source  # nothing private
    assert " _" not in source
    namespace: dict[str, Any] = {"__name__": "readme_bulk"}
    exec(compile(source, "README.md", "exec"), namespace)
    namespace["test_bulk_strings_conform"]()  # check_codec(Bulk(), ...)
    codec = namespace["Bulk"]()
    assert codec.encode(b"hello") == b"$5\r\nhello\r\n"


def test_the_readme_user_codec_without_its_limit_fails_the_suite() -> None:
    source = readme_block("class Bulk(framing.Codec)")
    check = "        if length > self.codec.max_length:\n"
    check += "            raise framing.FrameTooLarge(length, self.codec.max_length)\n"
    assert check in source
    namespace: dict[str, Any] = {"__name__": "readme_bulk_mutant"}
    exec(compile(source.replace(check, ""), "README.md", "exec"), namespace)
    complaint = r"over max_length=1024, gave .* instead of FrameTooLarge"
    with pytest.raises(AssertionError, match=complaint):
        check_codec(namespace["Bulk"](), max_buffered=8 + 1024 + 2, settings=FIND_FAST)


def test_the_example_user_codec_passes() -> None:
    import inspect

    from framing.examples.own_codec import Bulk, BulkDecoder

    for cls in (Bulk, BulkDecoder):  # public names only, apart from Python's own dunders
        source = inspect.getsource(cls).replace("__init__", "").replace("__repr__", "")
        assert "._" not in source, source
        assert " _" not in source, source
    bound = len(b"$300\r\n") + 300 + 2
    check_codec(Bulk(max_length=300), max_buffered=bound, max_examples=EXAMPLES)


class EvenCodec(Magic):
    """Only even-length messages: messages_for must keep to what encode accepts."""

    def encode_parts(self, message: Any) -> tuple[bytes, ...]:
        if len(bytes(message)) % 2:
            raise framing.EncodeError("odd")
        return super().encode_parts(message)


def test_a_foreign_codec_with_restricted_messages_passes() -> None:
    check_codec(EvenCodec(), max_buffered=23, max_examples=EXAMPLES)


class ChunkBound(Magic):
    """Bug: looks for the magic only at the start of each fed chunk."""

    def decoder(self) -> MagicDecoder:
        return ChunkBoundDecoder(self)


class ChunkBoundDecoder(MagicDecoder):
    def feed(self, data: Any) -> None:
        if bytes(data[:1]) not in (b"", b"M") and not self.buffered:
            return  # "line noise": silently dropped, unless the chunk starts a frame
        super().feed(data)


class RaisesValueError(Magic):
    """Bug: a too-large length escapes as ValueError instead of FrameTooLarge."""

    def decoder(self) -> MagicDecoder:
        return RaisesValueErrorDecoder(self)


class RaisesValueErrorDecoder(MagicDecoder):
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        if len(buffer) >= 3 and buffer.byte_at(2) > self.codec.max_length:
            raise ValueError("length too large")
        return super().decode(buffer)


class Unbounded(Magic):
    """Bug: never checks the declared length, so a hostile header buys 255 bytes."""

    def decoder(self) -> MagicDecoder:
        return UnboundedDecoder(self)


class UnboundedDecoder(MagicDecoder):
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        if len(buffer) < 3 or buffer.peek(2) != b"MG":
            return super().decode(buffer)
        length = buffer.byte_at(2)
        if len(buffer) < 3 + length:
            return None
        buffer.skip(3)
        return buffer.take(length)


class Hoards(Magic):
    """Bug: keeps bytes it cannot decode instead of reporting them, so garbage piles up."""

    def decoder(self) -> MagicDecoder:
        return HoardsDecoder(self)


class HoardsDecoder(MagicDecoder):
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        if buffer.peek(2) != b"MG"[: len(buffer)]:
            return None  # never InvalidFrame: held for ever, whatever comes
        return super().decode(buffer)


class LosesHeader(Magic):
    """Bug: consumes the header as soon as it is read, so detach() loses it."""

    def decoder(self) -> MagicDecoder:
        return LosesHeaderDecoder(self)


class LosesHeaderDecoder(MagicDecoder):
    def __init__(self, codec: Magic) -> None:
        super().__init__(codec)
        self._length: int | None = None

    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        if self._length is None:
            if len(buffer) < 3:
                return super().decode(buffer)
            if buffer.peek(2) != b"MG" or buffer.byte_at(2) > self.codec.max_length:
                return super().decode(buffer)  # raises
            self._length = buffer.byte_at(2)
            buffer.skip(3)
        if len(buffer) < self._length:
            return None
        length, self._length = self._length, None
        return buffer.take(length)

    def reset_frame(self) -> None:
        self._length = None


class ShortPartial(Magic):
    """Bug: IncompleteFrame.partial leaves out the header bytes."""

    def decoder(self) -> MagicDecoder:
        return ShortPartialDecoder(self)


class ShortPartialDecoder(MagicDecoder):
    def decode_eof(self, buffer: ReceiveBuffer) -> bytes | None:
        if buffer:
            raise IncompleteFrame(buffer.peek(len(buffer))[3:])
        return None


class ErrorFirst(Magic):
    """Bug: validates every frame in the buffer before returning the first message."""

    def decoder(self) -> MagicDecoder:
        return ErrorFirstDecoder(self)


class ErrorFirstDecoder(MagicDecoder):
    def decode(self, buffer: ReceiveBuffer) -> bytes | None:
        data = buffer.peek(len(buffer))
        at = 0
        while len(data) - at >= 3 and len(data) - at >= 3 + data[at + 2]:
            at += 3 + data[at + 2]
        if at < len(data) and data[at : at + 2] != b"MG"[: len(data) - at]:
            raise framing.InvalidFrame("bad magic somewhere ahead")
        return super().decode(buffer)


class Recovers(Magic):
    """Bug: after a bad magic it forgets the error and waits for more data."""

    def decoder(self) -> MagicDecoder:
        return RecoversDecoder(self)


class RecoversDecoder(MagicDecoder):
    def __init__(self, codec: Magic) -> None:
        super().__init__(codec)
        self._raised = False

    def next_frame(self) -> bytes | None:
        if self._raised:
            return None
        try:
            return super().next_frame()
        except framing.InvalidFrame:
            self._raised = True
            raise


class ForgetsOnDetach(Magic):
    """Bug: detach() returns the bytes but keeps them buffered."""

    def decoder(self) -> MagicDecoder:
        return ForgetsOnDetachDecoder(self)


class ForgetsOnDetachDecoder(MagicDecoder):
    def detach(self) -> bytes:
        data = super().detach()
        self.feed(data)
        return data


@pytest.mark.parametrize(
    ("codec", "complaint"),
    [
        (ChunkBound(), "decoded|fed"),
        (RaisesValueError(), "length too large.*not a FramingError"),
        (Unbounded(), "over max_length=20, gave .* instead of FrameTooLarge|more than the bound"),
        (Hoards(), "bytes buffered, more than the bound"),
        (LosesHeader(), "detach"),
        (ShortPartial(), "not IncompleteFrame with it|fed"),
        (ErrorFirst(), "expected .* first|a cut frame changed|fed one byte at a time"),
        (Recovers(), "failed with InvalidFrame then returned None|more than the bound"),
        (ForgetsOnDetach(), "detach\\(\\) left bytes buffered"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Magic) else "",
)
def test_a_broken_codec_fails_the_suite(codec: Magic, complaint: str) -> None:
    # Each bug is its own failure, an AssertionError that names it.
    with pytest.raises(AssertionError, match=complaint):
        check_codec(codec, max_buffered=23, settings=FIND_FAST)


def test_framing_testing_imports_without_hypothesis() -> None:
    # hypothesis is a test dependency: importing the module (and the core) must not need it.
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import framing, framing.testing\n"
        "print(framing.testing.max_buffered_for(framing.Lines(max_length=3)))\n"
        "try:\n"
        "    framing.testing.messages_for(framing.Lines())\n"
        "except ImportError:\n"
        "    print('needs hypothesis')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["5", "needs", "hypothesis"]


# --------------------------------------------------------------------------
# differential mode: two codecs of one style must agree on every stream
# --------------------------------------------------------------------------


def test_two_implementations_of_one_style_agree() -> None:
    from construct import Int32ub

    check_codec(
        framing.LengthPrefixed("!I", max_length=300),
        reference=framing.LengthPrefixed(Int32ub, max_length=300),
        max_examples=EXAMPLES,
    )


def test_codecs_that_differ_on_some_stream_are_caught() -> None:
    # A strict-CRLF reader refuses the bare b"\n" every line of the other ends with.
    with pytest.raises(AssertionError, match="disagree on"):
        check_codec(
            framing.Lines(max_length=100),
            reference=framing.Lines(max_length=100, strict_crlf=True),
            settings=FIND_FAST,
        )
