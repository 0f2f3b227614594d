"""Record the report builder's test data from real runs of the suites (run as root).

    .venv/bin/python -m tests.reports.record_data [previous current emulated versions]

Runs the auth suite twice with tests/reports/induce.py (scenarios "previous" and "current"),
and a few emulated cells as they are ("emulated": the fidelity and uncertainty views are
tested on it, with a real-Windows result set derived from it in the test), and two tests on
every gateway build ("versions", `--gateways all`: the gateway-version axis and the
changed-between-versions view; needs the trixie and sid roots), then copies each
evidence root into tests/reports/data/<scenario>/, trimmed: charon's hex
dumps are dropped from the logs (they are most of their size and none of their meaning).
The captures, key tables, facts.json and records stay as the run wrote them. Refuses to
write anything in which the secret scanner finds a private key or a credential.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from reports.secrets import findings
from tests.reports.induce import SCENARIOS

DATA = Path(__file__).parent / "data"
LOGS = ("gateway.log", "client.log")
MAX_LOG_LINES = 400
_DUMP = re.compile(r"^\S+ \d+\[\w+\] (?:<[^>]*> )?(?:\s+\d+: [0-9A-F]{2} |.*=> \d+ bytes @ 0x)")


def record(scenario: str, work: Path) -> Path:
    evidence = work / scenario
    env = dict(os.environ, WINTEROP_INDUCE=scenario)
    command = [
        sys.executable, "-m", "pytest", "-p", "tests.reports.induce", "-q",
        f"--evidence-dir={evidence}", *SCENARIOS[scenario],
    ]  # fmt: skip
    subprocess.run(command, env=env, check=False)
    return evidence


EMULATED = (
    "suites/test_auth.py::test_connect[emulated-win10-22h2-machine-cert-docs-recommended-direct]",
    "suites/test_auth.py::test_connect[emulated-win7-eap-mschapv2-docs-recommended-direct]",
    "suites/test_auth.py::test_untrusted_gateway_ca"
    "[emulated-win10-22h2-eap-tls-gw-untrusted-ca-docs-recommended-direct]",
    "suites/test_proposals.py::test_default_proposals"
    "[emulated-win11-23h2-machine-cert-default-proposals-strongswan-defaults-direct]",
)
"""The emulated cells of the "emulated" result set: a pass of each auth case family, a
failure Windows must report, a known deviation, and expectations resting on uncertain facts."""


VERSIONS = (
    "suites/test_auth.py::test_wrong_password",
    "suites/test_auth.py::test_connect",
    "-k",
    "emulated-win10-22h2 and eap-mschapv2 and direct and not test_connect"
    " or reference and machine-cert-docs-recommended-direct",
    "--gateways",
    "all",
)
"""The "versions" result set: a test whose verdict differs on 6.1.0 (the ledger's MS-CHAPv2
entry) and one that passes on every release."""


def record_plain(name: str, test_ids: tuple[str, ...], work: Path) -> Path:
    evidence = work / name
    command = [sys.executable, "-m", "pytest", "-q", f"--evidence-dir={evidence}", *test_ids]
    subprocess.run(command, check=False)
    return evidence


def trim_log(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if not _DUMP.match(line)]
    if len(lines) > MAX_LOG_LINES:
        cut = len(lines) - MAX_LOG_LINES
        lines = [*lines[:MAX_LOG_LINES], f"... [{cut} more lines trimmed for winterop's test data]"]
    path.write_text("\n".join(lines) + "\n")


def store(evidence: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(evidence, target)
    manifest = target / "run.json"
    if manifest.exists():  # the command line names the temporary folder: no machine path
        text = manifest.read_text().replace(str(evidence.parent) + "/", "evidence/")
        manifest.write_text(text)
    for log in (p for name in LOGS for p in target.glob(f"*/{name}")):
        trim_log(log)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix != ".pcap":
            found = findings(path.read_text(errors="replace"))
            if found:
                raise SystemExit(f"record_data: {path}: {', '.join(found)}; not stored")


def main(argv: list[str]) -> int:
    """Record every set, or only the sets named on the command line."""
    wanted = set(argv) or {*SCENARIOS, "emulated", "versions"}
    with tempfile.TemporaryDirectory(prefix="winterop-record-") as work:
        for scenario in (s for s in SCENARIOS if s in wanted):
            store(record(scenario, Path(work)), DATA / scenario)
            print(f"record_data: {DATA / scenario}")
        for name, selection in (("emulated", EMULATED), ("versions", VERSIONS)):
            if name in wanted:
                store(record_plain(name, selection, Path(work)), DATA / name)
                print(f"record_data: {DATA / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
