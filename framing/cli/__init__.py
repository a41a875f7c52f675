"""The ``framing`` command line (also ``python -m framing``).

::

    framing --version                            the installed version
    framing demo                                 every style over loopback, in pieces
    framing encode SPEC [--whole]                stdin lines (or all of it) -> frames
    framing decode SPEC [--raw | --show]         frames on stdin -> messages
    framing serve SPEC [--host H] --port P [--echo] [--once] [--raw | --show]
                                                 print (and echo) what clients send
    framing send SPEC HOST PORT [MESSAGE ...] [--timeout S] [--raw | --show]
                                                 send messages (or stdin lines), print replies

SPEC names a framing style, as ``framing.codec_from_spec`` reads it:
``length:!I``, ``length:varint,max=1M``, ``lines``, ``lines:crlf``,
``delimited:\\r\\n\\r\\n``, ``fixed:16``, ``netstring``, ``cobs``, ``slip``,
``until-close``; each subcommand's ``--help`` lists every spelling.

Exit status: 0 ok, 2 usage (a bad SPEC, a bad option), 1 a framing or
connection error, reported in one line on stderr (with how to raise the
limit when a message is over ``max_length``), or a reader of stdout that went
away (``| head``), which is not reported.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..codecs.spec import codec_from_spec
from ..core.codec import Codec
from ..errors import FrameTooLarge, FramingError
from .console import Progress, input_size
from .messages import limit_hint, spec_help, spec_summary
from .stream import CommandError, MessageWriter, Output, OutputClosed, TooLarge, decode, encode

__all__ = ["main"]

#: The distributions ``--version`` looks for, newest name first.
DISTRIBUTIONS = ("framing-codecs", "framing")

_SPEC_ARG = "the framing style, such as length:!I or lines (see below)"


class Spec(NamedTuple):
    """A SPEC argument: its text (for hints) and the codec it names."""

    text: str
    codec: Codec


def _spec(text: str) -> Spec:
    """argparse type: a codec spec, or a usage error that says what is wrong."""
    try:
        return Spec(text, codec_from_spec(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def version() -> str:
    """The installed distribution's version, else the package's ``__version__``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    for name in DISTRIBUTIONS:
        try:
            return installed(name)
        except PackageNotFoundError:
            continue
    from .. import __version__

    return __version__


class _Version(argparse.Action):
    """``--version``: ``framing 0.1.0`` on stdout, status 0 (looked up only when asked)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"framing {version()}")
        parser.exit()


def _port(text: str) -> int:
    """argparse type: a TCP port number."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="framing",
        description=textwrap.fill(
            "Message framing codecs: see what crosses the wire, frame and unframe streams, "
            "talk to framed services. Each COMMAND has its own --help.",
            79,
        ),
        epilog=spec_summary(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    full_help = spec_help()

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=textwrap.fill(description, 79),
            epilog=full_help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    commands.add_parser(
        "demo",
        help="every framing style over loopback TCP, sent in pieces",
        description="For every framing style: send a few messages over loopback TCP in "
        "deliberately small pieces, show the wire bytes, each partial read and the decoded "
        "messages, and say whether they round-tripped (exit 0 only if all did).",
    )

    encode = command(
        "encode",
        "frame stdin: one message per line, or all of it",
        "Frame stdin to stdout: one message per input line (without its \\n or \\r\\n), or "
        "all of stdin as one message with --whole.",
    )
    encode.add_argument("spec", metavar="SPEC", type=_spec, help=_SPEC_ARG)
    encode.add_argument("--whole", action="store_true", help="all of stdin is one message")

    decode = command(
        "decode",
        "unframe stdin: each message, then a newline",
        "Decode the frames on stdin: write each message followed by a newline, the bare "
        "payloads back to back (--raw), or each frame's position, length and a hex/ASCII dump "
        "(--show). Stops with status 1 at the first bad frame, after the messages before it.",
    )
    decode.add_argument("spec", metavar="SPEC", type=_spec, help=_SPEC_ARG)
    _output_modes(decode)

    serve = command(
        "serve",
        "listen, print every message clients send (--echo: send it back)",
        "Listen on HOST:PORT and print every message each client sends, one client at a "
        "time; with --echo send each message back. Port 0 picks a free port (printed on "
        "stderr).",
    )
    serve.add_argument("spec", metavar="SPEC", type=_spec, help=_SPEC_ARG)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, required=True, help="port to listen on")
    serve.add_argument("--echo", action="store_true", help="send every message back")
    serve.add_argument("--once", action="store_true", help="exit after the first client")
    _output_modes(serve)

    send = command(
        "send",
        "send messages to a framed service, print its replies",
        "Connect to HOST PORT, send each MESSAGE (or each line of stdin when none is "
        "given), then shut down the sending side and print every reply until the server "
        "closes. Every MESSAGE is framed before connecting: one the style cannot carry is "
        "an error with nothing sent.",
    )
    send.add_argument("spec", metavar="SPEC", type=_spec, help=_SPEC_ARG)
    send.add_argument("host", metavar="HOST")
    send.add_argument("port", metavar="PORT", type=_port)
    send.add_argument("messages", metavar="MESSAGE", nargs="*", help="messages to send")
    send.add_argument("--timeout", type=float, default=10.0, help="seconds to wait (10)")
    _output_modes(send)
    return parser


def _output_modes(parser: argparse.ArgumentParser) -> None:
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--raw", dest="mode", action="store_const", const="raw", help="payloads back to back"
    )
    modes.add_argument(
        "--show",
        dest="mode",
        action="store_const",
        const="show",
        help="each frame's length and a hex/ASCII dump",
    )
    parser.set_defaults(mode="lines")


def _run(args: argparse.Namespace) -> int:
    stdout = Output(sys.stdout.buffer)
    if args.command == "demo":
        from .demo import demo

        with _text_output(stdout) as text:
            status = demo(text)
        stdout.flush()
        return status
    stdin, codec = sys.stdin.buffer, args.spec.codec
    if args.command == "encode":
        progress = Progress(sys.stderr, input_size(stdin))
        try:
            encode(codec, stdin, stdout, progress, whole=args.whole)
        finally:
            progress.finish()
            stdout.flush()
        return 0
    writer = MessageWriter(stdout, args.mode)
    if args.command == "decode":
        progress = Progress(sys.stderr, input_size(stdin))
        try:
            decode(codec, stdin, writer, progress, flush=not stdout.seekable())
        finally:
            progress.finish()
            stdout.flush()
        return 0
    from .net import send, serve  # sockets are imported only for these two

    if args.command == "serve":
        return serve(
            codec, args.host, args.port, writer, echo=args.echo, once=args.once, spec=args.spec.text
        )
    return send(codec, args.host, args.port, args.messages, writer, args.timeout)


class _RawOutput(io.RawIOBase):
    """The bytes of a text stream, handed whole to an ``Output``."""

    name = "<stdout>"

    def __init__(self, out: Output, tty: bool) -> None:
        self._out = out
        self._tty = tty

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._out.write(bytes(data))
        return len(data)

    def isatty(self) -> bool:
        return self._tty


def _text_output(out: Output) -> io.TextIOWrapper:
    """sys.stdout's text layer, its bytes going through ``out`` (a terminal stays one)."""
    return io.TextIOWrapper(
        _RawOutput(out, sys.stdout.isatty()),
        encoding=sys.stdout.encoding,
        errors=sys.stdout.errors,
        write_through=True,  # nothing held back: a failure happens within the command
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit:  # --help (0) or a usage error (2, message already printed)
            status = int(exit.code or 0)
        else:
            status = _run_reporting_errors(args)
        sys.stdout.flush()  # what --help and --version printed: a failure is caught here
    except BrokenPipeError:
        _silence_stdout()
        return 1
    return status


def _run_reporting_errors(args: argparse.Namespace) -> int:
    """Run a parsed command; a failure is one line on stderr and status 1."""
    try:
        return _run(args)
    except OutputClosed:  # the reader of stdout went away (| head): stop quietly
        _silence_stdout()
        return 1
    except (CommandError, FramingError, OSError) as error:
        message = f"{_one_line(error)}{_hint(getattr(args, 'spec', None), error)}"
        print(f"framing {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _hint(spec: Spec | None, error: BaseException) -> str:
    """How to raise the limit, when ``error`` is about one."""
    if spec is None:  # demo
        return ""
    if isinstance(error, CommandError):
        too_large = error.too_large
    elif isinstance(error, FrameTooLarge):  # a reply to send
        too_large = TooLarge.of(error, spec.codec)
    else:
        return ""
    if too_large is None:
        return ""
    return limit_hint(spec.text, too_large.length, too_large.max_length, exact=too_large.exact)


def _one_line(error: BaseException) -> str:
    return " ".join((str(error) or type(error).__name__).split())


def _silence_stdout() -> None:
    """Point stdout's descriptor at /dev/null, so that the interpreter's last flush of
    what is still buffered cannot fail again ("Exception ignored ... BrokenPipeError").

    The Python documentation's "Note on SIGPIPE" does the same.
    """
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # a stdout without a descriptor (a test's, say)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
