#!/usr/bin/env python
"""Before and after: this checkout's framing rows against another commit's, in one run.

    python bench/compare.py REV [--only PATTERN] [--rounds N] [--quick]

The workloads of ``bench/workloads.py`` (this checkout's) are timed with the
``framing`` package of commit REV and with this checkout's, the two taking
turns for ``--rounds`` rounds in fresh processes, so that a busy machine slows
both alike. Each row shows both median times and the speed ratio, after over
before (above 1: this checkout is faster). Only the public API is used, so any
commit whose package runs the workloads can be the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent


def extract(rev: str, into: Path) -> Path:
    """The ``framing`` package of commit ``rev``, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(CHECKOUT), "archive", rev, "framing"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_once(tree: Path, options: list[str], out: Path) -> list[dict[str, object]]:
    """One run of the workloads with ``tree``'s framing; its rows."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(HERE / "workloads.py"), *options, "--json", str(out)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    rows: list[dict[str, object]] = json.loads(out.read_text())["rows"]
    return rows


def main(argv: list[str] | None = None) -> int:
    """Time both trees in turns; print one line per framing row."""
    p = argparse.ArgumentParser(prog="bench/compare.py", description=__doc__.splitlines()[0])
    p.add_argument("rev", help="the commit to compare with, e.g. HEAD~3 or a hash")
    p.add_argument("--only", metavar="PATTERN", help="workloads whose key or title matches")
    p.add_argument("--rounds", type=int, default=5, help="turns each tree takes (5)")
    p.add_argument("--quick", action="store_true", help="the smaller workloads")
    args = p.parse_args(argv)
    options = ["--quick"] if args.quick else []
    if args.only:
        options += ["--only", args.only]
    seconds: dict[tuple[str, str], dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"before": extract(args.rev, Path(scratch)), "after": CHECKOUT}
        for round_ in range(args.rounds):
            for label, tree in trees.items():
                print(f"# round {round_ + 1}/{args.rounds}: {label}", file=sys.stderr)
                for row in run_once(tree, options, Path(scratch) / "rows.json"):
                    times = row["seconds"]
                    if row["role"] == "framing" and isinstance(times, list) and times:
                        key = (str(row["workload"]), str(row["implementation"]))
                        seconds.setdefault(key, {}).setdefault(label, []).append(times[0])
    print(f"{'workload':<22} {'row':<24} {'before':>10} {'after':>10} {'speed':>7}")
    for (workload, implementation), by_tree in seconds.items():
        before = statistics.median(by_tree["before"])
        after = statistics.median(by_tree["after"])
        print(
            f"{workload:<22} {implementation:<24} {before * 1e3:>8.3f}ms {after * 1e3:>8.3f}ms "
            f"{before / after:>6.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
