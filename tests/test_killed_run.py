"""A real run killed in the middle of a cell leaves nothing behind.

A pytest of its own runs one interop cell (tests/data/victims/hang_victim.py: the NAT
topology, a gateway charon, the reference client's charon, tcpdump) that connects and then
waits. SIGINT: pytest's own teardown removes everything before it exits. SIGKILL: nothing
can run in the dead process, so its charons and tcpdump live on as orphans and its
namespaces stay; the reaper every run starts with (fixtures/lab.py) removes exactly those.
Each check is on the real system: /run/netns, /proc, the work directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.lab.lab import list_namespaces
from infra.lab.reaper import reap
from infra.proc import process_start_time

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")

ROOT = Path(__file__).resolve().parent.parent
VICTIM = ROOT / "tests" / "data" / "victims" / "hang_victim.py"


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """The victim's TMPDIR: short, because charon's VICI socket lives in the lab's work
    directory and AF_UNIX paths end at 108 bytes (pytest's tmp_path is too deep)."""
    path = Path(tempfile.mkdtemp(prefix="wok"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _start(tmp_path: Path, tmp: Path) -> tuple[subprocess.Popen[str], dict[str, Any], Path]:
    """The victim run, once its cell is connected: (process, what it started, its tmp)."""
    report = tmp_path / "started.json"
    env = dict(os.environ, TMPDIR=str(tmp), WINTEROP_VICTIM_REPORT=str(report))
    victim = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", str(VICTIM), "--evidence-dir", str(tmp_path / "ev")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not report.exists():
        if victim.poll() is not None or time.monotonic() > deadline:
            victim.kill()
            out = victim.communicate()[0]
            pytest.fail(f"the victim run never connected:\n{out[-3000:]}")
        time.sleep(0.1)
    started = json.loads(report.read_text())
    assert len(started["namespaces"]) == 3 and len(started["pids"]) >= 3, started
    return victim, started, tmp


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if process_start_time(pid) is not None]


def _wait_dead(pids: list[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(pids)


def test_sigint_tears_the_cell_down_before_pytest_exits(tmp_path: Path, short_tmp: Path) -> None:
    victim, started, tmp = _start(tmp_path, short_tmp)
    victim.send_signal(signal.SIGINT)
    out = victim.communicate(timeout=60)[0]
    assert victim.returncode != 0, out
    assert not set(started["namespaces"]) & set(list_namespaces()), out[-2000:]
    assert _wait_dead(started["pids"]) == [], out[-2000:]
    assert not Path(started["workdir"]).exists()
    assert not reap(tmp), "SIGINT left something for the reaper"


def test_sigkill_leaves_orphans_that_the_next_run_reaps(tmp_path: Path, short_tmp: Path) -> None:
    victim, started, tmp = _start(tmp_path, short_tmp)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    # What a dead pytest cannot clean up is still there...
    assert set(started["namespaces"]) <= set(list_namespaces())
    assert _alive(started["pids"]), "expected the run's daemons to outlive it"
    report = reap(tmp)
    # ...until the reaper (which every run starts with) removes exactly it.
    assert not report.errors, report.summary()
    assert sorted(report.namespaces) == sorted(started["namespaces"])
    assert not set(started["namespaces"]) & set(list_namespaces())
    assert _wait_dead(started["pids"]) == []
    assert not Path(started["workdir"]).exists()
    assert not any(tmp.iterdir()), sorted(p.name for p in tmp.iterdir())
