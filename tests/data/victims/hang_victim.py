"""Run only by tests/test_killed_run.py, in a pytest of its own: a real interop cell that
connects, reports what it started, and then waits to be killed (SIGKILL or SIGINT)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from fixtures.interop import StartInterop
from fixtures.matrix import params, reference_cells
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.lab.topology import TopologyKind
from suites import ends

CELLS = reference_cells([AuthCase.MACHINE_CERT], ["docs-recommended"], [TopologyKind.NAT])


@pytest.mark.parametrize("cell", params(CELLS))
def test_waits_to_be_killed(interop: StartInterop, cell: Cell) -> None:
    run = interop(cell)
    ends.assert_connected(run.connect())
    started = {
        "namespaces": list(run.lab.record.namespaces),
        "pids": [p.pid for p in run.lab.record.processes],
        "workdir": str(run.lab.workdir),
    }
    Path(os.environ["WINTEROP_VICTIM_REPORT"]).write_text(json.dumps(started))
    time.sleep(120)
