"""reports.flakes names exactly the tests whose verdict changed between runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reports.flakes import compare_runs, main
from tests.reports.conftest import CURRENT


def _copy(target: Path) -> Path:
    shutil.copytree(CURRENT, target)
    return target


def _set_outcome(root: Path, nodeid_part: str, outcome: str) -> str:
    [path] = [p for p in root.glob("*/result.json") if nodeid_part in p.parent.name]
    record = json.loads(path.read_text())
    record["outcome"] = outcome
    path.write_text(json.dumps(record))
    return str(record["nodeid"])


def test_the_one_changed_verdict_is_the_one_flake(tmp_path: Path) -> None:
    runs = [_copy(tmp_path / f"run-{n}") for n in (1, 2, 3)]
    changed = _set_outcome(runs[1], "eap-mschapv2-docs-recommended-nat", "failed")
    flakes, tests = compare_runs(runs)
    assert tests >= 5
    [flake] = flakes
    assert flake.nodeid == changed
    assert flake.outcomes == ("passed", "failed", "passed")
    assert flake.evidence[0].parent == runs[0] and flake.evidence[1].parent == runs[1]


def test_a_test_missing_from_a_run_counts_as_changed(tmp_path: Path) -> None:
    runs = [_copy(tmp_path / f"run-{n}") for n in (1, 2)]
    [gone] = [p for p in runs[1].iterdir() if "eap-tls-docs-recommended-direct" in p.name]
    nodeid = json.loads((gone / "result.json").read_text())["nodeid"]
    shutil.rmtree(gone)  # and out of the manifest, which would stand in for the record
    manifest = json.loads((runs[1] / "run.json").read_text())
    del manifest["tests"][nodeid]
    (runs[1] / "run.json").write_text(json.dumps(manifest))
    [flake] = compare_runs(runs)[0]
    assert flake.outcomes[1] == "absent"


def test_exit_status_says_whether_anything_changed(tmp_path: Path, capsys: object) -> None:
    same = [_copy(tmp_path / f"same-{n}") for n in (1, 2)]
    assert main(["--compare", *map(str, same)]) == 0
    _set_outcome(same[1], "eap-mschapv2-docs-recommended-nat", "error")
    assert main(["--compare", *map(str, same)]) == 1
    assert main(["--compare", str(tmp_path / "nowhere"), str(same[0])]) == 2
