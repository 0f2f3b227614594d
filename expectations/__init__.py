"""Known deviations ledger: where a test's ideal is known not to hold, and why.

DESIGN.md: the test asserts the ideal; deviations are data. Each entry of
``deviations.yaml`` names a test, a glob over its matrix-cell IDs, the reason, a source
link and a review date; optionally ``gateways``, the strongSwan versions it holds for
(default: every release), since a gateway release can cause or cure a deviation.
fixtures.expectations applies matching entries as
``xfail(strict=True, raises=IdealNotMet)``: only the ideal assertion (``ideal()``) may fail,
any other failure is still a failure, and a test that starts meeting its ideal turns red
(XPASS strict) so the entry gets reviewed.
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.cell import without_gateway

LEDGER = Path(__file__).parent / "deviations.yaml"
_KEYS = {"test", "cells", "reason", "source", "review"}
_OPTIONAL = {"gateways"}


class IdealNotMet(AssertionError):
    """The one assertion a known deviation may fail: the ideal outcome of a test."""


def ideal(condition: bool, message: str) -> None:
    """Assert the ideal outcome; a failure raises IdealNotMet (the xfail-able kind)."""
    if not condition:
        raise IdealNotMet(message)


class LedgerError(ValueError):
    """deviations.yaml does not match its schema; the message names entry and field."""


@dataclass(frozen=True)
class Deviation:
    test: str
    """Test node ID without parameters, e.g. ``suites/test_proposals.py::test_x``."""
    cells: str
    """fnmatch glob over the parameter ID without its ``-sw<version>`` part, e.g.
    ``emulated-*-strongswan-defaults-*``; releases are named in ``gateways``."""
    reason: str
    source: str
    review: datetime.date
    gateways: tuple[str, ...] = ()
    """strongSwan versions (e.g. ``6.0.1``) the deviation holds for; empty: all of them."""

    def matches(self, nodeid: str, gateway: str = "") -> bool:
        """Whether the item NODEID, run against strongSwan GATEWAY, is this deviation."""
        base, _, rest = nodeid.partition("[")
        if self.gateways and gateway not in self.gateways:
            return False
        cell_id = without_gateway(rest.rstrip("]"))  # the release is matched by `gateways`
        return base == self.test and fnmatch.fnmatchcase(cell_id, self.cells)

    def describe(self) -> str:
        return f"{self.reason} (source: {self.source}; review by {self.review.isoformat()})"


def _entry(index: int, raw: Any) -> Deviation:
    where = f"deviations.yaml entry {index}"
    if not isinstance(raw, dict):
        raise LedgerError(f"{where}: expected a mapping")
    missing, extra = sorted(_KEYS - set(raw)), sorted(set(raw) - _KEYS - _OPTIONAL)
    if missing or extra:
        raise LedgerError(f"{where}: missing {missing}, unknown {extra}")
    for key in ("test", "cells", "reason", "source"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise LedgerError(f"{where}.{key}: a non-empty string is required")
    review = raw["review"]
    if not isinstance(review, datetime.date):
        raise LedgerError(f"{where}.review: a date (YYYY-MM-DD) is required, got {review!r}")
    gateways = raw.get("gateways", [])
    if not isinstance(gateways, list) or not all(
        isinstance(g, str) and g.count(".") == 2 for g in gateways
    ):
        raise LedgerError(f"{where}.gateways: a list of strongSwan versions (e.g. '6.0.1')")
    return Deviation(
        raw["test"],
        raw["cells"],
        " ".join(raw["reason"].split()),
        raw["source"],
        review,
        tuple(gateways),
    )


def load(path: Path = LEDGER) -> list[Deviation]:
    data = yaml.safe_load(path.read_text()) or []
    if not isinstance(data, list):
        raise LedgerError("deviations.yaml: expected a list of entries")
    return [_entry(i, raw) for i, raw in enumerate(data)]
