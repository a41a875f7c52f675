"""The fuzz targets' harness, in-process: every seed passes, and the invariant can fail.

fuzz/run.py runs the targets for real (CI gives them ~90 s); these tests keep
the harness honest on every test run: each target's seed corpus passes the
invariant, the corpus covers every configuration, and an input that breaks
the invariant is reported.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
sys.path.insert(0, str(FUZZ))

import _harness  # noqa: E402 - lives in fuzz/, not a package

from framing import Netstring  # noqa: E402


@pytest.mark.parametrize("target", _harness.TARGETS)
def test_every_seed_passes_the_invariant(target: str) -> None:
    test = _harness.one_input(target)
    seeds = sorted((FUZZ / "corpus" / target).iterdir())
    for seed in seeds:
        test(seed.read_bytes())
    configs = len(_harness.configs(target))
    assert {seed.read_bytes()[0] % configs for seed in seeds} == set(range(configs))


@pytest.mark.parametrize("target", _harness.TARGETS)
def test_every_target_has_a_script_stating_its_invariant(target: str) -> None:
    script = (FUZZ / f"fuzz_{target}.py").read_text()
    assert "Invariant: any input either decodes or raises FramingError" in script
    assert f'main("{target}")' in script


def test_the_invariant_fails_on_a_decoder_that_depends_on_chunking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Forgetful(Netstring):
        """Drops any chunk fed while a frame is half-read: loses bytes under 1-byte reads."""

        def decoder(self):  # type: ignore[no-untyped-def]
            decoder = super().decoder()
            feed = decoder.feed

            def forgetful(data: bytes) -> None:
                if not decoder.buffered or len(data) > 1:
                    feed(data)

            decoder.feed = forgetful  # type: ignore[method-assign]
            return decoder

    monkeypatch.setattr(_harness, "configs", lambda target: [Forgetful(max_length=12)])
    test = _harness.one_input("netstring")
    with pytest.raises(AssertionError, match="fed one byte at a time"):
        test(b"\x002:hi,")


def test_known_findings_are_skipped_unless_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    class Forgetful(Netstring):
        """Drops every other one-byte chunk: a stand-in for a known, unfixed finding."""

        def decoder(self):  # type: ignore[no-untyped-def]
            decoder = super().decoder()
            feed, count = decoder.feed, [0]

            def forgetful(data: bytes) -> None:
                count[0] += 1
                if len(data) != 1 or count[0] % 2:
                    feed(data)

            decoder.feed = forgetful  # type: ignore[method-assign]
            return decoder

    monkeypatch.setattr(_harness, "configs", lambda target: [Forgetful(max_length=12)])
    monkeypatch.setattr(_harness, "KNOWN_FINDINGS", [("Forgetful", "fed one byte at a time")])
    _harness.one_input("netstring")(b"\x002:hi,")
    monkeypatch.setenv("FUZZ_STRICT", "1")
    with pytest.raises(AssertionError, match="fed one byte at a time"):
        _harness.one_input("netstring")(b"\x002:hi,")


def test_the_random_engine_mutates_within_bounds() -> None:
    rng = random.Random(5)
    outputs = {_harness.mutate(rng, b"\x003:abc,", b"\x01xyz") for _ in range(300)}
    assert len(outputs) > 100
    assert all(len(out) <= 4096 for out in outputs)


def test_the_random_engine_runs_a_target_for_a_number_of_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _harness.run_random("slip", ["-runs=200", "-max_total_time=30"])
    assert "stat::number_of_executed_units: 200" in capsys.readouterr().out
