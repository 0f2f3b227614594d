"""Which verdicts rest on uncertain facts, and which real-Windows cells would settle them.

Why: an emulated cell passes when the emulator does what the Windows behaviour oracle says;
where the oracle itself is unsure (windows-client-behavior.md labels the fact uncertain), the
green means "consistent with our best guess", not "Windows does this". The report marks those
cells (a mark, not another verdict) and lists each uncertain fact with the tests that rested
on it and the real-Windows cells that would settle it: the first runs for a lab with VMs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from infra.clients.protocol import ClientKind
from reports.views import CellView


@dataclass
class UncertainFact:
    """One (build, fact) an expectation rested on while the reference is not sure of it."""

    build: str
    fact: str
    value: object
    says: str
    source: str
    section: str
    cells: list[CellView] = field(default_factory=list)
    """The tests whose expectation rested on it."""
    settled_by: list[str] = field(default_factory=list)
    """Real-Windows test IDs that would settle it (same test and cell, kind `windows`)."""
    windows_results: list[CellView] = field(default_factory=list)
    """Real-Windows records of those tests in this report, if a lab with VMs ran them."""

    @property
    def anchor(self) -> str:
        return f"{self.build}-{self.fact}".replace(".", "-")


def windows_twin(nodeid: str, kind: str) -> str:
    """The same test ID with the client kind `windows`."""
    return nodeid.replace(f"[{kind}-", f"[{ClientKind.WINDOWS.value}-", 1)


def uncertain_facts(views: Iterable[CellView]) -> list[UncertainFact]:
    """Every uncertain fact some test consulted, with its cells, sorted by build and fact."""
    views = list(views)
    by_nodeid = {v.record.nodeid: v for v in views}
    found: dict[tuple[str, str], UncertainFact] = {}
    for view in views:
        for fact in view.record.uncertain_facts:
            entry = found.setdefault(
                (fact.build, fact.fact),
                UncertainFact(
                    fact.build, fact.fact, fact.value, fact.says, fact.source, fact.section
                ),
            )
            entry.cells.append(view)
            twin = windows_twin(view.record.nodeid, view.record.cell.client_kind)
            if twin not in entry.settled_by:
                entry.settled_by.append(twin)
            ran = by_nodeid.get(twin)
            if ran is not None and ran not in entry.windows_results:
                entry.windows_results.append(ran)
    return [found[k] for k in sorted(found)]


def uncertainty_note(view: CellView) -> str:
    """The title text of a cell's mark: which uncertain facts its expectation rests on."""
    facts = view.record.uncertain_facts
    if not facts:
        return ""
    names = ", ".join(f"{f.fact} = {f.value!r}" for f in facts)
    return f"expectation rests on uncertain facts: {names}"
