"""Every Python code block of the README (and of the docs) runs, in order, as written.

Blocks are found and run by Sybil (a maintained documentation tester), one
document at a time in one namespace, as a reader would paste them one
after another. Two conventions, both invisible on a rendered page:

- A block fenced as ````python server```` (still highlighted as Python) starts a
  server: it runs in a daemon thread, and the next blocks, its clients, run
  once it listens. Its port (and the clients') is a free one, not the 5000
  the text shows, so a busy port or a server still running cannot interfere.
- In the docs' reStructuredText (where a fence cannot say "server"),
  ``.. skip: next`` leaves out the next block (Sybil's own directive): the
  servers there are the README's, run here. Doctests (``>>>``) run too.

A server block that fails before it listens fails the test with its error.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

sybil = pytest.importorskip("sybil")

from sybil.evaluators.python import pad  # noqa: E402
from sybil.parsers.markdown import CodeBlockParser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOWN_PORT = "5000"
TIMEOUT = 10.0

pytestmark = pytest.mark.timeout(120)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _source(example: Any) -> str:
    """The block's code, with the shown port replaced by the document's current one."""
    port = str(example.namespace.setdefault("__port__", _free_port()))
    code = re.sub(rf"\b{SHOWN_PORT}\b", port, str(example.parsed))
    return pad(code, example.line + example.parsed.line_offset)


def run_block(example: Any) -> None:
    """Run a block in the document's namespace."""
    exec(compile(_source(example), example.path, "exec"), example.namespace)


def run_server(example: Any) -> None:
    """Start a server block in a daemon thread; return once it listens.

    The server runs in a copy of the namespace, so that a client block that
    rebinds a name (``fs``, ``conn``) does not change the server's; what the
    server block defined (``codec``, ``echo``) is copied back for its clients.
    """
    example.namespace["__port__"] = port = _free_port()
    code = compile(_source(example), example.path, "exec")
    server_namespace = dict(example.namespace)
    failed: list[BaseException] = []

    def serve() -> None:
        try:
            exec(code, server_namespace)
        except BaseException as error:  # handed to the test below
            failed.append(error)

    threading.Thread(target=serve, daemon=True, name=f"README server :{port}").start()
    deadline = time.monotonic() + TIMEOUT
    while not _listening(port):  # without connecting: a server may serve one client only
        if failed:
            raise failed[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server block at line {example.line} never listened")
        time.sleep(0.02)
    defined = {k: v for k, v in server_namespace.items() if not k.startswith("__")}
    example.namespace.update(defined)


def _listening(port: int) -> bool:
    """Whether a socket listens on ``port`` (the kernel's table; else a bind that fails)."""
    table = Path("/proc/net/tcp")
    if table.exists():
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if int(local.split(":")[1], 16) == port and state == "0A":  # TCP_LISTEN
                return True
        return False
    with socket.socket() as probe:  # pragma: no cover - not Linux
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def documents() -> list[Path]:
    docs = sorted((ROOT / "docs").glob("**/*.rst")) if (ROOT / "docs").is_dir() else []
    return [ROOT / "README.md", *docs]


def parsers_for(path: Path) -> list[Any]:
    if path.suffix == ".md":
        return [
            CodeBlockParser(language="python", evaluator=run_block),
            CodeBlockParser(language="python server", evaluator=run_server),
        ]
    from sybil.parsers.rest import CodeBlockParser as RestCodeBlockParser
    from sybil.parsers.rest import DocTestParser, SkipParser

    return [
        RestCodeBlockParser(language="python", evaluator=run_block),
        DocTestParser(),
        SkipParser(),
    ]


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_block_runs(path: Path) -> None:
    document = sybil.Sybil(parsers=parsers_for(path)).parse(path)
    examples = list(document.examples())
    for example in examples:
        example.evaluate()
    if path.name == "README.md":
        assert len(examples) >= 15  # the blocks were found, not skipped
