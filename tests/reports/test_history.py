"""Two runs where cells changed: the changes show as regressions, fixes, new and removed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reports.history import Change, classify_change
from reports.schema import Outcome
from reports.site import BuildResult, build_site
from tests.reports.conftest import CONNECT, CURRENT, PREVIOUS


def test_recorded_runs_compare_as_expected(site: BuildResult) -> None:
    assert site.changes == {
        "regression": 1,
        "fix": 1,
        "changed": 1,
        "new": 3,
        "removed": 1,
        "unchanged": 1,
    }
    history = (site.out / "history.html").read_text()
    regressions = history.split('id="regression"')[1].split("<h2")[0]
    assert CONNECT.format("eap-mschapv2", "direct") in regressions
    fixes = history.split('id="fix"')[1].split("<h2")[0]
    assert CONNECT.format("eap-mschapv2", "nat") in fixes


def test_one_changed_cell_is_a_regression_then_a_fix(tmp_path: Path) -> None:
    """The same run twice, with one cell's outcome edited: regression one way, fix the other."""
    before = tmp_path / "before"
    shutil.copytree(CURRENT, before)
    target = CONNECT.format("eap-tls", "direct")
    for path in before.glob("*/result.json"):
        record = json.loads(path.read_text())
        if record["nodeid"] == target:
            assert record["outcome"] == "passed"
            record["outcome"] = "failed"
            path.write_text(json.dumps(record))
    forward = build_site([CURRENT], tmp_path / "a", previous=before, decode_missing=False)
    assert forward.changes["fix"] == 1 and forward.changes["regression"] == 0
    backward = build_site([before], tmp_path / "b", previous=CURRENT, decode_missing=False)
    assert backward.changes["regression"] == 1 and backward.changes["fix"] == 0
    index = (tmp_path / "b" / "index.html").read_text()
    assert "REGRESSED" in index and "1 regression" in index


def test_previous_may_be_the_evidence_of_a_built_site(tmp_path: Path) -> None:
    first = build_site([PREVIOUS], tmp_path / "site", decode_missing=False)
    second = build_site(
        [CURRENT], tmp_path / "site", previous=first.out / "evidence", decode_missing=False
    )
    assert second.changes["regression"] == 1 and second.changes["removed"] == 1


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (Outcome.PASSED, Outcome.FAILED, Change.REGRESSION),
        (Outcome.XFAILED, Outcome.XPASSED, Change.REGRESSION),
        (Outcome.PASSED, Outcome.ERROR, Change.REGRESSION),
        (Outcome.FAILED, Outcome.PASSED, Change.FIX),
        (Outcome.ERROR, Outcome.XFAILED, Change.FIX),
        (Outcome.PASSED, Outcome.SKIPPED, Change.CHANGED),
        (Outcome.FAILED, Outcome.ERROR, Change.CHANGED),
        (None, Outcome.PASSED, Change.NEW),
        (Outcome.PASSED, None, Change.REMOVED),
        (Outcome.FAILED, Outcome.FAILED, Change.UNCHANGED),
    ],
)
def test_change_kinds(before: Outcome | None, after: Outcome | None, change: Change) -> None:
    assert classify_change(before, after) is change
