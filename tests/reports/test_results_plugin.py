"""The results plugin on a small suite of its own: a record for every outcome kind, none for
unit tests, run.json with the counts, the cell in JUnit XML; then a site from it.

The suite runs in a child pytest with only winterop's option, client, evidence and results
plugins (no lab, no root), and with emulated cells, so nothing here depends on the reference
client being the only kind there is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reports.loader import load_result_set
from reports.schema import Outcome, manifest_from_json, record_from_json
from reports.site import build_site
from tests.reports.links import broken_links

SUITE = '''
import pytest
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.protocol import ClientKind
from infra.lab.topology import TopologyKind

VARIANTS = ["pass", "fail", "skip", "xfail", "xpass", "xpass-strict", "setup-error",
            "teardown-error", "record-bug"]
CELLS = [Cell(ClientKind.EMULATED, profile, AuthCase.EAP_TLS, "docs-recommended",
              TopologyKind.DIRECT, variant=v)
         for profile in ("win10-22h2", "win11-24h2") for v in VARIANTS]
MARKS = {"xfail": pytest.mark.xfail(reason="ledger: known deviation"),
         "xpass": pytest.mark.xfail(reason="ledger: stale entry"),
         "xpass-strict": pytest.mark.xfail(reason="ledger: strict entry", strict=True)}


@pytest.fixture
def lab(request):
    variant = request.node.callspec.params["cell"].variant
    if variant == "setup-error":
        raise RuntimeError("lab could not start")
    yield
    if variant == "teardown-error":
        raise RuntimeError("lab could not stop")


@pytest.mark.parametrize("cell", [pytest.param(c, id=c.id, marks=[MARKS[c.variant]]
                                  if c.variant in MARKS else []) for c in CELLS])
def test_cell(lab, cell):
    """One cell of the fake suite.

    It does what its variant says.

    Expectation: the variant's outcome.
    """
    if cell.variant == "skip":
        pytest.skip("no such client here")
    if cell.variant in ("fail", "xfail"):
        assert False, "expected N(12345) with data 13863; observed N(NO_PROP) in frame 3"


def test_unit():
    pass
'''

CONFTEST = '''
import fixtures.results as results

original = results.result_record


def broken(item, cell, reports, folder):
    """A bug in building the record must not cost the record (nor crash an xdist worker)."""
    if cell.variant == "record-bug":
        raise ValueError("simulated bug")
    return original(item, cell, reports, folder)


results.result_record = broken
'''

PLUGINS = ["fixtures.options", "fixtures.clients", "fixtures.evidence", "fixtures.results"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugin")
    (root / "test_fake_suite.py").write_text(SUITE)
    (root / "conftest.py").write_text(CONFTEST)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    command = [sys.executable, "-m", "pytest", "-q", "--evidence-dir", "evidence"]
    command += [f"-p{p}" for p in PLUGINS]
    command += ["--junitxml", "junit.xml", "test_fake_suite.py"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert "8 passed" not in done.stdout  # it ran the mix of outcomes, see below
    assert done.returncode == 1, done.stdout + done.stderr
    return root


def _records(run: Path) -> dict[str, Outcome]:
    docs = [json.loads(p.read_text()) for p in (run / "evidence").glob("*/result.json")]
    return {r.cell.variant + "/" + r.cell.profile: r.outcome for r in map(record_from_json, docs)}


def test_every_outcome_kind_gets_a_record(run: Path) -> None:
    outcomes = _records(run)
    assert len(outcomes) == 18  # two profiles x nine variants, and no record for test_unit
    expected = {
        "pass": Outcome.PASSED,
        "fail": Outcome.FAILED,
        "skip": Outcome.SKIPPED,
        "xfail": Outcome.XFAILED,
        "xpass": Outcome.XPASSED,
        "xpass-strict": Outcome.XPASSED,
        "setup-error": Outcome.ERROR,
        "teardown-error": Outcome.ERROR,
        "record-bug": Outcome.PASSED,
    }
    for variant, outcome in expected.items():
        assert outcomes[f"{variant}/win11-24h2"] is outcome, variant


def test_records_hold_reasons_messages_and_docstrings(run: Path) -> None:
    records = {
        r.cell.variant: r
        for r in (
            record_from_json(json.loads(p.read_text()))
            for p in (run / "evidence").glob("*win11*/result.json")
        )
    }
    assert records["skip"].reason == "no such client here"
    assert records["xfail"].reason == "ledger: known deviation"
    assert records["xfail"].message.startswith("expected N(12345)")
    assert records["fail"].message.startswith("expected N(12345)") and records["fail"].traceback
    assert (
        records["setup-error"].phase == "setup"
        and "lab could not start" in records["setup-error"].message
    )
    assert records["teardown-error"].phase == "teardown"
    assert records["pass"].test.summary == "One cell of the fake suite."
    assert records["pass"].test.description == "It does what its variant says."
    assert records["pass"].test.expectation == "the variant's outcome."
    assert records["pass"].gateway.spec["preset"] == "docs-recommended"
    assert records["pass"].windows is None  # the fake suite never dialled
    assert (
        "could not complete this record: ValueError: simulated bug" in records["record-bug"].message
    )


def test_manifest_and_junit(run: Path) -> None:
    manifest = manifest_from_json(json.loads((run / "evidence" / "run.json").read_text()))
    assert manifest.counts == {
        "passed": 4,
        "failed": 2,
        "error": 4,
        "skipped": 2,
        "xfailed": 2,
        "xpassed": 4,
    }
    assert manifest.exit_status == 1 and len(manifest.tests) == 18
    properties = {
        p.get("name"): p.get("value") for p in ET.parse(run / "junit.xml").iter("property")
    }
    assert properties["winterop.client_kind"] == "emulated"
    assert properties["winterop.evidence"].startswith("test_fake_suite.py.test_cell[")


def test_a_site_from_the_plugin_output_shows_emulated_profiles(run: Path, tmp_path: Path) -> None:
    assert load_result_set(run / "evidence").problems == []
    built = build_site([run / "evidence"], tmp_path / "site", decode_missing=False)
    index = (built.out / "index.html").read_text()
    assert ">emulated<" in index and ">win10-22h2<" in index and ">win11-24h2<" in index
    assert broken_links(built.out) == []
