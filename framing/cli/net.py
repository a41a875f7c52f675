"""``framing serve`` and ``framing send``: a netcat for framed protocols.

In one terminal::

    $ framing serve length:!I --port 5000 --echo
    framing serve: listening on 127.0.0.1:5000 for LengthPrefixed(header='!I', ...)

and in another::

    $ framing send length:!I 127.0.0.1 5000 hello world
    hello
    world

``send`` sends its MESSAGE arguments (or each line of stdin), shuts down its
sending side, and prints every reply until the server closes: the end of its
input is what ends the conversation. It frames every MESSAGE (or the first
chunk of stdin) before it connects, so a message the style cannot carry is
an error with nothing sent. Both are built on ``FramedSocket``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import sys
import threading
from collections.abc import Generator, Iterator
from typing import BinaryIO, TextIO

from ..adapters.socket import FramedSocket, connect
from ..codecs.until_close import UntilClose
from ..core.codec import Codec
from ..errors import FrameTooLarge, FramingError
from .messages import limit_hint
from .stream import CommandError, MessageWriter, OutputClosed, TooLarge, frame_lines, input_lines

__all__ = ["send", "serve"]


def serve(
    codec: Codec,
    host: str,
    port: int,
    writer: MessageWriter,
    *,
    echo: bool,
    once: bool,
    log: TextIO | None = None,
    spec: str | None = None,
) -> int:
    """Accept clients one at a time; print (and echo) each message. Returns with ``once``.

    ``spec``, the codec's spec, lets the log say how to raise a limit a client hit.
    """
    log = log or sys.stderr
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family) as listener:
        where = _address(listener.getsockname())
        print(f"framing serve: listening on {where} for {codec!r}", file=log, flush=True)
        while True:
            conn, peer = listener.accept()
            with FramedSocket(conn, codec) as stream:
                print(f"framing serve: {_address(peer)} connected", file=log, flush=True)
                outcome = _serve_client(stream, writer, echo, spec)
            print(f"framing serve: {_address(peer)} {outcome}", file=log, flush=True)
            if once:
                return 0 if outcome == "closed" else 1


def _serve_client(stream: FramedSocket, writer: MessageWriter, echo: bool, spec: str | None) -> str:
    """Print every message of one client until it closes; how the connection ended.

    A failing stdout (``OutputClosed``) is not the client's doing: it ends ``serve``.
    """
    try:
        for message in stream:  # ends at the client's clean EOF
            writer.write(message)
            writer.flush()
            if echo:
                stream.send(message)  # until-close: this also half-closes
    except FramingError as error:  # a bad frame: report it, serve the next client
        hint = ""
        if isinstance(error, FrameTooLarge) and spec is not None:
            too_large = TooLarge.of(error, stream.codec)
            hint = limit_hint(spec, too_large.length, too_large.max_length, exact=too_large.exact)
        return f"sent a bad frame: {type(error).__name__}: {error}{hint}"
    except OSError as error:
        return f"connection failed: {error}"
    return "closed"


def send(
    codec: Codec,
    host: str,
    port: int,
    messages: list[str],
    writer: MessageWriter,
    timeout: float,
    stdin: BinaryIO | None = None,
) -> int:
    """Send ``messages`` (else stdin lines), half-close, print replies until the server closes.

    Every MESSAGE is framed before connecting; so are the lines of the first
    chunk of stdin (the rest may not have been written yet). A bad line later
    on ends the input there: the lines before it are sent and answered, then
    the error is raised. No thread outlives the call.
    """
    with contextlib.closing(_frames(codec, messages, stdin or sys.stdin.buffer)) as frames:
        first = next(frames)  # every MESSAGE, or stdin's first chunk: checked before connecting
        try:
            stream = connect((host, port), codec, timeout=timeout)
        except OSError as error:
            raise CommandError(f"cannot connect to {host}:{port}: {_reason(error)}") from None
        with stream:
            return _converse(stream, itertools.chain([first], frames), writer)


def _frames(codec: Codec, messages: list[str], stdin: BinaryIO) -> Generator[bytes, None, None]:
    """The wire bytes to send: every MESSAGE at once, or each chunk of stdin's lines.

    Raises ``CommandError`` at a message that cannot be framed: at once for
    the MESSAGEs and stdin's first chunk (before ``send`` connects), else
    after yielding the frames of the lines before it in its chunk.
    """
    if messages:
        if isinstance(codec, UntilClose) and len(messages) > 1:
            raise CommandError("until-close carries one message per connection")
        wire, error = frame_lines(codec, [os.fsencode(m) for m in messages], 1, "MESSAGE")
        if error is not None:
            raise error
        yield wire
        return
    lines = 0  # lines framed so far
    with contextlib.closing(input_lines(stdin, codec)) as batches:
        for chunk, batch in enumerate(batches):
            wire, error = frame_lines(codec, batch, lines + 1)
            if error is not None and chunk == 0:  # not connected yet: nothing is sent
                raise error
            yield wire  # after a bad line, the lines before it
            if error is not None:
                raise error
            lines += len(batch)


def _converse(stream: FramedSocket, frames: Iterator[bytes], writer: MessageWriter) -> int:
    """Send ``frames`` while a thread prints the replies; half-close; wait for the server."""
    replies = _Replies(stream, writer)
    replies.start()
    bad_input: CommandError | None = None
    try:
        try:
            for wire in frames:
                stream.socket.sendall(wire)
        except CommandError as error:  # a bad line: the input ends before it
            bad_input = error
        stream.shutdown_write()  # our EOF: the server answers, then closes
    except OSError as error:
        # The server went away (or the replies failed and shut the socket down):
        # what the replies say is the better explanation.
        replies.join()
        if replies.error is None:
            raise CommandError(f"sending failed: {_reason(error)}") from None
    except BaseException:  # an interrupt, say: wake the reply thread, leave no thread behind
        _shut_down(stream.socket)
        replies.join()
        raise
    replies.join()  # the server closes when it has answered everything
    if replies.error is not None:
        raise replies.error
    if bad_input is not None:
        raise bad_input
    return 0


class _Replies(threading.Thread):
    """Prints each reply as it arrives, while the main thread is still sending.

    When the replies end in an error (a bad frame, a timeout, stdout gone) it
    shuts the socket down, so that the main thread's next send fails at once
    instead of sending on to no purpose.
    """

    def __init__(self, stream: FramedSocket, writer: MessageWriter) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._writer = writer
        self.error: Exception | None = None  # what ended the replies, if not a clean close

    def run(self) -> None:
        try:
            for reply in self._stream:
                self._writer.write(reply)
                self._writer.flush()
        except TimeoutError:
            self.error = CommandError("no reply from the server before the --timeout")
        except (FramingError, OSError, OutputClosed) as error:
            self.error = error
        if self.error is not None:
            _shut_down(self._stream.socket)


def _shut_down(sock: socket.socket) -> None:
    """Shut both directions down (waking a thread blocked in ``recv``); errors ignored."""
    with contextlib.suppress(OSError):  # already reset, or closed by the peer
        sock.shutdown(socket.SHUT_RDWR)


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _address(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)  # pragma: no cover - AF_UNIX and friends
