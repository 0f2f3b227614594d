"""The emulator's fidelity, measured: where an emulated cell and a real Windows cell disagree.

Why: the emulator stands in for Windows on every laptop and in every pull request; it is
only worth that where it behaves like the build it models. When one report holds both an
`emulated` and a `windows` record of the same test, build, feature, preset and topology, the
two are compared on what both sides observed: the verdict, the Windows error number, and the
client's own IKE messages in the gateway-side capture (payload lists in order, nonce length,
KE group). Every difference is a fidelity bug of the emulator, or a new fact about Windows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from infra.capture.facts import CaptureFacts, Exchange
from infra.clients.protocol import ClientKind
from reports.schema import Outcome
from reports.views import CellView

EMULATED = ClientKind.EMULATED.value
WINDOWS = ClientKind.WINDOWS.value
RAN = frozenset(o for o in Outcome if o is not Outcome.SKIPPED)


@dataclass(frozen=True)
class Difference:
    """One observable the two clients disagree on."""

    what: str
    emulated: str
    windows: str


@dataclass(frozen=True)
class Pair:
    """The emulated and the real-Windows record of one test cell."""

    key: str
    """The test ID with the client kind left out."""
    emulated: CellView
    windows: CellView
    differences: tuple[Difference, ...]

    @property
    def agree(self) -> bool:
        return not self.differences


def _key(view: CellView) -> str:
    record = view.record
    rest = record.cell.id.removeprefix(f"{record.cell.client_kind}-")
    return f"{record.test.file}::{record.test.function}[{rest}]"


def _error(view: CellView) -> str:
    windows = view.record.windows
    if windows is None:
        return "did not dial"
    return "connected" if windows.connected else f"{windows.error} {windows.symbol}".strip()


def _client_messages(facts: CaptureFacts | None) -> list[str]:
    if facts is None:
        return []
    return [m.summary() for m in facts.messages if m.initiator]  # the client is the initiator


def _first_init(facts: CaptureFacts | None, field: str) -> str:
    if facts is None:
        return "no capture"
    for message in facts.messages:
        if message.exchange == Exchange.IKE_SA_INIT and message.initiator and not message.response:
            return str(getattr(message, field))
    return "no IKE_SA_INIT request"


def compare_pair(emulated: CellView, windows: CellView) -> tuple[Difference, ...]:
    """What differs between the two records of one cell (empty: they agree)."""
    found: list[Difference] = []
    e, w = emulated.record, windows.record
    if e.outcome is not w.outcome:
        found.append(Difference("verdict", e.outcome.value, w.outcome.value))
    if _error(emulated) != _error(windows):
        found.append(Difference("Windows outcome", _error(emulated), _error(windows)))
    ours, theirs = _client_messages(emulated.facts), _client_messages(windows.facts)
    if emulated.facts is not None and windows.facts is not None:
        for index in range(max(len(ours), len(theirs))):
            mine = ours[index] if index < len(ours) else "(none)"
            real = theirs[index] if index < len(theirs) else "(none)"
            if mine != real:
                found.append(Difference(f"client message {index + 1}", mine, real))
        for field, label in (("nonce_length", "Ni length"), ("ke_group", "KE group")):
            mine, real = _first_init(emulated.facts, field), _first_init(windows.facts, field)
            if mine != real:
                found.append(Difference(f"IKE_SA_INIT {label}", mine, real))
    return tuple(found)


def pairs(views: Iterable[CellView]) -> list[Pair]:
    """Every cell that ran both emulated and on a real Windows VM, compared."""
    by_kind: dict[str, dict[str, CellView]] = {EMULATED: {}, WINDOWS: {}}
    for view in views:
        kind = view.record.cell.client_kind
        if kind in by_kind and view.record.outcome in RAN:
            by_kind[kind][_key(view)] = view
    shared = sorted(set(by_kind[EMULATED]) & set(by_kind[WINDOWS]))
    return [
        Pair(
            key,
            by_kind[EMULATED][key],
            by_kind[WINDOWS][key],
            compare_pair(by_kind[EMULATED][key], by_kind[WINDOWS][key]),
        )
        for key in shared
    ]
