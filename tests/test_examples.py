"""Every reference example runs its demo and shows what it promises, failure path included.

The demos run in-process (``main([])``) so coverage counts them; the
``--serve``/``--connect`` pair runs once in two real processes.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

import pytest

import framing
import framing.aio
from framing.examples import EXAMPLES, _runner, process_per_client

# What each demo must print (each line a fragment of one output line).
EXPECTED: dict[str, list[str]] = {
    "fixed_length": [
        "client: sent 22.5, average so far 22.50",
        "client: sent 21.0, average so far 22.17",
        "client: sent 5 bytes of an 8-byte record, then closed",
        "server: connection closed mid-record; partial=00 00 00 07 41",
    ],
    "line_chat": [
        "client: greeting: HELLO",
        "client: 'GET colour' -> 'blue'",
        "server: too long: frame of",
        "client: 'XXXXXXXXXX... (500 bytes)' -> 'ERR line longer than 100 bytes'",
        "client: 'QUIT' -> 'BYE'",
    ],
    "length_prefixed": [
        "client: {'op': 'add', 'args': [2, 3]} -> {'result': 5}",
        "client: {'op': 'mul', 'args': [6, 7]} -> {'result': 42}",
        "server: refused a frame (frame of 2147483647 bytes exceeds max_length of 65536 bytes)",
        "client: the server closed the connection: no reply",
    ],
    "until_close": [
        r"client: b'GET /hello HTTP/1.0\r\n\r\n' -> b'HTTP/1.0 200 OK\r\n\r\nHello, world!\n'",
        r"client: b'GET /nothing HTTP/1.0\r\n\r\n' -> b'HTTP/1.0 404 Not Found\r\n\r\n'",
        r"client: b'GET /hel' -> b'HTTP/1.0 400 Bad Request",
    ],
    "netstrings": [
        "client: sent b'12:hello world!,', got back b'!dlrow olleh'",
        "client: sent b'0:,', got back b''",
        "server: bad netstring (netstring of 3 bytes is not followed by ',')",
        "client: the server closed the connection",
    ],
    "cobs_packets": [
        "client: sending 11 22 00 33 as 03 11 22 02 33 00",
        "client: sending (empty) as 01 00",
        "server: corrupted packet (bad COBS frame",
        "client: reply NAK",
        "client: the next packet is fine: reply ACK",
    ],
    "slip_packets": [
        "client: sending 01 c0 db as c0 01 db dc db dd c0",
        "client: echo 01 c0 db",
        "client: cannot send an empty packet",
        "server: corrupted packet skipped (bad escape",
        "client: the next packet still arrives: echo 02",
    ],
    "hdlc_link": [
        "client: echo-request id=1 as 7e ff 7d 23 c0 21 7d 29 7d 21 7d 20 7d 2c 7d 3a",
        "client: echo-reply id=1 b'ping'",
        "server: FCS error 1, frame discarded (crc16-x25 mismatch in a frame of 18 bytes",
        "client: the next reply is id=4 b'xon': 2 was discarded, 3 aborted",
        "server: the link went down (1 FCS errors)",
    ],
    "stx_etx_device": [
        "client: TEMP? as 02 54 45 4d 50 3f d8 12 03",
        "client: reply 21.5 C",
        "server: bad frame (crc16-xmodem mismatch in a frame of 7 bytes",
        "server: bad frame (STX/ETX frame of 6 bytes interrupted by the STX of the next",
        "client: reply b'\\x15', then reply 21.5 C",
    ],
    "checksummed_cobs": [
        "client: sending 01 00 02 as 02 01 06 02 10 8d d2 09 00",
        "client: reply ACK 3",
        "server: damaged packet: computed 3456ab68, received 503a6e6c",
        "client: reply NAK",
        "client: sent again: reply ACK 3",
    ],
    "own_codec": [
        r"client: sent b'$5\r\nhello\r\n', got back b'HELLO'",
        r"client: sent b'$12\r\nwith\r\ninside\r\n', got back b'WITH\r\nINSIDE'",
        "server: bad bulk string (frame of 2000 bytes exceeds max_length of 1024 bytes)",
        "client: the server closed the connection",
    ],
}
MANY_CLIENTS = [
    "client 1: 3 replies, all upper-cased",
    "client 2: 3 replies, all upper-cased",
    "client 3: 3 replies, all upper-cased",
    "client 4: sent half a line, then closed",
    "left mid-line: b'no newline at the en'",
]
for name in ("thread_per_client", "process_per_client", "selectors_server", "asyncio_server"):
    EXPECTED[name] = MANY_CLIENTS


def test_every_example_is_listed_and_checked() -> None:
    on_disk = {
        name[:-3]
        for name in os.listdir(os.path.dirname(_runner.__file__))
        if name.endswith(".py") and not name.startswith("_")
    }
    assert on_disk == set(EXAMPLES) == set(EXPECTED)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_demo_shows_the_exchange_and_the_failure_path(
    name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    module = importlib.import_module(f"framing.examples.{name}")
    assert module.main([]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("  server: listening on 127.0.0.1:")
    for expected in EXPECTED[name]:
        assert any(expected in line for line in lines), f"{expected!r} not in:\n{out}"
    assert "Traceback" not in out


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_a_docstring_showing_how_to_run_it(name: str) -> None:
    module = importlib.import_module(f"framing.examples.{name}")
    assert f"python -m framing.examples.{name} --serve 5000" in module.__doc__
    assert f"python -m framing.examples.{name} --connect 127.0.0.1 5000" in module.__doc__


def test_connect_mode_runs_only_the_client(capsys: pytest.CaptureFixture[str]) -> None:
    from framing.examples import netstrings

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10.0)
        server = threading.Thread(target=netstrings.serve, args=(listener, 2))
        server.start()
        port = listener.getsockname()[1]
        assert netstrings.main(["--connect", "127.0.0.1", str(port)]) == 0
        server.join(10.0)
    out = capsys.readouterr().out
    assert "got back b'!dlrow olleh'" in out
    assert "listening" not in out  # no server of its own


def test_serve_mode_runs_until_interrupted(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[Any] = []

    def serve(listener: socket.socket, clients: int | None) -> None:
        seen.append((listener.getsockname()[0], clients))
        if len(seen) == 1:
            raise ConnectionResetError(104, "Connection reset by peer")  # one bad client
        raise KeyboardInterrupt  # what Ctrl-C does

    def client(address: Any) -> None:  # pragma: no cover - not run in --serve mode
        raise AssertionError("the client must not run")

    assert _runner.run_example(["--serve", "0"], "doc", serve, client) == 0
    assert seen == [("127.0.0.1", None)] * 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("  server: listening on 127.0.0.1:")
    assert out[0].endswith("(Ctrl-C to stop)")
    assert out[1] == (
        "  server: ConnectionResetError: [Errno 104] Connection reset by peer;"
        " serving the next client"
    )
    assert out[2] == "  server: stopped"


def test_process_handler_ends_its_process_with_an_error_on_a_partial_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The per-client function of process_per_client, run here so coverage sees it.
    ours, theirs = socket.socketpair()
    with ours:
        ours.settimeout(10.0)
        ours.sendall(b"one\ntwo\nhalf")
        ours.shutdown(socket.SHUT_WR)
        with pytest.raises(SystemExit) as exited:
            process_per_client.handle(theirs)
        assert exited.value.code == 1
        assert framing.Lines().decode(ours.recv(100)) == [b"ONE", b"TWO"]
    assert "client left mid-line: b'half'" in capsys.readouterr().out


def test_process_handler_returns_when_the_client_closes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ours, theirs = socket.socketpair()
    with ours:
        ours.settimeout(10.0)
        ours.sendall(b"one\n")
        ours.shutdown(socket.SHUT_WR)
        process_per_client.handle(theirs)
        assert ours.recv(100) == b"ONE\n"
    assert "client closed after 1 lines" in capsys.readouterr().out


def test_serve_and_connect_in_two_processes() -> None:
    """The two-terminal use: --serve in one process, --connect in another."""
    server = subprocess.Popen(
        [sys.executable, "-m", "framing.examples.line_chat", "--serve", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # "server: listening on 127.0.0.1:PORT (Ctrl-C ...)"
        assert "listening on 127.0.0.1:" in first, first + server.stderr.read()  # type: ignore[union-attr]
        port = first.split("127.0.0.1:")[1].split()[0]
        client = subprocess.run(
            [sys.executable, "-m", "framing.examples.line_chat", "--connect", "127.0.0.1", port],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert client.returncode == 0, client.stderr
        assert "client: 'GET colour' -> 'blue'" in client.stdout
        assert "-> 'ERR line longer than 100 bytes'" in client.stdout
        assert "client: 'QUIT' -> 'BYE'" in client.stdout
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            server.kill()
            raise
    assert server.returncode == 0, err
    assert "server: 'QUIT' -> 'BYE'" in out
    assert out.rstrip().endswith("server: stopped")


def test_example_services_answer_bad_requests() -> None:
    from framing.examples import length_prefixed, line_chat

    assert length_prefixed.answer({"op": "div", "args": [1, 2]}) == {"error": "unknown op 'div'"}
    assert line_chat.respond("FLY away", {}) == "ERR unknown command 'FLY'"
    assert line_chat.respond("GET nothing", {}) == "(nil)"


def test_line_chat_server_sees_a_client_leave_without_quit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from framing.examples import line_chat

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10.0)
        server = threading.Thread(target=line_chat.serve, args=(listener, 1))
        server.start()
        with framing.connect(listener.getsockname(), line_chat.CODEC, timeout=10.0) as fs:
            assert fs.recv().startswith(b"HELLO")
        server.join(10.0)
    assert not server.is_alive()
    assert "server: client closed the connection" in capsys.readouterr().out


def test_asyncio_server_serves_until_cancelled(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from framing.examples import asyncio_server

    async def scenario() -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            serving = asyncio.create_task(asyncio_server.serve_async(listener, None))
            address = listener.getsockname()
            stream = await framing.aio.open_connection(*address, asyncio_server.CODEC)
            async with stream:
                await stream.send(b"still there?")
                assert await asyncio.wait_for(stream.recv(), 10.0) == b"STILL THERE?"
            serving.cancel()  # serve_forever() runs until cancelled
            with pytest.raises(asyncio.CancelledError):
                await serving

    asyncio.run(scenario())
    assert "client closed after 1 lines" in capsys.readouterr().out
