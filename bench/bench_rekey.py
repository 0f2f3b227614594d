"""The CHILD rekey cell at the default time scale: wall time, emulator vs reference.

    .venv/bin/python -m bench.bench_rekey [--time-scale 600] [--repeat 3]

Runs suites/test_rekey.py::test_client_child_rekey for the emulated Windows 11 build and
for the reference client (strongSwan's charon) on the same gateway preset, direct
topology, REPEAT times each in one pytest process (-p no:xdist), into a temporary evidence
folder, and prints per client the median wall time of a cell (setup + call + teardown),
the measured rekey time in Windows seconds, and the ratio emulated / reference. Goal
(issue: SA lifecycle suites): <= 10 s per cell at the default scale.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reports.loader import load_result_set

CELLS = {
    "emulated": "emulated-win11-23h2-machine-cert-docs-recommended-direct",
    "reference": "reference-strongswan-machine-cert-docs-recommended-direct",
}
TEST = "suites/test_rekey.py::test_client_child_rekey"


def run(time_scale: float, evidence: Path) -> int:
    ids = [f"{TEST}[{cell}]" for cell in CELLS.values()]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly"]
    command += ["--time-scale", str(time_scale), "--evidence-dir", str(evidence), *ids]
    return subprocess.run(command, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-scale", type=float, default=600.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="winterop-bench-rekey-") as folder:
        evidence = Path(folder)
        walls: dict[str, list[float]] = {kind: [] for kind in CELLS}
        rekeys: dict[str, list[float]] = {kind: [] for kind in CELLS}
        for _ in range(args.repeat):
            # One pass per repetition: pytest runs an ID given twice only once.
            if run(args.time_scale, evidence) != 0:
                print("bench_rekey: a cell failed; see the output above", file=sys.stderr)
                return 1
            records = load_result_set(evidence).records
            for kind, cell in CELLS.items():
                record = next(x.record for x in records if x.record.cell.id == cell)
                walls[kind].append(record.durations.total)
                rekeys[kind].append(float(record.measurements["child_rekey_after_windows_s"]))
    print(f"CHILD rekey cell at time scale {args.time_scale:g}, {args.repeat} runs each")
    print(f"{'client':<12}{'median wall s':>15}{'rekey at (Windows s)':>22}")
    for kind in CELLS:
        print(
            f"{kind:<12}{statistics.median(walls[kind]):>15.2f}"
            f"{statistics.median(rekeys[kind]):>22.0f}"
        )
    ratio = statistics.median(walls["emulated"]) / statistics.median(walls["reference"])
    print(f"ratio emulated / reference: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
