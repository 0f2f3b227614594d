"""Lab benchmark: bring-up, reference-client connect time per auth case, per-test overhead.

Run as root: `.venv/bin/python -m bench.bench_lab [--rounds 20]`. Prints medians (and p90)
over ROUNDS interop runs per auth case on the `direct` topology with the docs-recommended
gateway, and the ratio of each median to the issue's target. No assertion: numbers are
recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import time

from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.protocol import ClientKind
from infra.clients.reference import ReferenceClient
from infra.interop_run import InteropRun, LabCredentials
from infra.lab.ownership import OwnerRecord
from infra.lab.topology import TopologyKind
from infra.pki.lab_pki import LabPki

TARGETS_MS = {"bring-up": 60.0, "connect machine-cert": 30.0, "per-test overhead": 800.0}


def median_p90(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--topology", default="direct", choices=[t.value for t in TopologyKind])
    args = parser.parse_args()
    run_id = f"bench{os.getpid()}"
    record = OwnerRecord.create(f"{run_id}-pki")
    try:
        pki = LabPki.load_or_create(record.workdir / "pki")
        eap = LabCredentials("alice", secrets.token_urlsafe(12))
        samples: dict[str, list[float]] = {}
        for case in AuthCase:
            cell = Cell(
                ClientKind.REFERENCE,
                "strongswan",
                case,
                "docs-recommended",
                TopologyKind(args.topology),
            )
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                run = InteropRun(
                    cell,
                    run_id=run_id,
                    worker="bench",
                    pki=pki,
                    eap=eap,
                    make_client=lambda c, lab: ReferenceClient(lab),
                )
                run.start()
                t1 = time.perf_counter()
                outcome = run.connect()
                if not outcome.connected:
                    raise SystemExit(f"{cell.id}: {outcome.describe()}")
                run.client.reach(str(run.lab.plan.protected_host))  # type: ignore[union-attr]
                run.wire()
                run.close(None)
                t2 = time.perf_counter()
                samples.setdefault("bring-up", []).append((t1 - t0) * 1000)
                samples.setdefault(f"connect {case.value}", []).append(outcome.seconds * 1000)
                samples.setdefault("per-test overhead", []).append(
                    (t2 - t0 - outcome.seconds) * 1000
                )
        print(f"{args.rounds} rounds per auth case, topology {args.topology}, reference client")
        print(f"{'measure':28} {'median ms':>10} {'p90 ms':>9} {'target':>8} {'ratio':>6}")
        for name, values in samples.items():
            med, p90 = median_p90(values)
            target = TARGETS_MS.get(name)
            ratio = f"{med / target:6.2f}" if target else "     -"
            print(f"{name:28} {med:10.1f} {p90:9.1f} {target or '-':>8} {ratio}")
    finally:
        shutil.rmtree(record.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
