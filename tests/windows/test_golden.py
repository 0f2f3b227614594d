"""Golden tests: the PowerShell each builder generates, compared to reviewed files.

The scripts cannot run here (no PowerShell on this machine), so their exact text is the
contract: a change to any builder shows up as a diff of tests/windows/golden/<case>.ps1 that
a reviewer reads like code.

To accept an intended change, regenerate the files and review the diff:

    WINTEROP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/windows/test_golden.py
    git diff tests/windows/golden/

With WINTEROP_UPDATE_GOLDEN=1 the tests rewrite the files (and delete orphans) and pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.windows.cases import CASES

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WINTEROP_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", sorted(CASES))
def test_script_matches_golden(case: str) -> None:
    text = CASES[case]().text
    path = GOLDEN_DIR / f"{case}.ps1"
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no golden file {path}; run with WINTEROP_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{case}: generated script differs from {path.name}; "
        "if intended, rerun with WINTEROP_UPDATE_GOLDEN=1 and review the diff"
    )


def test_no_orphan_golden_files() -> None:
    orphans = sorted(p.stem for p in GOLDEN_DIR.glob("*.ps1") if p.stem not in CASES)
    if UPDATE:
        for name in orphans:
            (GOLDEN_DIR / f"{name}.ps1").unlink()
        return
    assert not orphans, f"golden files without a case: {orphans}"
