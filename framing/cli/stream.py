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
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ..codecs.lines import Lines
from ..codecs.until_close import UntilClose
from ..core.codec import Codec
from ..errors import FrameTooLarge, FramingError
from .console import Progress, hex_ascii, hexdump, read_chunks

__all__ = ["CommandError", "MessageWriter", "decode", "encode", "input_lines"]


class CommandError(Exception):
    """A failure reported as one line on stderr, with exit status 1."""


class MessageWriter:
    """Writes decoded messages in one of the output modes: lines, raw or show."""

    def __init__(self, out: BinaryIO, mode: str = "lines") -> None:
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
            where = ":" if start is None else f" at byte {start}: {wire} wire bytes,"
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
    codec: Codec, stdin: BinaryIO, stdout: BinaryIO, progress: Progress, *, whole: bool
) -> int:
    """Frame stdin: one message per line, or all of it as one message; the message count."""
    if whole:
        stdout.write(codec.encode(_read_whole(stdin, codec.max_length, progress)))
        return 1
    count = 0
    for batch in input_lines(stdin, codec, progress):
        frames = []
        for line in batch:
            try:
                frames.append(codec.encode(line))
            except FramingError as error:
                stdout.write(b"".join(frames))  # every line before the bad one
                raise CommandError(f"input line {count + len(frames) + 1}: {error}") from None
        stdout.write(b"".join(frames))  # one write per chunk of input, not per line
        stdout.flush()  # a pipe downstream sees each chunk's frames at once
        count += len(frames)
    return count


def input_lines(
    stdin: BinaryIO, codec: Codec, progress: Progress | None = None
) -> Iterator[list[bytes]]:
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
            raise CommandError(f"input line {count + len(lines) + 1}: {error}") from None
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
            raise CommandError(
                f"input of more than {max_length} bytes exceeds max_length of {max_length} bytes"
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
                raise _bad_frame(error, writer.count, end) from None
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
            raise _bad_frame(error, writer.count, None) from None
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


def _bad_frame(error: FramingError, count: int, start: int | None) -> CommandError:
    where = "" if start is None else f" at byte {start}"
    messages = f"{count} message{'' if count == 1 else 's'}"
    return CommandError(f"bad frame{where} after {messages}: {error}{_partial_hint(error)}")


def _partial_hint(error: FramingError) -> str:
    partial = getattr(error, "partial", None)
    return f"; partial frame: {hex_ascii(partial)}" if partial else ""
