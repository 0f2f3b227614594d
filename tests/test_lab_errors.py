"""Failures of the lab are reported as errors of the lab, never as interop verdicts.

Unit tests of the classification, and one real run: a pytest of its own runs an interop cell
whose tcpdump is SIGKILLed mid-test (tests/data/victims/lab_error_victim.py); its result.json
must say "error" with the lab's cause, and pytest's summary "LAB ERROR".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.results import LAB_ERROR, classify
from infra.capture.tcpdump import CaptureError
from infra.charon.daemon import CharonError
from infra.errors import LabError, lab_cause
from reports.schema import Outcome

ROOT = Path(__file__).resolve().parent.parent


def _report(when: str, outcome: str, props: list[tuple[str, object]]) -> pytest.TestReport:
    return pytest.TestReport(
        "suites/x.py::t[c]", ("x", 1, "t"), {}, outcome, "boom", when, user_properties=props
    )


def test_a_phase_failed_by_the_lab_is_an_error_with_its_cause() -> None:
    reports = {
        "setup": _report("setup", "passed", []),
        "call": _report("call", "failed", [(LAB_ERROR, "CaptureError: tcpdump exited")]),
    }
    verdict = classify(reports)
    assert verdict.outcome is Outcome.ERROR
    assert verdict.phase == "call"
    assert "lab error, not a verdict" in verdict.reason and "tcpdump exited" in verdict.reason


def test_an_ordinary_assertion_stays_a_failed_verdict() -> None:
    reports = {"call": _report("call", "failed", [])}
    assert classify(reports).outcome is Outcome.FAILED


def test_the_lab_cause_is_found_through_the_exception_chain() -> None:
    try:
        try:
            raise CaptureError("tcpdump died")
        except CaptureError:
            raise AssertionError("expected a connection") from None
    except AssertionError as outer:
        # `from None` hides the cause from tracebacks but keeps __context__.
        assert lab_cause(outer) is not None
    assert isinstance(CharonError("x"), LabError)
    assert lab_cause(AssertionError("a real verdict")) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")
def test_a_killed_tcpdump_is_reported_as_a_lab_error(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    victim = ROOT / "tests" / "data" / "victims" / "lab_error_victim.py"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", str(victim), "--evidence-dir", str(evidence)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "LAB ERROR" in done.stdout and "1 error" in done.stdout, done.stdout
    records = list(evidence.glob("*/result.json"))
    assert len(records) == 1, done.stdout
    record = json.loads(records[0].read_text())
    assert record["outcome"] == "error"
    assert record["phase"] == "call"
    assert "lab error, not a verdict" in record["reason"]
    assert "tcpdump" in record["reason"] and "exited with status -9" in record["reason"]
