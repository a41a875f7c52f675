"""Run every fuzz target, one after another, within a fixed time budget.

    python fuzz/run.py --budget 90              # CI: 90 s across all targets
    python fuzz/run.py --per-target 3600 cobs   # one target for an hour
    python fuzz/run.py --random --budget 60     # without atheris

Targets: the atheris harnesses (fuzz_<name>.py) and ``stateful`` (the
hypothesis state machines of fuzz/test_stateful.py, run again and again with
fresh seeds until their time is up). Each atheris target starts from its seed
corpus (fuzz/corpus/<name>) and keeps what it finds in fuzz/corpus-work/<name>
(not committed), so later runs resume from there. Logs go to --logs
(default /tmp/framing-fuzz); a crashing input is written there too.

Prints one line per target (executions, coverage reached, time) and exits 1
if any target found something.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from _harness import FUZZ_DIR, TARGETS

ALL = (*TARGETS, "stateful")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"default: all of {', '.join(ALL)}")
    parser.add_argument("--budget", type=float, default=90.0, help="seconds in all")
    parser.add_argument("--per-target", type=float, help="seconds per target (overrides --budget)")
    parser.add_argument("--random", action="store_true", help="random mutations, not atheris")
    parser.add_argument("--logs", type=Path, default=Path("/tmp/framing-fuzz"))
    args = parser.parse_args(argv)
    targets = args.targets or list(ALL)
    unknown = sorted(set(targets) - set(ALL))
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {', '.join(ALL)}")
    seconds = args.per_target or max(1.0, args.budget / len(targets))
    args.logs.mkdir(parents=True, exist_ok=True)
    failed = []
    print(f"{'target':<16} {'result':<8} {'execs':>9} {'cov':>6} {'ft':>6} {'seconds':>8}")
    for target in targets:
        result = run_target(target, seconds, args.random, args.logs)
        print(
            f"{target:<16} {result['result']:<8} {result['execs']:>9} {result['cov']:>6} "
            f"{result['ft']:>6} {result['seconds']:>8.0f}",
            flush=True,
        )
        if result["result"] != "ok":
            failed.append(target)
    if failed:
        print(f"findings in {', '.join(failed)}: see {args.logs}", file=sys.stderr)
        return 1
    return 0


def run_target(target: str, seconds: float, use_random: bool, logs: Path) -> dict[str, object]:
    """Run one target for ``seconds``; its result, executions and coverage."""
    log = logs / f"{target}.log"
    env = {**os.environ, "FUZZ_ARTIFACTS": str(logs)}
    if target == "stateful":
        command = [sys.executable, str(FUZZ_DIR / "test_stateful.py"), f"--seconds={seconds}"]
    else:
        work = FUZZ_DIR / "corpus-work" / target
        work.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            str(FUZZ_DIR / f"fuzz_{target}.py"),
            str(work),
            str(FUZZ_DIR / "corpus" / target),
            f"-max_total_time={max(1, int(seconds))}",
            "-max_len=4096",
            "-timeout=30",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
            f"-artifact_prefix={logs}/",
        ]
        if use_random:
            command.append("--random")
    start = time.monotonic()
    with log.open("w") as out:
        code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    text = log.read_text(errors="replace")
    return {
        "result": "ok" if code == 0 else f"exit {code}",
        "execs": _last(r"stat::number_of_executed_units: (\d+)", text),
        "cov": _last(r"\bcov: (\d+)", text),
        "ft": _last(r"\bft: (\d+)", text),
        "seconds": time.monotonic() - start,
    }


def _last(pattern: str, text: str) -> str:
    found = re.findall(pattern, text)
    return found[-1] if found else "-"


if __name__ == "__main__":
    sys.exit(main())
