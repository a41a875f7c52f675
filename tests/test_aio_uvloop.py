"""The framing.aio suite's core cases again, on uvloop's event loop (skipped without uvloop).

uvloop's transports are not asyncio's classes (they once made ``framing.aio``
hang), and its ``call_soon``, flow control and half-close are its own: every
case of ``test_aio``, ``test_aio_coalescing`` and ``test_aio_flow`` that
takes no fixture runs here under ``uvloop.EventLoopPolicy`` (the three that
count a transport's writes skip themselves: uvloop's cannot be patched).
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Iterator

import pytest

import test_aio
import test_aio_coalescing
import test_aio_flow

uvloop = pytest.importorskip("uvloop")


def _core_cases() -> list[tuple[str, Callable[[], None]]]:
    cases = []
    for module in (test_aio, test_aio_coalescing, test_aio_flow):
        for name, case in vars(module).items():
            # Only cases with no fixture and no parameter.
            if name.startswith("test_") and not inspect.signature(case).parameters:
                cases.append((f"{module.__name__}.{name}", case))
    return cases


CASES = _core_cases()


@pytest.fixture(autouse=True)
def on_uvloop() -> Iterator[None]:
    policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(policy)


def test_the_core_cases_are_found() -> None:
    assert len(CASES) >= 40


def test_the_cases_run_on_uvloop() -> None:
    async def which_loop() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert asyncio.run(which_loop()).startswith("uvloop")


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_core_case_on_uvloop(name: str, case: Callable[[], None]) -> None:
    case()
