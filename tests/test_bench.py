"""bench/workloads.py: every workload runs at a tiny size and its framing rows decode right.

Nothing here is timed for its own sake: the figures of a SMOKE run mean
nothing. What must hold is that each workload runs, produces positive
figures, and that the framing implementations return exactly the expected
messages (``measure`` checks every run; a wrong one becomes a note).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import framing

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import workloads as bench  # noqa: E402 - found on the path just set
from workloads import SMOKE, Messages, Stream, Workload  # noqa: E402


def by_key() -> dict[str, Workload]:
    return {w.key: w for w in bench.workloads(SMOKE)}


def test_every_workload_runs_and_its_framing_rows_give_positive_figures() -> None:
    rows = [row for w in bench.workloads(SMOKE) for row in bench.measure(w, SMOKE)]
    framing_rows = [row for row in rows if row.role == "framing"]
    assert len(framing_rows) >= 20
    for row in framing_rows:
        if row.note:  # only a module that is not written yet may be missing
            assert "cannot be imported yet" in row.note, row
            continue
        assert row.figure is not None, row
        assert row.figure > 0, row
        assert row.runs == 1, row
        assert all(t > 0 for t in row.seconds), row


def test_the_workload_keys_cover_issue_7() -> None:
    keys = set(by_key())
    for style in ("lp", "lines"):
        assert {f"decode-small-{style}", f"decode-big-{style}"} <= keys
        assert {f"encode-small-{style}", f"encode-big-{style}"} <= keys
    for style in ("lp", "lines", "crlf", "netstring", "cobs", "slip"):
        assert f"trickle-{style}" in keys
    assert {"tcp-big", "tcp-small-send", "tcp-small-recv", "aio-echo"} <= keys


@pytest.mark.parametrize("key", ["decode-small-lp", "decode-small-lines", "decode-big-lp"])
def test_framing_decode_rows_return_every_message_in_order(key: str) -> None:
    workload = by_key()[key]
    (stream,) = workload.prepare()
    assert isinstance(stream, Stream)
    assert len(stream.chunks) > 1  # the messages really arrive in several chunks
    assert b"".join(stream.chunks) == stream.wire
    decode = workload.impls[0].fn
    assert decode is not None
    result = decode(stream)
    if "small" in key:
        assert stream.keep
        assert result == stream.messages
        assert stream.expected == SMOKE.small_count
    else:  # big messages are counted and dropped, as a real receiver would
        assert not stream.keep
        assert isinstance(result, bench.Tally)
        assert len(result) == stream.expected == SMOKE.big_count
        assert result[-1] == stream.messages[-1]


def test_a_tally_counts_and_keeps_only_the_last_message() -> None:
    tally = bench.Tally()
    with pytest.raises(IndexError):
        tally[-1]
    tally.append(b"a")
    tally.extend([b"b", b"c"])
    assert len(tally) == 3
    assert tally[-1] == b"c"
    with pytest.raises(IndexError):
        tally[0]


@pytest.mark.parametrize(
    "style", ["lp", "lines", "crlf", "netstring", "cobs", "slip"]
)
def test_trickle_frames_arrive_in_tiny_chunks_and_decode_whole(style: str) -> None:
    workload = by_key()[f"trickle-{style}"]
    large, little = workload.prepare()
    assert isinstance(large, Stream)
    assert isinstance(little, Stream)
    assert [len(m) for m in large.messages + little.messages] == list(SMOKE.trickle_sizes)
    assert max(map(len, large.chunks)) == SMOKE.trickle_chunk
    decode = workload.impls[0].fn
    assert decode is not None
    assert decode(large) == large.messages
    assert decode(little) == little.messages


def test_encode_rows_return_the_wire_form_of_every_message() -> None:
    workload = by_key()["encode-small-lp"]
    (data,) = workload.prepare()
    encode = workload.impls[0].fn
    assert encode is not None
    assert encode(data) == [framing.LengthPrefixed("!I").encode(m) for m in data.messages]
    assert data.last == framing.LengthPrefixed("!I").encode(data.messages[-1])


class FakeClock:
    """A clock that only the implementations move: timing tests that load cannot disturb."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(bench, "clock", clock)
    return clock


def taking(clock: FakeClock | None, seconds: float, result: list[bytes] | int) -> Any:
    """An implementation that takes ``seconds`` on ``clock`` and returns ``result``."""

    def run(data: Messages) -> list[bytes] | int:
        if clock is not None:
            clock.now += seconds
        return result

    return run


def workload_of(*impls: tuple[str, str, Any]) -> Workload:
    data = Messages([b"a", b"b"], b"b")
    workload = Workload("fake", "a fake workload", "msg/s", 2, lambda: (data,), framing.Lines())
    for name, role, fn in impls:
        workload.add(name, role, fn)
    return workload


def test_ratios_compare_with_the_fastest_peer_and_the_ceiling(fake_clock: FakeClock) -> None:
    workload = workload_of(
        ("framing", "framing", taking(fake_clock, 0.01, [b"a", b"b"])),
        ("slow peer", "peer", taking(fake_clock, 0.08, 2)),
        ("fast peer", "peer", taking(fake_clock, 0.04, 2)),
        ("ceiling", "ceiling", taking(fake_clock, 0.005, 2)),
    )
    workload.targets += [
        bench.Target("framing", "peer", 2.0),
        bench.Target("framing", "ceiling", 0.9),
    ]
    rows = {row.implementation: row for row in bench.measure(workload, SMOKE)}
    mine = rows["framing"]
    assert mine.vs_peer == pytest.approx(4.0)
    assert mine.vs_ceiling == pytest.approx(0.5)
    assert mine.figure == pytest.approx(200.0)  # 2 messages in 10 ms
    assert rows["fast peer"].vs_peer == pytest.approx(1.0)
    assert rows["slow peer"].vs_peer == pytest.approx(0.5)
    assert mine.targets == [">= 2x fastest peer met", ">= 0.9x ceiling MISSED"]
    assert mine.met is False
    table = bench.format_table(list(rows.values()))
    assert "a fake workload  [msg/s]" in table
    assert "4.00x" in table
    assert "MISSED" in table


def test_linearity_is_the_time_ratio_of_the_two_variants(fake_clock: FakeClock) -> None:
    small, large = Messages([b"x"], b"x"), Messages([b"y"], b"y")

    def run(data: Messages) -> list[bytes]:
        fake_clock.now += 0.04 if data is large else 0.01
        return data.messages

    workload = Workload("lin", "linear", "ms", 1.0, lambda: (large, small), framing.Lines())
    workload.add("framing", "framing", run)
    workload.targets.append(bench.Target("framing", "linearity", 5.0))
    (row,) = bench.measure(workload, SMOKE)
    assert row.linearity == pytest.approx(4.0)
    assert row.figure == pytest.approx(40.0)  # milliseconds of the first variant
    assert row.targets == ["linearity <= 5 met"]
    assert row.met is True


def test_a_wrong_or_failing_run_becomes_a_note_not_a_figure() -> None:
    def boom(data: Messages) -> int:
        raise RuntimeError("boom")

    workload = workload_of(
        ("short", "framing", taking(None, 0, [b"a"])),
        ("garbled", "framing", taking(None, 0, [b"a", b"x"])),
        ("count", "peer", taking(None, 0, 3)),
        ("boom", "peer", boom),
        ("missing", "peer", None),
    )
    rows = {row.implementation: row for row in bench.measure(workload, SMOKE)}
    assert rows["short"].note == "wrong result: 1 messages, expected 2"
    assert rows["garbled"].note == "wrong result: the last message (or wire form) differs"
    assert rows["count"].note == "wrong result: 3 messages, expected 2"
    assert rows["boom"].note == "failed: RuntimeError: boom"
    assert all(row.figure is None for row in rows.values())


def test_repeats_shrink_to_fit_the_budget_and_a_run_over_it_is_not_repeated(
    fake_clock: FakeClock,
) -> None:
    sizes = bench.Sizes(repeats=5, min_repeats=2, fast_repeats=9, budget=0.1)
    workload = workload_of(
        ("slow", "framing", taking(fake_clock, 0.04, 2)),
        ("steady", "peer", taking(fake_clock, 0.015, 2)),
        ("fast", "peer", taking(fake_clock, 0.001, 2)),
        ("instant", "peer", taking(fake_clock, 0.0, 2)),
        ("quadratic", "peer", taking(fake_clock, 0.12, 2)),
    )
    rows = {row.implementation: row for row in bench.measure(workload, sizes)}
    assert rows["slow"].runs == 2
    assert rows["steady"].runs == 5  # six would fit, but it is not under FAST: repeats
    assert rows["fast"].runs == 9  # under FAST: up to fast_repeats, so one hiccup is outvoted
    assert rows["instant"].runs == 9
    assert rows["quadratic"].runs == 1  # one run alone is over the budget


def test_run_cli_prints_the_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bench.json"
    assert bench.run_cli(["--smoke", "--only", "decode-small-*", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "decode 300 x 32 B in 4 KiB chunks: LengthPrefixed('!I')  [msg/s]" in out
    assert "Lines()" in out
    assert "trickle" not in out
    report = json.loads(path.read_text())
    assert report["python"]
    assert report["sizes"]["small_count"] == SMOKE.small_count
    assert {row["workload"] for row in report["rows"]} == {"decode-small-lp", "decode-small-lines"}
    assert all(row["figure"] > 0 for row in report["rows"])


def test_only_matches_titles_too() -> None:
    selected = [w.key for w in bench.workloads(SMOKE) if w.selected("netstring")]
    assert selected == ["trickle-netstring", "encode-frame-netstring"]


def test_run_cli_refuses_a_pattern_that_matches_nothing() -> None:
    with pytest.raises(SystemExit) as exc:
        bench.run_cli(["--smoke", "--only", "no-such-workload"])
    assert exc.value.code == 2


def test_run_cli_fails_when_a_framing_row_is_wrong(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workload = workload_of(("framing", "framing", taking(None, 0, [b"a"])))
    monkeypatch.setattr(bench, "workloads", lambda sizes: [workload])
    assert bench.run_cli(["--quick"]) == 1
    assert "wrong result" in capsys.readouterr().out


def test_optional_module_is_none_for_a_module_that_is_not_there() -> None:
    module, why = bench.optional_module("framing._no_such_module")
    assert module is None
    assert why.startswith("framing._no_such_module cannot be imported yet (No module named")
    assert bench.optional_module("framing.errors") == (framing.errors, "")


def test_in_thread_reraises_the_threads_error() -> None:
    def fail() -> None:
        raise ValueError("in the thread")

    with pytest.raises(ValueError, match="in the thread"), bench.in_thread(fail):
        pass


def test_recv_raw_reads_exactly_and_reports_an_early_close() -> None:
    with bench.loopback() as (a, b):
        a.sendall(b"x" * 1000)
        assert bench.recv_raw(b, 600, buffer_size=256) == 600
        assert bench.recv_raw(b, 400) == 400
        a.shutdown(socket.SHUT_WR)
        with pytest.raises(EOFError, match="after 0 of 10 bytes"):
            bench.recv_raw(b, 10)


def load_bench_run() -> Any:
    """bench/run.py as a module (it is a script in the source tree, not part of the package)."""
    path = Path(__file__).resolve().parent.parent / "bench" / "run.py"
    spec = importlib.util.spec_from_file_location("bench_run", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_run_times_peers_and_ceilings_at_smoke_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = load_bench_run()
    path = tmp_path / "run.json"
    assert run.main(["--smoke", "--only", "*-lp", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ceiling: struct.unpack_from loop" in out
    assert "textbook buf += chunk" in out
    rows = json.loads(path.read_text())["rows"]
    assert {row["workload"] for row in rows} == {
        "decode-small-lp", "decode-big-lp", "encode-small-lp", "encode-big-lp", "trickle-lp",
    }
    for row in rows:  # every peer is right too, or not installed
        assert row["note"] == "" or "is not installed" in row["note"], row
    measured = [row for row in rows if not row["note"]]
    assert all(row["figure"] > 0 for row in measured)
    ceilings = [row for row in measured if row["role"] == "ceiling"]
    assert len(ceilings) == 5
    assert all(row["vs_ceiling"] == pytest.approx(1.0) for row in ceilings)


def test_bench_summary_is_a_markdown_table_of_the_framing_rows(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    assert bench.run_cli(["--smoke", "--only", "trickle-lp", "--json", str(path)]) == 0
    spec = importlib.util.spec_from_file_location(
        "bench_summary", Path(__file__).resolve().parent.parent / "bench" / "summary.py"
    )
    assert spec is not None
    assert spec.loader is not None
    summary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(summary)
    text = summary.markdown(json.loads(path.read_text()))
    header, _, columns, rule, line = text.splitlines()
    assert header.startswith("Measured ")
    assert "Python" in header
    assert columns.startswith("| workload | framing row | figure |")
    assert rule == "|---|---|---|---|---|---|---|---|"
    assert line.startswith("| trickle-lp | framing | ")
    assert " ms | - | - | - | " in line  # no peers in framing bench: no ratios
    assert line.endswith("linearity <= 5 met |") or line.endswith("linearity <= 5 MISSED |")


def test_bench_run_quick_skips_the_peers_that_are_quadratic_on_the_trickles() -> None:
    run = load_bench_run()
    workload = by_key()["trickle-crlf"]
    run.add_peers(workload, quick=True)
    # Peers that are not installed (CI installs no bench extra) are skipped for that reason.
    quick = [impl.name for impl in workload.impls if "skipped with --quick" in impl.note]
    assert all(impl.fn is None for impl in workload.impls if impl.name in quick)
    assert quick == ["Twisted LineOnlyReceiver", "textbook buf += chunk"]
    full = by_key()["trickle-crlf"]
    run.add_peers(full)
    assert [impl.name for impl in full.impls if impl.fn is None] == [
        impl.name for impl in full.impls if impl.note  # only peers that are not installed
    ]


def test_full_size_titles_say_what_issue_7_measures() -> None:
    titles = {w.key: w.title for w in bench.workloads(bench.FULL)}  # nothing is built yet
    assert titles["decode-small-lp"] == (
        "decode 300,000 x 32 B in 64 KiB chunks: LengthPrefixed('!I')"
    )
    assert titles["decode-big-lines"] == (
        "decode 32 x 4 MiB in 64 KiB chunks: Lines(max_length=4 MiB)"
    )
    assert titles["trickle-slip"] == (
        "decode one 1 MiB frame in 64 B chunks (linearity: / 256 KiB): SLIP(max_length=1 MiB)"
    )


def test_an_unavailable_implementation_is_listed_with_why_instead_of_a_figure() -> None:
    # As an optional peer (Twisted, anyio) that cannot be imported is.
    workload = workload_of(("framing", "framing", taking(None, 0, [b"a", b"b"])))
    workload.add("missing peer", "peer", None, "missing_peer is missing")
    framing_row, row = bench.measure(workload, SMOKE)
    assert framing_row.figure is not None
    assert row.figure is None
    assert row.note == "missing_peer is missing"


def test_measure_leaves_a_disabled_garbage_collector_disabled() -> None:
    workload = workload_of(("framing", "framing", taking(None, 0, 2)))
    gc.disable()
    try:
        (row,) = bench.measure(workload, SMOKE)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert row.note == ""


def test_in_thread_gives_up_on_a_thread_that_outlives_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench, "TIMEOUT", 0.01)
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError, match="still running"), bench.in_thread(
            lambda: release.wait(5)
        ):
            pass
    finally:
        release.set()


def test_the_instruction_count_scenarios_run_and_the_counting_divides_out_start_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import instructions

    for _, rows in instructions.SCENARIOS.values():
        for work in rows.values():
            work(3)  # what valgrind runs, a few units of it
    counts = {100: 1_000_000, 300: 1_400_000}  # start-up 800,000; 2,000 a unit
    monkeypatch.setattr(instructions, "instructions", lambda scenario, row, units: counts[units])
    assert instructions.main(["trickle-lp", "--small", "100", "--large", "300"]) == 0
    out = capsys.readouterr().out
    assert "2,000" in out
    assert "1.00x reference as a decoder" in out
    with pytest.raises(SystemExit):
        instructions.main(["no-such-scenario"])
    with pytest.raises(SystemExit):
        instructions.main(["--small", "5", "--large", "5"])
    assert instructions.main(["--inner", "trickle-lines", "framing Lines", "2"]) == 0


def test_the_memory_bench_measures_every_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    import memory

    assert memory.main(["--connections", "20", "--frame-mib", "2"]) == 0
    out = capsys.readouterr().out
    for row in ["FramedSocket", "FramedConnection", "framing.aio", "framing.anyio", "asyncio"]:
        assert row in out
    assert "reference: asyncio streams readexactly" in out
    # Tiny runs judge too: 3 idle rows and 4 large-frame rows, the references not.
    judged = [line for line in out.splitlines() if line.endswith(("met", "MISSED"))]
    assert len(judged) == 7


def test_the_compiled_bench_times_each_compiled_codec_against_its_pure_twin(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import compiled

    result = compiled.main(["--count", "300", "--rounds", "1"])
    out = capsys.readouterr().out
    if not framing.__compiled__:
        assert result == 1
        assert "not in use" in out
        return
    assert result == 0
    rows = [line for line in out.splitlines() if line.endswith("x")]
    assert len(rows) == len(compiled.codecs(32))
    for name in ["'varint'", "'mqtt'", "strict_crlf=True", "b'\\r\\n'", "FixedLength(size=32)"]:
        assert any(name in row for row in rows), name
    with pytest.raises(SystemExit, match="decoded 1 messages, not 2"):
        compiled.best_times([lambda: 1], 1, 2)
