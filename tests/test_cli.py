"""The ``framing`` command line, run in-process: ``main(argv)`` with fake stdin/stdout.

Every test checks an exit status and what was written: encode | decode round
trips for every spec, ``--show`` dumps, bad specs and bad input, the demo.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import framing.cli
from framing.cli import demo as _cli_demo
from framing.cli import main, messages
from framing.cli.console import Colour, Progress, hex_ascii, hexdump, input_size
from framing.cli.messages import LENGTH_FLAGS, LENGTH_HEADERS
from framing.cli.stream import Output, OutputClosed
from framing.codecs import spec as spec_module
from framing.codecs.spec import STYLES


@dataclass
class Result:
    code: int
    out: bytes
    err: str


class TtyStringIO(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(
    monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: bytes = b"", err: io.StringIO | None = None
) -> Result:
    """Run ``framing argv`` in-process with ``stdin``; its status, stdout bytes, stderr text."""
    out = io.BytesIO()
    fake_out = io.TextIOWrapper(out, write_through=True)
    fake_err = err if err is not None else io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    monkeypatch.setattr(sys, "stdout", fake_out)
    monkeypatch.setattr(sys, "stderr", fake_err)
    code = main(list(argv))
    fake_out.flush()
    return Result(code, out.getvalue(), fake_err.getvalue())


LINES = b"hello\nworld\n\nsame length?\nlast\n"

# spec -> input lines that the style can carry (SLIP cannot carry an empty message,
# fixed length needs every line to be exactly its size, until-close carries one).
ROUND_TRIP = {
    "lines": LINES,
    "lines:crlf": LINES,
    "lines,max=12": LINES,
    r"delimited:\r\n\r\n": LINES,
    r"delimited:\x00": LINES,
    "length": LINES,
    "length:!I": LINES,
    "length:>H": LINES,
    "length:B": LINES,
    "length:varint,max=1M": LINES,
    "length:Int24ub": LINES,
    "length:!I,includes-header": LINES,
    "netstring": LINES,
    "cobs": LINES,
    "slip": b"hello\nworld\nlast\n",
    "fixed:5": b"hello\nworld\n12345\n",
    "until-close": b"one single message\n",
    "hdlc": b"hello\nworld\nlast\n",  # two bytes at least: RFC 1662 drops shorter frames
    "hdlc:fcs32,no-accm": b"hello\nworld\nlast\n",
    "stx-etx": LINES,
    "stx-etx,transparent": LINES,
    "cobs+crc32": LINES,
    "stx-etx+crc16-xmodem,little-endian": LINES,
}


@pytest.mark.parametrize("spec", sorted(ROUND_TRIP))
def test_encode_then_decode_gives_the_lines_back(
    monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    lines = ROUND_TRIP[spec]
    encoded = run(monkeypatch, "encode", spec, stdin=lines)
    assert (encoded.code, encoded.err) == (0, "")
    codec = framing.codec_from_spec(spec)
    assert encoded.out == b"".join(codec.encode(line) for line in lines.splitlines())
    decoded = run(monkeypatch, "decode", spec, stdin=encoded.out)
    assert (decoded.code, decoded.out, decoded.err) == (0, lines, "")


BINARY_SPECS = ["length", "length:varint", "length:<Q", "netstring", "cobs,max=1M",
                "slip,max=1M", "until-close", r"delimited:\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8,max=1M",
                "hdlc,max=1M", "stx-etx,max=1M", "stx-etx,transparent,max=1M",
                "cobs+crc32,max=1M"]


@pytest.mark.parametrize("spec", BINARY_SPECS)
def test_encode_whole_then_decode_raw_gives_any_binary_back(
    monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    data = random.Random(spec).randbytes(200_000) + b"\x00\n\r\xc0\xdb,:"
    encoded = run(monkeypatch, "encode", "--whole", spec, stdin=data)
    assert encoded.code == 0
    assert framing.codec_from_spec(spec).decode(encoded.out) == [data]
    decoded = run(monkeypatch, "decode", "--raw", spec, stdin=encoded.out)
    assert (decoded.code, decoded.out) == (0, data)


def test_decode_raw_writes_payloads_back_to_back(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "decode", "--raw", "netstring", stdin=b"2:ab,0:,3:cde,")
    assert result.out == b"abcde"


def test_encode_takes_crlf_and_an_unterminated_last_line(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "encode", "netstring", stdin=b"a\r\nbc\nlast")
    assert (result.code, result.out) == (0, b"1:a,2:bc,4:last,")


def test_encode_of_empty_input_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(monkeypatch, "encode", "length", stdin=b"").out == b""
    assert run(monkeypatch, "encode", "--whole", "length", stdin=b"").out == b"\x00" * 4


def test_decode_show_dumps_each_frame_with_its_place_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wire = b"\x00\x00\x00\x05hello" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x12" + bytes(range(18))
    result = run(monkeypatch, "decode", "--show", "length:!I", stdin=wire)
    assert result.code == 0
    assert result.out.decode() == (
        "frame 1 at byte 0: 9 wire bytes, 5-byte payload\n"
        "  0000  68 65 6c 6c 6f                                    |hello|\n"
        "frame 2 at byte 9: 4 wire bytes, 0-byte payload\n"
        "  (empty)\n"
        "frame 3 at byte 13: 22 wire bytes, 18-byte payload\n"
        "  0000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n"
        "  0010  10 11                                             |..|\n"
    )


def test_decode_show_counts_escapes_in_the_wire_length(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "decode", "--show", "slip", stdin=b"\xc0\xdb\xdcA\xc0")
    assert result.out.decode().splitlines()[0] == "frame 1 at byte 0: 5 wire bytes, 2-byte payload"


def test_bad_frame_exits_1_after_writing_the_messages_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(monkeypatch, "decode", "netstring", stdin=b"2:ok,3:bad!5:never,")
    assert result.code == 1
    assert result.out == b"ok\n"
    assert result.err == (
        "framing decode: error: bad frame after 1 message: "
        "netstring of 3 bytes is not followed by ','\n"
    )


def test_show_says_where_the_bad_frame_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "decode", "--show", "netstring", stdin=b"2:ok,0:,3:bad!")
    assert result.code == 1
    assert result.out.decode().splitlines()[2] == "frame 2 at byte 5: 3 wire bytes, 0-byte payload"
    assert result.err.startswith("framing decode: error: bad frame at byte 8 after 2 messages: ")


def test_resynchronising_styles_stop_at_the_first_bad_frame_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(monkeypatch, "decode", "cobs", stdin=b"\x02a\x00\x05ab\x00\x02b\x00")
    assert (result.code, result.out) == (1, b"a\n")
    assert result.err.startswith("framing decode: error: bad frame after 1 message: bad COBS")


def test_truncated_input_reports_the_partial_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "decode", "length:!I", stdin=b"\x00\x00\x00\x09abc")
    assert result.code == 1
    assert result.err.startswith("framing decode: error: bad frame after 0 messages: stream ended")
    assert result.err.rstrip().endswith("partial frame: 00 00 00 09 61 62 63 |....abc|")
    assert result.err.count("\n") == 1  # one line, no traceback


def test_hostile_length_header_is_refused_before_its_payload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(monkeypatch, "decode", "length:!I,max=1K", stdin=b"\x7f\xff\xff\xff")
    assert result.code == 1
    assert "exceeds max_length of 1024 bytes" in result.err


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("encode", "fixed:4"), b"abc\n", "input line 1: message of 3 bytes cannot be framed"),
        (("encode", "slip"), b"a\n\n", "input line 2: SLIP cannot frame an empty message"),
        (("encode", r"delimited:\,"), b"a,b\n", "input line 1: message of 3 bytes contains"),
        (("encode", "lines,max=3"), b"abc\nabcd\n", "input line 2: frame of 4 bytes exceeds"),
        (("encode", "until-close"), b"one\ntwo\n", "until-close frames one message per conn"),
        (("encode", "--whole", "cobs,max=10"), b"x" * 11, "input of more than 10 bytes exceeds"),
        (("encode", "--whole", "fixed:4"), b"abc", "message of 3 bytes cannot be framed"),
    ],
)
def test_input_that_cannot_be_framed_exits_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], stdin: bytes, message: str
) -> None:
    result = run(monkeypatch, *argv, stdin=stdin)
    assert result.code == 1
    assert result.err.startswith(f"framing encode: error: {message}")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("decode", "foo"), "argument SPEC: bad codec spec 'foo': unknown style 'foo'"),
        (("encode", "fixed:0"), "bad codec spec 'fixed:0': size must be at least 1, not 0"),
        (("decode", "--raw", "--show", "lines"), "not allowed with argument"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        ((), "the following arguments are required: COMMAND"),
        (("serve", "lines"), "the following arguments are required: --port"),
        (("serve", "lines", "--port", "http"), "'http' is not a port number"),
        (("send", "lines", "localhost", "99999"), "'99999' is not a port number"),
    ],
)
def test_usage_errors_exit_2_with_usage_and_message(
    monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], message: str
) -> None:
    result = run(monkeypatch, *argv)
    assert result.code == 2
    assert result.err.startswith("usage: framing")
    assert message in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("command", ["", "demo", "encode", "decode", "serve", "send"])
def test_help_everywhere_exits_0(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    result = run(monkeypatch, *([command] if command else []), "--help")
    assert result.code == 0
    assert result.out.startswith(b"usage: framing")
    if command not in ("demo",):
        assert b"SPEC is STYLE[:ARGUMENT][,OPTION...]" in result.out


def test_demo_round_trips_every_style_over_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "demo")
    text = result.out.decode()
    assert result.code == 0
    summary = text.split("Summary\n")[1].splitlines()
    assert [line.split()[0] for line in summary] == [
        "fixed", "lines", "delimited", "length-prefixed", "varint-prefixed", "MQTT", "until",
        "netstring", "COBS", "SLIP", "HDLC", "STX/ETX", "COBS",
    ]
    assert all("round-tripped" in line for line in summary)
    assert "\x1b[" not in text  # no colour when stdout is not a terminal
    # Headers really were split: the length-prefixed style needed a second read for its header.
    assert "recv   1 byte   00                                |.|" in text
    assert "need more (1 buffered)" in text
    assert "recv EOF -> feed_eof()" in text
    for error in ("FrameTooLarge: frame of 2147483647 bytes", "InvalidFrame: netstring",
                  "IncompleteFrame: stream ended 7 bytes"):
        assert error in text


def test_demo_is_coloured_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = TtyStringIO()
    assert _cli_demo.demo(out) == 0
    assert "\x1b[32mround-tripped\x1b[0m" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not Colour(TtyStringIO()).enabled


def test_demo_exits_1_when_a_style_does_not_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two until-close messages on one stream come back as one: not a round trip.
    monkeypatch.setattr(_cli_demo, "DEMO_STYLES", (("two in one", "until-close", (b"a", b"b")),))
    out = TtyStringIO()
    assert _cli_demo.demo(out) == 1
    assert "\x1b[31mFAILED\x1b[0m" in out.getvalue()


def test_demo_reports_a_decoder_error_as_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # A receiver whose limit is below what the sender sends: FrameTooLarge, shown in the run.
    monkeypatch.setattr(_cli_demo, "DEMO_STYLES", (("limits", "lines", (b"x" * 20,)),))
    original = _cli_demo.codec_from_spec

    class Mismatched:
        def __init__(self) -> None:
            self.sender = original("lines")
            self.receiver = original("lines,max=10")

        def encode(self, message: bytes) -> bytes:
            return self.sender.encode(message)

        def decoder(self) -> Any:
            return self.receiver.decoder()

    def patched(spec: str) -> Any:
        return Mismatched() if spec == "lines" else original(spec)

    monkeypatch.setattr(_cli_demo, "codec_from_spec", patched)
    out = io.StringIO()
    assert _cli_demo.demo(out) == 1
    assert "FAILED FrameTooLarge: frame of" in out.getvalue()


def test_python_dash_m_framing_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "framing", "encode", "netstring"],
        input=b"hi\n", capture_output=True, timeout=60, check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"2:hi,", b"")


# ---------------------------------------------------------------------------
# the terminal helpers
# ---------------------------------------------------------------------------


def test_progress_is_drawn_only_on_a_terminal_after_the_delay() -> None:
    now = [0.0]
    stream = TtyStringIO()
    progress = Progress(stream, 8 * 2**20, clock=lambda: now[0], delay=0.5, interval=0.1)
    progress.update(2**20)  # too early: short inputs never show a bar
    assert stream.getvalue() == ""
    now[0] = 1.0
    progress.update(4 * 2**20)
    bar = "[#############.............]  50%"
    assert stream.getvalue() == f"\r{bar}   4.0 MiB of 8.0 MiB, 4.0 MiB/s"
    now[0] = 1.05
    progress.update(5 * 2**20)  # within the redraw interval: nothing new
    assert stream.getvalue().count("\r") == 1
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K")
    progress.finish()  # erasing twice writes nothing more
    assert stream.getvalue().count("\x1b[K") == 1


def test_progress_without_a_total_shows_bytes_and_rate() -> None:
    now = [0.0]
    stream = TtyStringIO()
    progress = Progress(stream, None, clock=lambda: now[0], delay=0.0)
    now[0] = 2.0
    progress.update(3 * 2**20)
    assert stream.getvalue() == "\r3.0 MiB, 1.5 MiB/s"


def test_progress_is_silent_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, 10, clock=lambda: 100.0, delay=0.0)
    progress.update(5)
    progress.finish()
    assert stream.getvalue() == ""


def test_decode_of_a_large_file_draws_progress_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    path = tmp_path / "frames.bin"
    codec = framing.codec_from_spec("length")
    path.write_bytes(codec.encode(b"x" * 100_000) * 10)
    monkeypatch.setattr(framing.cli, "Progress", lambda stream, total: Progress(
        stream, total, delay=0.0, interval=0.0))
    err = TtyStringIO()
    with path.open("rb") as stdin_file:
        assert input_size(stdin_file) == path.stat().st_size
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin_file))
        out = io.BytesIO()
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, write_through=True))
        monkeypatch.setattr(sys, "stderr", err)
        assert main(["decode", "--raw", "length"]) == 0
    assert out.getvalue() == b"x" * 1_000_000
    assert "100%" in err.getvalue()
    assert err.getvalue().endswith("\r\x1b[K")


def test_input_size_is_unknown_for_pipes_and_memory() -> None:
    assert input_size(io.BytesIO(b"abc")) is None  # type: ignore[arg-type]
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "wb"):
        assert input_size(reader) is None


def test_dumps() -> None:
    assert hexdump(b"") == []
    assert hexdump(b"\x00" * 17)[1] == "0010  00" + " " * 48 + "|.|"
    assert hex_ascii(b"abc", limit=2) == "61 62 ...  |ab|"


class _Pipe(io.RawIOBase):
    """A reader that hands out one small piece per read, like a pipe from a slow producer."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pieces:
            return 0
        piece = self._pieces.pop(0)
        buffer[: len(piece)] = piece
        return len(piece)


def test_decode_streams_messages_as_the_input_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = [b"\x00\x00", b"\x00\x02h", b"i\x00\x00\x00", b"\x01!"]
    writes: list[bytes] = []

    class Out(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            writes.append(bytes(data))
            return len(data)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(_Pipe(pieces))))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(Out())))
    assert main(["decode", "length"]) == 0
    # Each message reached stdout before the next piece was read.
    assert writes == [b"hi\n", b"!\n"]


@pytest.fixture
def closed_pipe() -> Iterator[io.TextIOWrapper]:
    """A real pipe for stdout, its reader gone before the command writes a byte.

    (The test sets it as ``sys.stdout``: pytest's capture resets ``sys.stdout``
    between a fixture's setup and the test.)
    """
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = open(write_end, "w")  # noqa: SIM115 - closed below, after the command
    yield stdout
    stdout.close()  # no "Exception ignored ... BrokenPipeError": stdout now goes to /dev/null


@pytest.mark.parametrize(
    "argv",
    [["encode", "netstring"], ["encode", "--whole", "cobs"], ["decode", "netstring"],
     ["decode", "--raw", "netstring"], ["decode", "--show", "netstring"], ["demo"],
     ["--version"], ["encode", "--help"]],
)
def test_a_closed_stdout_pipe_exits_1_quietly(
    monkeypatch: pytest.MonkeyPatch, closed_pipe: io.TextIOWrapper, argv: list[str]
) -> None:
    stdin = b"1:a," if argv[0] == "decode" else b"a\n"
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    monkeypatch.setattr(sys, "stdout", closed_pipe)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(argv) == 1
    assert err.getvalue() == ""
    closed_pipe.write("flushed at exit")
    closed_pipe.flush()  # what is left in the buffer goes to /dev/null, not to a closed pipe


class _BrokenPipe(io.RawIOBase):
    """A stdout without a file descriptor whose reader has gone."""

    def __init__(self, accept: int = 0) -> None:
        self.accept = accept  # bytes taken before the pipe breaks, as a short write

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.accept:
            taken, self.accept = min(self.accept, len(data)), 0
            return taken
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_on_stdout_without_a_descriptor_exits_1_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    err = io.StringIO()
    stdout = io.TextIOWrapper(io.BufferedWriter(_BrokenPipe()))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"1:a,")))
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["decode", "netstring"]) == 1
    assert err.getvalue() == ""
    stdout.buffer.raw.write = lambda data: len(data)  # type: ignore[method-assign]
    stdout.close()  # closed here, not by the garbage collector with an unraisable error


def test_a_short_write_goes_on_with_the_rest_and_meets_the_broken_pipe() -> None:
    raw = _BrokenPipe(accept=3)
    out = Output(raw)  # type: ignore[arg-type]
    with pytest.raises(OutputClosed, match="went away"):
        out.write(b"hello")


def test_a_stdout_that_takes_nothing_is_not_written_to_forever() -> None:
    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            return 0

    with pytest.raises(OutputClosed, match="stdout took 0 of 5 bytes"):
        Output(Full()).write(b"hello")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """5 MB inputs, far more than a pipe holds, for each way of writing stdout."""
    folder = tmp_path_factory.mktemp("big")
    data = random.Random(5).randbytes(5_000_000)
    lines = b"".join(b"line %d\n" % n for n in range(500_000))
    files = {
        "bytes": data,
        "lines": lines,
        "cobs": framing.codec_from_spec("cobs,max=8M").encode(data),
        "frames": framing.codec_from_spec("length").encode(b"x" * 100) * 50_000,
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in files}


@pytest.mark.parametrize(
    ("argv", "input_name"),
    [
        (["encode", "--whole", "cobs,max=8M"], "bytes"),
        (["encode", "length"], "lines"),
        (["decode", "cobs,max=8M"], "cobs"),
        (["decode", "--raw", "cobs,max=8M"], "cobs"),
        (["decode", "--show", "length"], "frames"),
        (["decode", "length"], "frames"),
    ],
)
def test_a_reader_that_closes_early_makes_every_mode_exit_1_quietly(
    big_inputs: dict[str, Path], argv: list[str], input_name: str
) -> None:
    # `framing ... | head -c 10`: the reader takes 10 bytes and closes the pipe.
    with big_inputs[input_name].open("rb") as stdin, subprocess.Popen(
        [sys.executable, "-m", "framing", *argv],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert len(process.stdout.read(10)) == 10
        process.stdout.close()
        try:
            _, err = process.communicate(timeout=60)
        finally:
            process.kill()  # a no-op once it has exited
    assert (process.returncode, err) == (1, b"")


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli_demo, "demo", interrupted)
    assert run(monkeypatch, "demo").code == 130


def test_a_demo_that_fails_says_why_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_loopback(*args: Any, **kwargs: Any) -> int:
        raise OSError(99, "Cannot assign requested address")

    monkeypatch.setattr(_cli_demo, "demo", no_loopback)
    result = run(monkeypatch, "demo")
    assert (result.code, result.err) == (
        1, "framing demo: error: [Errno 99] Cannot assign requested address\n"
    )


def test_bench_is_not_a_subcommand_the_harness_lives_in_the_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(monkeypatch, "bench")
    assert result.code == 2
    assert "invalid choice: 'bench'" in result.err


# ---------------------------------------------------------------------------
# --version
# ---------------------------------------------------------------------------


def test_version_is_the_installed_distributions(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def installed(name: str) -> str:
        asked.append(name)
        if name == "framing-codecs":
            return "9.8.7"
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", installed)
    result = run(monkeypatch, "--version")
    assert (result.code, result.out, result.err) == (0, b"framing 9.8.7\n", "")
    assert asked == ["framing-codecs"]


def test_version_falls_back_to_the_old_name_then_to_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = {"framing": "1.2.3"}

    def version(name: str) -> str:
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]

    monkeypatch.setattr(importlib.metadata, "version", version)
    assert run(monkeypatch, "--version").out == b"framing 1.2.3\n"
    installed.clear()
    assert run(monkeypatch, "--version").out == f"framing {framing.__version__}\n".encode()


def test_python_dash_m_framing_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "framing", "--version"],
        capture_output=True, timeout=60, check=False,
    )
    assert (done.returncode, done.stderr) == (0, b"")
    assert re.fullmatch(rb"framing \d+\.\d+\S*\n", done.stdout)


# ---------------------------------------------------------------------------
# a limit that is hit says how to raise it
# ---------------------------------------------------------------------------


def test_whole_input_over_the_limit_says_how_to_raise_it(
    monkeypatch: pytest.MonkeyPatch, big_inputs: dict[str, Path]
) -> None:
    # From a file, whose size is known: a limit that fits it.
    with big_inputs["bytes"].open("rb") as stdin_file:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin_file))
        err = io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        assert main(["encode", "--whole", "cobs"]) == 1
    assert err.getvalue() == (
        "framing encode: error: input of 5000000 bytes exceeds max_length of 65536 bytes; "
        "raise the limit with max=SIZE in the spec, as in cobs,max=8M\n"
    )
    # From a pipe, read only up to the limit: a limit well above it.
    result = run(monkeypatch, "encode", "--whole", "cobs,max=10", stdin=b"x" * 11)
    assert result.err == (
        "framing encode: error: input of more than 10 bytes exceeds max_length of 10 bytes; "
        "raise the limit with max=SIZE in the spec, as in cobs,max=1K\n"
    )


@pytest.mark.parametrize("mode", [[], ["--raw"], ["--show"]])
def test_a_frame_over_the_limit_says_how_to_raise_it_in_every_mode(
    monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    result = run(monkeypatch, "decode", *mode, "length:!I,max=1K", stdin=b"\x00\x50\x00\x00")
    assert result.code == 1
    assert result.err.endswith(
        "frame of 5242880 bytes exceeds max_length of 1024 bytes; "
        "raise the limit with max=SIZE in the spec, as in 'length:!I,max=8M'\n"
    )


@pytest.mark.parametrize(
    ("argv", "stdin", "hint"),
    [
        # a delimited frame: only what came before the limit is known
        (["decode", "lines,max=4"], b"abcdefgh\n", "as in lines,max=256"),
        (["decode", r"delimited:\,,max=4"], b"abcdefgh,", r"as in 'delimited:\,,max=256'"),
        (["encode", "lines,max=3"], b"abcd\n", "as in lines,max=256"),
        # a netstring declares its length; the exact figure when no power of two fits
        (["decode", "netstring,max=1K"], b"5000:", "as in netstring,max=8K"),
        (["decode", "length:>H,max=1K"], b"\xff\xff", "as in 'length:>H,max=65535'"),
        # a limit that max= cannot raise
        (["encode", "length:B"], b"x" * 300 + b"\n", "max= cannot raise it: max_length of "
         "256 bytes is more than the header 'B' can declare (255 bytes)"),
        (["encode", "fixed:4"], b"abcdef\n", "max= cannot raise it: fixed takes no max="),
    ],
)
def test_the_hint_fits_the_style(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: bytes, hint: str
) -> None:
    result = run(monkeypatch, *argv, stdin=stdin)
    assert result.code == 1
    assert hint in result.err
    assert result.err.count("\n") == 1


# ---------------------------------------------------------------------------
# counts: one byte, two bytes
# ---------------------------------------------------------------------------


def test_counts_of_one_are_singular(monkeypatch: pytest.MonkeyPatch) -> None:
    show = run(monkeypatch, "decode", "--show", "lines", stdin=b"\n")
    assert show.out.decode().splitlines()[0] == "frame 1 at byte 0: 1 wire byte, 0-byte payload"
    whole = run(monkeypatch, "encode", "--whole", "cobs,max=1", stdin=b"ab")
    assert whole.err.startswith(
        "framing encode: error: input of more than 1 byte exceeds max_length of 1 byte;"
    )
    monkeypatch.setattr(_cli_demo, "DEMO_STYLES", (("one", "fixed:1", (b"x",)),))
    out = io.StringIO()
    assert _cli_demo.demo(out) == 0
    assert "  wire  1 byte\n" in out.getvalue()
    assert out.getvalue().rstrip().endswith("round-tripped  1 message, 1 wire byte, 1 read")


# ---------------------------------------------------------------------------
# the SPEC help
# ---------------------------------------------------------------------------

SPEC_COMMANDS = ["encode", "decode", "serve", "send"]


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_help_lists_every_spelling_of_a_spec(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    text = run(monkeypatch, command, "--help").out.decode()
    words = set(re.split(r"[\s,;()]+", text))
    for header in ("!I", ">H", "B", "<Q", "varint", "uvarint", "mqtt", "Int24ub"):
        assert header in words, header
    for option in ("max=SIZE", "offset=N", "adjust=N"):
        assert option in text, option
    for flag in ("includes-header", "keep-header", "discard-oversized", "unterminated",
                 "no-leading-end", "crlf"):
        assert flag in words, flag
    for synopsis in STYLES.values():
        assert f"  {synopsis}\n" in text
    assert 'option  := "max=" SIZE | "offset=" N | "adjust=" [-]N | flag' in text
    assert "length:mqtt,offset=1       MQTT's fixed header" in text
    assert "``" not in text  # the docstring's markup is gone


def test_every_spelling_the_help_names_is_one_the_parser_takes() -> None:
    for header in LENGTH_HEADERS:
        framing.codec_from_spec(f"length:{header}")
    for flag in LENGTH_FLAGS:
        framing.codec_from_spec(f"length,{flag}")
    for spec, _ in messages._table(spec_module.__doc__ or ""):
        framing.codec_from_spec(spec)


def test_help_without_docstrings_still_lists_the_styles_and_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spec_module, "__doc__", None)  # as under python -OO
    text = run(monkeypatch, "decode", "--help").out.decode()
    assert "SPEC is STYLE[:ARGUMENT][,OPTION...]:\n\nStyles:\n  fixed:SIZE\n" in text
    assert "a varint: varint, uvarint, mqtt;" in " ".join(text.split())
    assert "Examples:" not in text


def test_top_level_help_is_the_short_list(monkeypatch: pytest.MonkeyPatch) -> None:
    text = run(monkeypatch, "--help").out.decode()
    assert "--version" in text
    assert "The --help of\nencode, decode, serve and send lists every spelling." in text
    assert "Examples:" not in text


@pytest.mark.parametrize(
    ("spec", "without"),
    [
        ("cobs,max=10", "cobs"),
        ("lines, MAX = 4 ,crlf", "lines,crlf"),
        ("lines,max_length=4", "lines"),
        (r"delimited:\,max=3,max=5", r"delimited:\,max=3"),  # the first is the delimiter
        (r"delimited:\\,max=3", r"delimited:\\"),  # an escaped backslash, then an option
    ],
)
def test_the_hint_replaces_the_max_option_of_the_spec(spec: str, without: str) -> None:
    assert messages._without_max(spec) == without
