"""Flaky tests: run the matrix N times and name every test whose verdict changed.

    python -m reports.flakes --runs 20 [--out DIR] [-- pytest args]

Why: a nightly regression suite is worth something only when a red cell means a real interop
failure. Each run is a real `pytest -n 2 suites` into a result set of its own
(DIR/run-01, ..., default reports/flake-runs); afterwards every test whose outcome differs
between runs is printed with its outcome per run and the evidence folders of two runs that
disagree, so the difference can be read side by side. Exit status: 0 when no test changed
its verdict, 1 otherwise, 2 when a run produced no result set at all.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.loader import Loaded, load_result_set

DEFAULT_OUT = Path("reports/flake-runs")
"""Kept after the runs (git-ignored): the evidence of a flake is the point."""


@dataclass(frozen=True)
class Flake:
    """One test whose outcome was not the same in every run."""

    nodeid: str
    outcomes: tuple[str, ...]
    """The outcome per run, in run order ('absent' where the run has no record of it)."""
    evidence: tuple[Path, Path]
    """Evidence folders of the first two runs that disagree."""


def compare_runs(results: Sequence[Path]) -> tuple[list[Flake], int]:
    """The flaky tests across RESULTS (one result set per run) and how many tests were seen."""
    runs = []
    for root in results:
        loaded = load_result_set(root)
        runs.append({item.record.nodeid: item for item in loaded.records})
    nodeids = sorted({n for run in runs for n in run})
    flakes = []
    for nodeid in nodeids:
        outcomes = tuple(
            run[nodeid].record.outcome.value if nodeid in run else "absent" for run in runs
        )
        if len(set(outcomes)) == 1:
            continue
        first = outcomes[0]
        other = next(i for i, o in enumerate(outcomes) if o != first)
        folders = tuple(_folder(runs[i], nodeid, results[i]) for i in (0, other))
        flakes.append(Flake(nodeid, outcomes, (folders[0], folders[1])))
    return flakes, len(nodeids)


def _folder(run: Mapping[str, Loaded], nodeid: str, root: Path) -> Path:
    item = run.get(nodeid)
    return item.folder if item is not None and item.folder is not None else root


def describe(flakes: list[Flake], tests: int, runs: int) -> str:
    lines = [f"{len(flakes)} flaky test(s) among {tests} in {runs} runs"]
    for flake in flakes:
        lines.append(f"  {flake.nodeid}")
        lines.append(f"    outcomes per run: {' '.join(flake.outcomes)}")
        lines.append(f"    evidence: {flake.evidence[0]}")
        lines.append(f"              {flake.evidence[1]}")
    return "\n".join(lines)


def run_matrix(out: Path, runs: int, pytest_args: Sequence[str]) -> list[Path]:
    """RUNS real runs of the suites at -n 2, each into OUT/run-NN; the result sets."""
    sets = []
    for number in range(1, runs + 1):
        evidence = out / f"run-{number:02d}"
        shutil.rmtree(evidence, ignore_errors=True)
        command = [
            sys.executable, "-m", "pytest", "suites", "-n", "2", "-q",
            f"--evidence-dir={evidence}", *pytest_args,
        ]  # fmt: skip
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        tail = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
        print(f"run {number}/{runs}: exit {done.returncode}: {tail[0]}", flush=True)
        sets.append(evidence)
    return sets


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.flakes")
    parser.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"where the result sets go ({DEFAULT_OUT})"
    )
    parser.add_argument("--compare", type=Path, nargs="*", default=None,
                        help="compare existing result sets instead of running")  # fmt: skip
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    if args.compare:
        sets = list(args.compare)
    else:
        if args.runs < 2:
            parser.error("--runs: at least 2 runs are needed to see a change")
        sets = run_matrix(args.out, args.runs, args.pytest_args)
    missing = [s for s in sets if not s.is_dir()]
    if missing:
        print(f"reports.flakes: no result set in {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    flakes, tests = compare_runs(sets)
    print(describe(flakes, tests, len(sets)))
    return 1 if flakes else 0


if __name__ == "__main__":
    sys.exit(main())
