"""The compatibility matrix: client builds down, features across, one table per gateway preset
and strongSwan version (the gateway-version axis: one table per release the run covered).

Rows are (client kind, profile) grouped by kind; the kind order follows infra's ClientKind
(emulated, windows, reference) and any kind the records bring that infra does not know yet
follows alphabetically, so a new kind or profile shows up without touching this module.
Columns are (feature, variant) in the order of infra's AuthCase, then alphabetically. A matrix
cell holds every test item of its coordinates (one per topology, or per test function) and
shows the worst outcome and the counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from infra.auth_cases import AuthCase
from infra.clients.protocol import ClientKind
from reports.schema import SEVERITY, Outcome, worst
from reports.views import CellView

KIND_ORDER = tuple(k.value for k in ClientKind)
FEATURE_ORDER = tuple(a.value for a in AuthCase)


@dataclass(frozen=True)
class Column:
    feature: str
    variant: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.feature, self.variant)

    @property
    def label(self) -> str:
        return self.feature

    @property
    def sublabel(self) -> str:
        return self.variant or "\u2014"


@dataclass
class MatrixCell:
    items: list[CellView] = field(default_factory=list)

    @property
    def verdict(self) -> Outcome | None:
        return worst([v.record.outcome for v in self.items])

    @property
    def counts(self) -> list[tuple[str, int]]:
        counter = Counter(v.record.outcome for v in self.items)
        return [(o.value, counter[o]) for o in SEVERITY if counter[o]]

    @property
    def passed(self) -> int:
        return sum(1 for v in self.items if v.record.outcome.good)

    def badge(self, view: CellView) -> str:
        """The label of one item inside the cell: its topology, plus what tells it apart."""
        twins = [v for v in self.items if v.record.cell.topology == view.record.cell.topology]
        if len(twins) == 1:
            return view.record.cell.topology
        return f"{view.record.cell.topology} \u00b7 {view.record.test.function}"


@dataclass
class Row:
    kind: str
    profile: str
    cells: dict[tuple[str, str], MatrixCell] = field(default_factory=dict)

    def cell(self, column: Column) -> MatrixCell | None:
        return self.cells.get(column.key)


@dataclass
class Matrix:
    preset: str
    columns: list[Column]
    groups: list[tuple[str, list[Row]]]
    gateway: str = ""
    """The strongSwan version of the table's cells; empty when the report has only one."""

    @property
    def anchor(self) -> str:
        return f"preset-{self.preset}" + (f"-sw{self.gateway}" if self.gateway else "")

    @property
    def features(self) -> list[tuple[str, int]]:
        """(feature, number of its columns) in column order, for the two-row header."""
        spans: dict[str, int] = {}
        for column in self.columns:
            spans[column.feature] = spans.get(column.feature, 0) + 1
        return list(spans.items())

    @property
    def items(self) -> int:
        return sum(len(c.items) for _, rows in self.groups for r in rows for c in r.cells.values())


def _rank(value: str, order: tuple[str, ...]) -> tuple[int, str]:
    return (order.index(value) if value in order else len(order), value)


def version_key(version: str) -> tuple[int, ...]:
    """Numeric order of versions ('5.9.8' < '6.0.1' < '6.1.0'); unknown ('') first."""
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def build_matrices(views: list[CellView]) -> list[Matrix]:
    presets = sorted({v.record.cell.preset for v in views})
    versions = sorted({v.record.cell.gateway for v in views}, key=version_key)
    several = len(versions) > 1
    return [
        _matrix(p, chosen, gateway=g if several else "")
        for p in presets
        for g in versions
        if (
            chosen := [v for v in views if v.record.cell.preset == p and v.record.cell.gateway == g]
        )
    ]


def _matrix(preset: str, views: list[CellView], *, gateway: str = "") -> Matrix:
    columns = sorted(
        {Column(*v.column) for v in views},
        key=lambda c: (_rank(c.feature, FEATURE_ORDER), c.variant),
    )
    rows: dict[tuple[str, str], Row] = {}
    for view in sorted(views, key=lambda v: (v.record.cell.topology, v.record.nodeid)):
        cell = view.record.cell
        row = rows.setdefault((cell.client_kind, cell.profile), Row(cell.client_kind, cell.profile))
        row.cells.setdefault(view.column, MatrixCell()).items.append(view)
    kinds = sorted({k for k, _ in rows}, key=lambda k: _rank(k, KIND_ORDER))
    groups = [
        (kind, sorted((r for (k, _), r in rows.items() if k == kind), key=lambda r: r.profile))
        for kind in kinds
    ]
    return Matrix(preset, columns, groups, gateway)
