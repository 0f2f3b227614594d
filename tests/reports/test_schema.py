"""The result schema: the recorded records read back, and foreign documents are refused by field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reports.schema import (
    SCHEMA_VERSION,
    Outcome,
    SchemaError,
    manifest_from_json,
    record_from_json,
    worst,
)
from tests.reports.conftest import CURRENT


def _records(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(root.glob("*/result.json"))]


def test_recorded_set_holds_every_outcome_kind() -> None:
    outcomes = {record_from_json(doc).outcome for doc in _records(CURRENT)}
    assert outcomes == set(Outcome)


def test_records_carry_cell_windows_gateway_and_provenance() -> None:
    records = {r.nodeid: r for r in map(record_from_json, _records(CURRENT))}
    failed = next(r for r in records.values() if r.outcome is Outcome.FAILED)
    assert failed.schema_version == SCHEMA_VERSION
    assert failed.cell.client_kind == "reference" and failed.cell.feature == "eap-mschapv2"
    assert failed.windows is not None and failed.windows.error == 691
    assert failed.message.startswith("expected a connection; observed")
    assert failed.gateway.spec["connections"] and "eap-mschapv2" in failed.gateway.plugins
    assert {"charon", "tshark", "kernel", "python", "git_commit"} <= failed.provenance.keys()
    assert "facts.json" in failed.evidence.files and "capture.pcap" in failed.evidence.files
    skipped = next(r for r in records.values() if r.outcome is Outcome.SKIPPED)
    assert skipped.reason and skipped.phase == "setup"
    xfailed = next(r for r in records.values() if r.outcome is Outcome.XFAILED)
    assert "ledger" in xfailed.reason
    error = next(r for r in records.values() if r.outcome is Outcome.ERROR)
    assert error.phase == "setup" and "induced setup error" in error.message


def test_manifest_counts_every_item() -> None:
    manifest = manifest_from_json(json.loads((CURRENT / "run.json").read_text()))
    assert sum(manifest.counts.values()) == len(manifest.tests) == 7
    assert manifest.finished is not None and manifest.command[0] == "pytest"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d.update(schema="junit"), "schema: expected 'winterop.result'"),
        (lambda d: d.update(schema_version=99), "schema_version: 99 is not readable"),
        (lambda d: d["cell"].pop("profile"), "cell.profile: missing"),
        (lambda d: d.update(outcome="maybe"), "outcome: unknown outcome 'maybe'"),
        (lambda d: d["durations"].update(call="slow"), "durations.call: expected int"),
    ],
)
def test_foreign_or_damaged_records_name_the_field(change: Any, complaint: str) -> None:
    doc = _records(CURRENT)[0]
    change(doc)
    with pytest.raises(SchemaError, match=complaint.replace("(", r"\(")):
        record_from_json(doc)


def test_worst_outcome_is_the_verdict() -> None:
    assert worst([Outcome.PASSED, Outcome.XFAILED, Outcome.FAILED]) is Outcome.FAILED
    assert worst([Outcome.SKIPPED, Outcome.PASSED]) is Outcome.PASSED
    assert worst([]) is None
