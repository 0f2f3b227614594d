"""Run only by tests/test_lab_errors.py, in a pytest of its own (the file name does not match
python_files, so no ordinary run collects it): a real interop cell whose tcpdump dies in
the middle. The lab failed, not the client: the item must end as a lab error."""

from __future__ import annotations

import os
import signal

import pytest

from fixtures.interop import StartInterop
from fixtures.matrix import params, reference_cells
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.lab.topology import TopologyKind
from suites import ends

CELLS = reference_cells([AuthCase.MACHINE_CERT], ["docs-recommended"], [TopologyKind.DIRECT])


@pytest.mark.parametrize("cell", params(CELLS))
def test_tcpdump_dies(interop: StartInterop, cell: Cell) -> None:
    run = interop(cell)
    ends.assert_connected(run.connect())
    assert run.capture is not None
    os.kill(run.capture._proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
    run.capture._proc.wait()  # type: ignore[union-attr]
    run.wire()
