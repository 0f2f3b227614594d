"""The "changed between versions" view: tests whose verdict differs across strongSwan releases.

Why by test ID without the version: a cell on the host's charon and the same cell on a root
filesystem's charon differ only in the `-sw<version>` suffix of the ID (infra.cell), so
stripping it pairs every test with itself on each release the report holds. A test is
listed when the outcomes differ; the page shows each release's outcome linked to its cell
page, where the reason (ledger entry, failure) is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.cell import without_gateway
from reports.matrix import version_key
from reports.views import CellView


def across_versions_key(nodeid: str) -> str:
    """NODEID with the gateway-version part of its cell ID removed."""
    base, bracket, cell_id = nodeid.partition("[")
    if not bracket or not cell_id.endswith("]"):
        return nodeid
    return f"{base}[{without_gateway(cell_id[:-1])}]"


@dataclass
class VersionRow:
    key: str
    by_version: dict[str, CellView] = field(default_factory=dict)

    @property
    def outcomes(self) -> set[str]:
        return {v.record.outcome.value for v in self.by_version.values()}

    @property
    def changed(self) -> bool:
        return len(self.outcomes) > 1

    @property
    def notes(self) -> list[tuple[str, str]]:
        """(version, why) for each release whose outcome is not a plain pass: the ledger's
        reason or the failure's message, so the page says why without a click."""
        return [
            (version, view.record.reason or view.record.message)
            for version, view in self.by_version.items()
            if view.record.outcome.value != "passed" and (view.record.reason or view.record.message)
        ]


@dataclass
class VersionChanges:
    versions: list[str]
    rows: list[VersionRow]

    @property
    def compared(self) -> int:
        """Tests that ran on at least two releases."""
        return sum(1 for r in self.rows if len(r.by_version) > 1)

    @property
    def changed(self) -> list[VersionRow]:
        return [r for r in self.rows if r.changed]


def version_changes(views: list[CellView]) -> VersionChanges:
    rows: dict[str, VersionRow] = {}
    for view in views:
        key = across_versions_key(view.record.nodeid)
        rows.setdefault(key, VersionRow(key)).by_version[view.record.cell.gateway] = view
    versions = sorted({v.record.cell.gateway for v in views}, key=version_key)
    return VersionChanges(versions, sorted(rows.values(), key=lambda r: r.key))
