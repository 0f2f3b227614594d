"""The known-deviations ledger: entries, globs over cell IDs, and the gateways key."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations import LEDGER, LedgerError, load

ENTRY = """- test: suites/test_x.py::test_y
  cells: "emulated-*-direct*"
  reason: why
  source: https://example.test/source
  review: 2027-01-31
"""
NODE = "suites/test_x.py::test_y[emulated-win7-machine-cert-docs-recommended-direct{}]"


def _ledger(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deviations.yaml"
    path.write_text(text)
    return path


def test_the_shipped_ledger_loads() -> None:
    assert load(LEDGER)


def test_an_entry_without_gateways_holds_for_every_release(tmp_path: Path) -> None:
    [entry] = load(_ledger(tmp_path, ENTRY))
    assert entry.gateways == ()
    assert entry.matches(NODE.format(""), "5.9.8")
    assert entry.matches(NODE.format("-sw6.1.0"), "6.1.0")
    assert not entry.matches(NODE.format("").replace("emulated", "reference"), "5.9.8")


def test_gateways_limits_an_entry_to_those_releases(tmp_path: Path) -> None:
    [entry] = load(_ledger(tmp_path, ENTRY + '  gateways: ["6.0.1", "6.1.0"]\n'))
    assert entry.gateways == ("6.0.1", "6.1.0")
    assert not entry.matches(NODE.format(""), "5.9.8")
    assert entry.matches(NODE.format("-sw6.0.1"), "6.0.1")


def test_a_bad_gateways_value_names_the_entry(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match=r"entry 0\.gateways: a list of strongSwan versions"):
        load(_ledger(tmp_path, ENTRY + "  gateways: trixie\n"))


def test_a_glob_ending_in_the_topology_matches_every_release(tmp_path: Path) -> None:
    """The ID's -sw<version> part is not the glob's business: `gateways` names releases, so
    `...-direct` must hold for the 6.1.0 cell as it does for the host's (the version matrix
    once failed two cells a ledger entry named, for want of a trailing `*`)."""
    [entry] = load(_ledger(tmp_path, ENTRY.replace("-direct*", "-direct")))
    assert entry.matches(NODE.format(""), "5.9.8")
    assert entry.matches(NODE.format("-sw6.1.0"), "6.1.0")
    assert not entry.matches(NODE.format("-sw6.1.0").replace("-direct", "-nat"), "6.1.0")
