#!/usr/bin/env python
"""Profile framing's row of one workload with cProfile: where the time goes, per message.

    python bench/hotspots.py decode-small-lp [--quick] [--top 15] [--impl framing]

Runs the workload's framing implementation once under ``cProfile`` and prints
the functions that take the most time, with each one's calls and cost per
message (``tottime`` / messages): the view to read before and after
optimising a hot path. cProfile's own overhead inflates every Python-level
call about equally, so read the shares, not the absolute times (those are
what ``bench/run.py`` is for).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's framing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the workloads beside this script

import workloads as bench


def main(argv: list[str] | None = None) -> int:
    """Profile one workload's framing row; print the top functions."""
    p = argparse.ArgumentParser(prog="bench/hotspots.py", description=__doc__.splitlines()[0])
    p.add_argument("workload", help="workload key, e.g. decode-small-lp (see bench/run.py)")
    p.add_argument("--quick", action="store_true", help="the --quick sizes")
    p.add_argument("--top", type=int, default=15, help="functions to list (default 15)")
    p.add_argument("--impl", default="framing", help="which framing row (default: framing)")
    args = p.parse_args(argv)
    sizes = bench.QUICK if args.quick else bench.FULL
    found = {w.key: w for w in bench.workloads(sizes)}
    if args.workload not in found:
        p.error(f"no workload {args.workload!r}; one of: {', '.join(found)}")
    workload = found[args.workload]
    impls = {impl.name: impl.fn for impl in workload.impls}
    fn = impls.get(args.impl)
    if fn is None:
        p.error(f"no runnable row {args.impl!r} in {args.workload}; rows: {', '.join(impls)}")
    data = workload.prepare()[0]
    fn(data)  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    result = fn(data)
    profiler.disable()
    count = result if isinstance(result, int) else len(result)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{workload.title}: {count:,} messages, {total:.3f} s profiled")
    print(f"{'ncalls':>10} {'tottime':>8} {'share':>6} {'ns/msg':>8}  function")
    entries = sorted(stats.stats.items(), key=lambda item: -item[1][2])  # type: ignore[attr-defined]
    for (filename, line, name), (_, ncalls, tottime, _, _) in entries[: args.top]:
        where = f"{Path(filename).name}:{line}({name})" if line else name
        print(
            f"{ncalls:>10,} {tottime:>8.3f} {tottime / total:>6.1%} "
            f"{tottime / count * 1e9:>8.0f}  {where}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
