"""This run against a previous one: regressions, fixes, other changes, new and removed cells.

Test IDs are the key (DESIGN.md: renaming a test is a migration). What counts as good is
Outcome.good: passed, or failed exactly as the expectations ledger says (xfailed). So a cell
going from passed to failed is a regression, failed to passed a fix; xfailed to xpassed is a
regression of the ledger (it is stale) and is listed as such, not as a fix.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reports.schema import Outcome, Record


class Change(enum.StrEnum):
    REGRESSION = "regression"
    FIX = "fix"
    CHANGED = "changed"
    NEW = "new"
    REMOVED = "removed"
    UNCHANGED = "unchanged"


ORDER = tuple(Change)


@dataclass(frozen=True)
class Delta:
    nodeid: str
    change: Change
    before: Record | None
    after: Record | None

    @property
    def record(self) -> Record:
        record = self.after or self.before
        assert record is not None
        return record


def classify_change(before: Outcome | None, after: Outcome | None) -> Change:
    if before is None:
        return Change.NEW
    if after is None:
        return Change.REMOVED
    if before == after:
        return Change.UNCHANGED
    if after.bad and not before.bad:
        return Change.REGRESSION
    if before.bad and after.good:
        return Change.FIX
    return Change.CHANGED


def compare(current: list[Record], previous: list[Record]) -> list[Delta]:
    """One Delta per test ID of either run, in ORDER of change kind, then by test ID."""
    now = {r.nodeid: r for r in current}
    then = {r.nodeid: r for r in previous}
    deltas = [
        Delta(
            nodeid,
            classify_change(
                then[nodeid].outcome if nodeid in then else None,
                now[nodeid].outcome if nodeid in now else None,
            ),
            then.get(nodeid),
            now.get(nodeid),
        )
        for nodeid in now.keys() | then.keys()
    ]
    return sorted(deltas, key=lambda d: (ORDER.index(d.change), d.nodeid))
