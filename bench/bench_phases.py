"""Where the matrix's time goes: per-phase medians and shares of a result set.

    .venv/bin/python -m bench.bench_phases --results reports/evidence [--baseline DIR]

Reads the `phases` every suite record carries (infra.phases) and the items' pytest
durations; prints per phase the median seconds per test that ran it, the sum, and its share
of all the items' time; `pytest other` is what the phases do not cover (fixtures, pings,
assertions, the results plugin). With --baseline (another result set, e.g. the run before a
change) it prints the ratio of the sums, current / baseline, per phase.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from reports.loader import load_result_set
from reports.schema import Outcome, Record

OTHER = "pytest other"


def phase_sums(records: Sequence[Record]) -> tuple[dict[str, list[float]], float]:
    """Seconds per phase (one entry per record that ran it) and the items' total seconds."""
    per_phase: dict[str, list[float]] = {}
    total = 0.0
    for record in records:
        if record.outcome is Outcome.SKIPPED:
            continue
        total += record.durations.total
        for name, seconds in record.phases.items():
            per_phase.setdefault(name, []).append(seconds)
        other = record.durations.total - sum(record.phases.values())
        per_phase.setdefault(OTHER, []).append(max(other, 0.0))
    return per_phase, total


def table(current: Sequence[Record], baseline: Sequence[Record] | None) -> str:
    phases, total = phase_sums(current)
    base = phase_sums(baseline)[0] if baseline is not None else {}
    ran = sum(1 for r in current if r.outcome is not Outcome.SKIPPED)
    lines = [
        f"{ran} tests ran, {total:.1f} s of worker time",
        f"{'phase':<16}{'median s':>10}{'sum s':>10}{'share':>8}"
        + (f"{'vs base':>10}" if baseline is not None else ""),
    ]
    for name, values in sorted(phases.items(), key=lambda kv: -sum(kv[1])):
        share = sum(values) / total if total else 0.0
        line = f"{name:<16}{statistics.median(values):>10.3f}{sum(values):>10.2f}{share:>8.1%}"
        if baseline is not None:
            before = sum(base.get(name, []))
            line += f"{sum(values) / before:>10.2f}" if before else f"{'new':>10}"
        lines.append(line)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_phases")
    parser.add_argument("--results", type=Path, default=Path("reports/evidence"))
    parser.add_argument("--baseline", type=Path, default=None)
    args = parser.parse_args(argv)
    current = [item.record for item in load_result_set(args.results).records]
    if not any(r.phases for r in current):
        print(f"bench_phases: no record in {args.results} has phases", file=sys.stderr)
        return 1
    baseline = None
    if args.baseline is not None:
        baseline = [item.record for item in load_result_set(args.baseline).records]
    print(table(current, baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
