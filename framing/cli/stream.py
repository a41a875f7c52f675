"""``framing encode`` and ``framing decode``: frame stdin to stdout, or unframe it.

Both stream: stdin is read in chunks and fed through a decoder, so memory
stays bounded by the codec's ``max_length`` whatever the input size::

    $ printf 'hello\\nworld\\n' | framing encode length:!I | framing decode length:!I --show
    frame 1 at byte 0: 9 wire bytes, 5-byte payload
      0000  68 65 6c 6c 6f                                    |hello|
    frame 2 at byte 9: 9 wire bytes, 5-byte payload
      0000  77 6f 72 6c 64                                    |world|

``encode`` takes one message per input line (the line without its ``\\n`` or
``\\r\\n``), or all of stdin as one message with ``--whole``. ``decode``
writes each message and a newline, the bare payloads with ``--raw``, or a
dump with ``--show``; it stops at the first bad frame, after writing every
message before it.

Everything goes to stdout through ``Output``: a write is whole or an error,
and a reader that has gone away (``| head``) is ``OutputClosed``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import BinaryIO

from ..codecs.length_prefixed import LengthPrefixed
from ..codecs.lines import Lines
from ..codecs.netstring import Netstring
from ..codecs.until_close import UntilClose
from ..core.codec import Codec
from ..errors import FrameTooLarge, FramingError
from .console import Progress, hex_ascii, hexdump, input_size, read_chunks
from .messages import count as _count

__all__ = [
    "CommandError",
    "MessageWriter",
    "Output",
    "OutputClosed",
    "TooLarge",
    "decode",
    "encode",
    "frame_lines",
    "input_lines",
]


@dataclass(frozen=True)
class TooLarge:
    """What went over ``max_length``: ``length`` bytes (``exact``: all that is needed)."""

    length: int
    max_length: int
    exact: bool

    @classmethod
    def of(cls, error: FrameTooLarge, codec: Codec) -> TooLarge:
        """A decoder's error: length-prefixed styles and netstrings declare the length."""
        return cls(error.length, error.max_length, isinstance(codec, (LengthPrefixed, Netstring)))


class CommandError(Exception):
    """A failure reported as one line on stderr, with exit status 1.

    ``too_large``, when a limit was hit, lets the report say how to raise it.
    """

    def __init__(self, message: str, *, too_large: TooLarge | None = None) -> None:
        super().__init__(message)
        self.too_large = too_large


class OutputClosed(Exception):
    """The reader of stdout has gone away (``| head``): stop, quietly, with status 1.

    Not an ``OSError``, so that code handling a socket's errors cannot take
    it for one.
    """


class Output:
    """stdout as the commands write to it: every write whole, or an exception.

    A ``BufferedWriter`` whose pipe closes part-way through a large write
    returns a short count instead of raising; ``write`` goes on with the rest,
    so the next write meets the ``BrokenPipeError``. Both that and a failing
    ``flush`` become ``OutputClosed``.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        """Write all of ``data``."""
        view = memoryview(data)
        try:
            while view:
                written = self._stream.write(view)
                if not written:  # a blocking stream that takes nothing: never loop forever
                    raise OutputClosed(f"stdout took 0 of {_count(len(view), 'byte')}")
                view = view[written:]
        except BrokenPipeError:
            raise OutputClosed("the reader of stdout went away") from None

    def flush(self) -> None:
        """Push what was written to the reader (a pipe, a terminal)."""
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise OutputClosed("the reader of stdout went away") from None

    def seekable(self) -> bool:
        """Whether stdout is a file (written in large blocks) rather than a pipe."""
        return self._stream.seekable()


class MessageWriter:
    """Writes decoded messages in one of the output modes: lines, raw or show."""

    def __init__(self, out: Output, mode: str = "lines") -> None:
        self._out = out
        self.mode = mode  # "lines": message + b"\n"; "raw": bare payloads; "show": a dump
        self.count = 0  # messages written

    def write(self, message: bytes, start: int | None = None, wire: int | None = None) -> None:
        """Write one message; ``start`` and ``wire`` locate its frame in the input, if known."""
        self.count += 1
        if self.mode == "raw":
            self._out.write(message)
        elif self.mode == "lines":
            self._out.write(message + b"\n")
        else:
            where = ":" if wire is None else f" at byte {start}: {_count(wire, 'wire byte')},"
            lines = [f"frame {self.count}{where} {len(message)}-byte payload"]
            lines += [f"  {line}" for line in hexdump(message)] or ["  (empty)"]
            self._out.write("\n".join(lines).encode() + b"\n")

    def write_many(self, messages: list[bytes]) -> None:
        """Write several messages with one write (the lines and raw modes)."""
        if not messages:
            return
        self.count += len(messages)
        if self.mode == "raw":
            self._out.write(b"".join(messages))
        else:
            self._out.write(b"\n".join(messages) + b"\n")

    def flush(self) -> None:
        """Push what was written to the reader (a pipe, a terminal)."""
        self._out.flush()


def encode(
    codec: Codec, stdin: BinaryIO, stdout: Output, progress: Progress, *, whole: bool
) -> int:
    """Frame stdin: one message per line, or all of it as one message; the message count."""
    if whole:
        stdout.write(codec.encode(_read_whole(stdin, codec.max_length, progress)))
        return 1
    count = 0
    with closing(input_lines(stdin, codec, progress)) as batches:
        for batch in batches:
            wire, error = frame_lines(codec, batch, count + 1)
            stdout.write(wire)  # one write per chunk of input (up to a bad line), not per line
            if error is not None:
                raise error
            stdout.flush()  # a pipe downstream sees each chunk's frames at once
            count += len(batch)
    return count


def frame_lines(
    codec: Codec, lines: Sequence[bytes], first: int, what: str = "input line"
) -> tuple[bytes, CommandError | None]:
    """The frames of ``lines``, numbered from ``first``: all of them, or those before
    the first that cannot be framed and the error that says which (``what`` N: ...)."""
    frames = []
    for line in lines:
        try:
            frames.append(codec.encode(line))
        except FramingError as error:
            message = f"{what} {first + len(frames)}: {error}"
            return b"".join(frames), CommandError(message)
    return b"".join(frames), None


def input_lines(
    stdin: BinaryIO, codec: Codec, progress: Progress | None = None
) -> Generator[list[bytes], None, None]:
    """The lines of stdin (without ``\\n`` or ``\\r\\n``), a batch per chunk read.

    The library's own line codec splits the input: a last line without
    ``\\n`` is a line too, and a line longer than ``codec`` can frame is an
    error before it is buffered whole. ``until-close`` carries one message.
    """
    splitter = Lines(max_length=codec.max_length, allow_unterminated=True).decoder()
    count = 0
    done = 0

    def batch() -> list[bytes]:
        nonlocal count
        lines: list[bytes] = []
        try:
            for line in splitter:  # every complete line of the chunk, in one batch
                lines.append(line)
        except FrameTooLarge as error:
            raise CommandError(
                f"input line {count + len(lines) + 1}: {error}",
                too_large=TooLarge(error.length, error.max_length, exact=False),
            ) from None
        count += len(lines)
        if count > 1 and isinstance(codec, UntilClose):
            raise CommandError(
                "until-close frames one message per connection: give one line, or --whole"
            )
        return lines

    for chunk in read_chunks(stdin):
        splitter.feed(chunk)
        yield batch()
        done += len(chunk)
        if progress is not None:
            progress.update(done)
    splitter.feed_eof()
    yield batch()


def _read_whole(stdin: BinaryIO, max_length: int, progress: Progress) -> bytes:
    """All of stdin, refusing (before buffering more) input longer than ``max_length``."""
    chunks: list[bytes] = []
    size = 0
    for chunk in read_chunks(stdin):
        chunks.append(chunk)
        size += len(chunk)
        progress.update(size)
        if size > max_length:
            total = input_size(stdin)  # a file's size: the limit it needs
            limit = _count(max_length, "byte")
            what = f"more than {limit}" if total is None else _count(total, "byte")
            raise CommandError(
                f"input of {what} exceeds max_length of {limit}",
                too_large=TooLarge(total or size, max_length, exact=total is not None),
            )
    return b"".join(chunks)


def decode(
    codec: Codec, stdin: BinaryIO, writer: MessageWriter, progress: Progress, *, flush: bool
) -> int:
    """Unframe stdin through ``writer``; the message count. Stops at the first bad frame.

    ``--show`` takes one frame at a time to know where each starts on the
    wire; the other modes take every complete frame of a chunk in one batch.
    """
    decoder = codec.decoder()
    fed = 0  # wire bytes fed so far
    end = 0  # where the last message's frame ended in the input (--show)

    def drain_one_by_one() -> None:
        nonlocal end
        while True:
            try:
                message = decoder.next_frame()
            except FramingError as error:
                raise _bad_frame(error, codec, writer.count, end) from None
            if message is None:
                return
            start, end = end, fed - decoder.buffered
            writer.write(message, start, end - start)

    def drain_in_batches() -> None:
        messages: list[bytes] = []
        try:
            for message in decoder:
                messages.append(message)
        except FramingError as error:
            writer.write_many(messages)  # every message before the bad frame
            raise _bad_frame(error, codec, writer.count, None) from None
        writer.write_many(messages)

    drain = drain_one_by_one if writer.mode == "show" else drain_in_batches
    for chunk in read_chunks(stdin):
        decoder.feed(chunk)
        fed += len(chunk)
        drain()
        if flush:
            writer.flush()
        progress.update(fed)
    decoder.feed_eof()
    drain()
    return writer.count


def _bad_frame(error: FramingError, codec: Codec, count: int, start: int | None) -> CommandError:
    where = "" if start is None else f" at byte {start}"
    return CommandError(
        f"bad frame{where} after {_count(count, 'message')}: {error}{_partial_hint(error)}",
        too_large=TooLarge.of(error, codec) if isinstance(error, FrameTooLarge) else None,
    )


def _partial_hint(error: FramingError) -> str:
    partial = getattr(error, "partial", None)
    return f"; partial frame: {hex_ascii(partial)}" if partial else ""
