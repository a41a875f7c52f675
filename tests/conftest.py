"""Test configuration: hypothesis profiles, and the `traced` fixture (tracemalloc on).

``CI`` set in the environment selects the "ci" profile: derandomized (the
same examples on every run, so a red CI run is reproducible), no deadline (a
loaded CI runner must not turn slowness into failures). Otherwise "dev":
random examples, fewer of them, for quick local runs. "thorough" (ten
times CI's examples) is for bug hunts: ``pytest --hypothesis-profile=thorough``.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=200,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def traced() -> Iterator[None]:
    """tracemalloc running for the test (the memory tests measure with it)."""
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()
