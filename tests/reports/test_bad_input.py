"""Bad input is named and skipped, never fatal: truncated, foreign, stale or missing files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reports.__main__ import main
from reports.loader import load_result_set
from reports.site import build_site
from tests.reports.conftest import CURRENT


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    shutil.copytree(CURRENT, root)
    return root


def _folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir())


def test_truncated_and_foreign_files_are_named_and_skipped(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    truncated, foreign, binary = _folders(root)[:3]
    text = (truncated / "result.json").read_text()
    (truncated / "result.json").write_text(text[: len(text) // 2])
    (foreign / "result.json").write_text(json.dumps({"testsuite": {"tests": 3}}))
    (binary / "result.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    loaded = load_result_set(root)
    named = {p.path.split("/")[1]: p.reason for p in loaded.problems if "result.json" in p.path}
    assert "not valid JSON (truncated?)" in named[truncated.name]
    assert "not a winterop result" in named[foreign.name]
    assert "not UTF-8" in named[binary.name]
    # The manifest still lists the three tests: they are shown from run.json, said so.
    assert len(loaded.records) == 7
    assert sum("wrote no record" in p.reason for p in loaded.problems) == 3


def test_a_broken_manifest_and_facts_still_build_a_site(tmp_path: Path, capsys: object) -> None:
    root = _copy(tmp_path)
    (root / "run.json").write_text('{"schema": "winterop.run", "schema_versi')
    for facts in root.glob("*/facts.json"):
        facts.write_text("[1, 2")
    out = tmp_path / "site"
    assert main(["--results", str(root), "--out", str(out), "--no-decode"]) == 0
    index = (out / "index.html").read_text()
    assert "evidence/run.json" in index and "not valid JSON" in index
    cell = next((out / "cells").glob("*eap-tls-docs-recommended-direct.html")).read_text()
    assert "facts.json is unreadable" in cell


def test_stale_records_of_other_runs_are_left_out(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    stale = root / "suites.test_auth.py.test_connect[reference-strongswan-old-docs-recommended-nat]"
    shutil.copytree(_folders(root)[0], stale)
    record = json.loads((stale / "result.json").read_text())
    record.update(run_id="0ld000", nodeid=record["nodeid"].replace("eap", "old"))
    (stale / "result.json").write_text(json.dumps(record))
    loaded = load_result_set(root)
    assert loaded.ignored == 1 and all(r.record.run_id != "0ld000" for r in loaded.records)


def test_a_missing_result_folder_is_reported(tmp_path: Path) -> None:
    built = build_site([tmp_path / "nowhere", CURRENT], tmp_path / "site", decode_missing=False)
    assert built.cells == 7
    assert any("not a folder" in p.reason for p in built.problems)
