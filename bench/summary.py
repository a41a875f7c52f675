#!/usr/bin/env python
"""The framing rows of a ``bench/run.py --json`` report as a Markdown table (for the README).

    python bench/run.py --json bench.json && python bench/summary.py bench.json

One line per framing row: its figure, the fastest peer, the speed ratios to
that peer and to the ceiling, the linearity of the trickles, and the targets.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.3g} ms"
    if unit == "MB/s":
        if value >= 1e6:  # no copy at all (encode_parts): the figure only says "free"
            return f"{value / 1e3:,.0f} GB/s"
        return f"{value / 1e3:.3g} GB/s" if value >= 1e3 else f"{value:.3g} MB/s"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g} {suffix} {unit}"
    return f"{value:.3g} {unit}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def markdown(report: dict[str, Any]) -> str:
    """The Markdown table of ``report``'s framing rows, with a line saying where it was run."""
    rows: list[dict[str, Any]] = report["rows"]
    lines = [
        f"Measured {report['date'][:10]} with Python {report['python']} on {report['platform']}, "
        f"{report.get('cpus', '?')} CPUs, framing {report.get('commit', '?')}.",
        "",
        "| workload | framing row | figure | fastest peer | vs peer | vs ceiling | linear "
        "| target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["role"] != "framing":
            continue
        peers = [
            r for r in rows
            if r["workload"] == row["workload"] and r["role"] == "peer" and r["figure"]
        ]
        fastest = min(peers, key=lambda r: r["seconds"][0])["implementation"] if peers else "-"
        linear = "-" if row["linearity"] is None else f"{row['linearity']:.2f}"
        target = "; ".join(row["targets"]) or row["note"] or ""
        lines.append(
            f"| {row['workload']} | {row['implementation']} "
            f"| {_figure(row['figure'], row['unit'])} | {fastest} | {_ratio(row['vs_peer'])} "
            f"| {_ratio(row['vs_ceiling'])} | {linear} | {target} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the Markdown summary of one JSON report."""
    p = argparse.ArgumentParser(prog="bench/summary.py", description=__doc__.splitlines()[0])
    p.add_argument("report", help="a JSON file written by bench/run.py --json")
    args = p.parse_args(argv)
    with open(args.report, encoding="utf-8") as file:
        print(markdown(json.load(file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
