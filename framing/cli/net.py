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
input is what ends the conversation. Both are built on ``FramedSocket``.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterable
from typing import BinaryIO, TextIO

from ..adapters.socket import FramedSocket, connect
from ..codecs.until_close import UntilClose
from ..core.codec import Codec
from ..errors import FramingError
from .stream import CommandError, MessageWriter, input_lines

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
) -> int:
    """Accept clients one at a time; print (and echo) each message. Returns with ``once``."""
    log = log or sys.stderr
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family) as listener:
        where = _address(listener.getsockname())
        print(f"framing serve: listening on {where} for {codec!r}", file=log, flush=True)
        while True:
            conn, peer = listener.accept()
            print(f"framing serve: {_address(peer)} connected", file=log, flush=True)
            outcome = _serve_client(FramedSocket(conn, codec), writer, echo)
            print(f"framing serve: {_address(peer)} {outcome}", file=log, flush=True)
            if once:
                return 0 if outcome == "closed" else 1


def _serve_client(stream: FramedSocket, writer: MessageWriter, echo: bool) -> str:
    """Print every message of one client until it closes; how the connection ended."""
    with stream:
        try:
            for message in stream:  # ends at the client's clean EOF
                writer.write(message)
                writer.flush()
                if echo:
                    stream.send(message)  # until-close: this also half-closes
        except FramingError as error:  # a bad frame: report it, serve the next client
            return f"sent a bad frame: {type(error).__name__}: {error}"
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
    """Send ``messages`` (else stdin lines), half-close, print replies until the server closes."""
    try:
        stream = connect((host, port), codec, timeout=timeout)
    except OSError as error:
        raise CommandError(f"cannot connect to {host}:{port}: {_reason(error)}") from None
    with stream:
        replies = _Replies(stream, writer)
        if messages:
            if isinstance(codec, UntilClose) and len(messages) > 1:
                raise CommandError("until-close carries one message per connection")
            batches: Iterable[list[bytes]] = [[os.fsencode(m) for m in messages]]
        else:
            batches = input_lines(stdin or sys.stdin.buffer, codec)
        replies.start()
        try:
            for batch in batches:
                stream.send_many(batch)
            stream.shutdown_write()  # our EOF: the server answers, then closes
        except OSError:
            # The server went away; what it sent before is the better explanation.
            replies.join()
            if replies.error is None:
                raise
        replies.join()  # the server closes when it has answered everything
        if replies.error is not None:
            raise replies.error
    return 0


class _Replies(threading.Thread):
    """Prints each reply as it arrives, while the main thread is still sending."""

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
        except (FramingError, OSError) as error:
            self.error = error


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _address(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)  # pragma: no cover - AF_UNIX and friends
