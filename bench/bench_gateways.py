"""Gateway builds: first build time of a root filesystem, and what a chrooted charon costs.

Run as root: `.venv/bin/python -m bench.bench_gateways [--rounds 20] [--suite bookworm]`.

1. Builds SUITE's root filesystem from nothing (mmdebstrap, packages downloaded from the
   machine's Debian archive) into a temporary cache, timed: the first-build cost.
2. The chroot overhead, isolated: that root is the host's own release when SUITE is the host's
   (bookworm: charon 5.9.8 on both sides), so host-vs-chroot differs only in how charon is
   started (unshare + mounts + chroot). ROUNDS interop runs each, alternating, in one
   process: reference client, machine-cert, direct topology, the same code path a suite test
   takes (bring-up, connect, ping, capture, key table, decode, teardown). Prints medians of
   the whole cell and of the gateway start alone, and the chrooted / host ratio (goal <= 1.1).
3. The same cell against the trixie and sid builds when they are built (informational: other
   releases, so their ratio is not only the chroot's).
No assertion; numbers are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.protocol import ClientKind
from infra.clients.reference import ReferenceClient
from infra.gateway import rootfs
from infra.gateway.builds import BUILDS, BuildStatus, GatewayBuild, status
from infra.interop_run import InteropRun, LabCredentials
from infra.lab.ownership import OwnerRecord
from infra.lab.topology import TopologyKind
from infra.pki.lab_pki import LabPki

GOAL = 1.1
CELL = Cell(
    ClientKind.REFERENCE,
    "strongswan",
    AuthCase.MACHINE_CERT,
    "docs-recommended",
    TopologyKind.DIRECT,
)


def one_cell(
    build: BuildStatus, pki: LabPki, eap: LabCredentials, run_id: str
) -> tuple[float, float]:
    """(seconds for the whole cell, seconds of its gateway start phases)."""
    t0 = time.perf_counter()
    run = InteropRun(
        CELL,
        run_id=run_id,
        worker="bench",
        pki=pki,
        eap=eap,
        make_client=lambda c, lab: ReferenceClient(lab),
        gateway_build=build,
    )
    try:
        run.start()
        outcome = run.connect()
        if not outcome.connected:
            raise SystemExit(f"{build.build.name}: {outcome.describe()}")
        run.client.reach(str(run.lab.plan.protected_host))  # type: ignore[union-attr]
        run.wire()
    finally:
        run.close(None)
    phases = run.phases.record()
    return time.perf_counter() - t0, phases.get("gateway start", 0.0) + phases.get(
        "gateway load", 0.0
    )


def first_build(suite: str, cache: Path) -> BuildStatus:
    os.environ["WINTEROP_GATEWAYS_DIR"] = str(cache)
    build = GatewayBuild(suite, "")
    outcome = rootfs.ensure(build, force=True)
    found = status(build)
    if not found.ok:
        raise SystemExit(f"the {suite} root is unusable: {found.problem}")
    print(f"first build of {suite}: {outcome.seconds:.1f} s ({outcome.detail})")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--suite", default="bookworm", help="root filesystem to build and time")
    args = parser.parse_args()
    run_id = f"bench{os.getpid()}"
    record = OwnerRecord.create(f"{run_id}-pki")
    cache = Path(tempfile.mkdtemp(prefix="winterop-bench-gateways-"))
    saved = os.environ.get("WINTEROP_GATEWAYS_DIR")
    try:
        chrooted = first_build(args.suite, cache)
        if saved is None:
            del os.environ["WINTEROP_GATEWAYS_DIR"]
        else:
            os.environ["WINTEROP_GATEWAYS_DIR"] = saved
        host = status(BUILDS[0])
        others = [s for b in BUILDS[1:] if (s := status(b)).ok]
        pki = LabPki.load_or_create(record.workdir / "pki")
        eap = LabCredentials("alice", secrets.token_urlsafe(12))
        contenders = {"host": host, f"chroot {args.suite}": chrooted}
        contenders |= {f"chroot {s.build.name}": s for s in others}
        cell: dict[str, list[float]] = {name: [] for name in contenders}
        start: dict[str, list[float]] = {name: [] for name in contenders}
        one_cell(host, pki, eap, run_id)  # warm-up: page cache, tshark
        for i in range(args.rounds):
            names = list(contenders) if i % 2 == 0 else list(reversed(contenders))
            for name in names:
                total, gateway = one_cell(contenders[name], pki, eap, run_id)
                cell[name].append(total * 1000)
                start[name].append(gateway * 1000)
        print(f"{args.rounds} rounds, {CELL.id}, alternating order")
        header = f"{'gateway':18} {'charon':>16} {'cell ms':>9} {'ratio':>6}"
        print(f"{header} {'gw start ms':>12} {'ratio':>6}")
        base_cell, base_start = statistics.median(cell["host"]), statistics.median(start["host"])
        for name, build in contenders.items():
            c, s = statistics.median(cell[name]), statistics.median(start[name])
            print(
                f"{name:18} {build.package:>16} {c:9.1f} {c / base_cell:6.3f} "
                f"{s:12.1f} {s / base_start:6.3f}"
            )
        ratio = statistics.median(cell[f"chroot {args.suite}"]) / base_cell
        print(f"chroot overhead per cell (same release): {ratio:.3f} (goal <= {GOAL})")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(record.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
