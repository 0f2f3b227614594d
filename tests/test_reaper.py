"""A run killed with SIGKILL leaves a lab; the reaper removes exactly that lab.

Real namespaces and a real daemon (a `sleep` standing in for charon: the reaper treats
every recorded process alike) in a separate Python process that is then SIGKILLed.
Needs root, like the lab itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.lab.lab import list_namespaces
from infra.lab.reaper import reap, stale_records
from infra.proc import process_start_time

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

VICTIM = """
import sys
from infra.lab.lab import Lab
from infra.lab.topology import Role, TopologyKind
lab = Lab.up(TopologyKind.NAT, "reapertest", "victim")
proc = lab.spawn(Role.GATEWAY, ["sleep", "300"])
print(proc.pid, ",".join(lab.record.namespaces), lab.workdir, sep="|", flush=True)
sys.stdin.read()
"""


def test_reaper_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    env = dict(os.environ, TMPDIR=str(tmp_path))
    victim = subprocess.Popen(
        [sys.executable, "-c", VICTIM],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=Path(__file__).parent.parent,
        text=True,
    )
    assert victim.stdout is not None
    pid_text, namespaces_text, workdir_text = victim.stdout.readline().split("|")
    daemon_pid, workdir = int(pid_text), Path(workdir_text.strip())
    namespaces = namespaces_text.split(",")
    assert len(namespaces) == 3
    # The victim is alive: its lab must not be touched.
    assert stale_records(tmp_path) == []
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert set(namespaces) <= set(list_namespaces()) and process_start_time(daemon_pid) is not None

    report = reap(tmp_path)

    assert report.workdirs == [workdir] and not report.errors
    assert sorted(report.namespaces) == sorted(namespaces)
    assert not set(namespaces) & set(list_namespaces())
    deadline = time.monotonic() + 5
    while process_start_time(daemon_pid) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process_start_time(daemon_pid) is None
    assert not workdir.exists()


def test_reaper_ignores_foreign_and_live_directories(tmp_path: Path) -> None:
    foreign = tmp_path / "winterop-foreign"
    foreign.mkdir()
    (foreign / "owner.json").write_text('{"something": "else"}')
    assert stale_records(tmp_path) == [] and not reap(tmp_path)
    assert foreign.exists()
