"""Everything a cell page shows about one record, computed once: facts, ladder, explanation.

Why facts.json first: the suite saves the decoded capture when a test ends (fixtures/
evidence.py), so building a report needs no tshark. Evidence folders without it (written
before facts.json existed, or copied without it) are decoded here when tshark is installed;
otherwise the page says why it has no ladder.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from infra.capture.facts import CaptureFacts
from reports.facts_io import FactsError, read_facts
from reports.failure import Explanation, explain
from reports.history import Delta
from reports.ladder import Ladder, build_ladder
from reports.loader import Loaded
from reports.negotiated import Negotiated, negotiated
from reports.schema import FACTS_FILE, Record

PCAP = "capture.pcap"
KEY_TABLE = "ikev2_decryption_table"


@dataclass
class CellView:
    record: Record
    folder: Path | None
    page: str
    explanation: Explanation | None
    facts: CaptureFacts | None = None
    facts_note: str = ""
    ladder: Ladder | None = None
    negotiated: Negotiated | None = None
    delta: Delta | None = None
    published: tuple[str, ...] = ()
    """Evidence files copied into the site (set when the site is written)."""
    withheld: tuple[str, ...] = ()

    @property
    def evidence_href(self) -> str:
        """The evidence folder relative to the site root, URL-quoted ('[' and ']')."""
        return "evidence/" + quote(self.record.evidence.dir) + "/"

    @property
    def drawn_frames(self) -> frozenset[int]:
        """Frames that have a row (and so an #frame-N anchor) in the ladder."""
        return frozenset(r.frame for r in self.ladder.rows) if self.ladder else frozenset()

    @property
    def reproduce(self) -> str:
        return f".venv/bin/python -m pytest {shlex.quote(self.record.nodeid)}"

    @property
    def column(self) -> tuple[str, str]:
        """(feature, variant) of the matrix column this item belongs in.

        The auth and proposal suites are about an authentication case: their column is the
        case (and variant), holding every test function of it. The SA lifecycle suites
        (marked rekey or liveness), fragmentation, routing, MOBIKE and the unsupported
        extensions (redirect, multiple authentication) check one behaviour per test function
        over a case, so each function is a column of its own ("client child rekey", "large
        ike auth"), the case and variant its sublabel.
        """
        cell = self.record.cell
        if FUNCTION_COLUMN_MARKERS & set(self.record.test.markers):
            name = self.record.test.function.removeprefix("test_").replace("_", " ")
            return (name, cell.feature + (f" {cell.variant}" if cell.variant else ""))
        return (cell.feature, cell.variant)


FUNCTION_COLUMN_MARKERS = frozenset(
    {"rekey", "liveness", "fragmentation", "routing", "mobike", "extensions"}
)


def page_name(evidence_dir: str) -> str:
    """cells/<evidence folder>.html with the brackets of the parameter ID made plain."""
    return "cells/" + evidence_dir.replace("[", "--").replace("]", "") + ".html"


def make_view(loaded: Loaded, *, decode_missing: bool) -> CellView:
    record = loaded.record
    view = CellView(record, loaded.folder, page_name(record.evidence.dir), explain(record))
    facts, error, note = _facts(loaded.folder, decode_missing)
    view.facts_note = note
    if facts is not None:
        view.facts = facts
        frames = frozenset(view.explanation.frames) if view.explanation else frozenset()
        view.ladder = build_ladder(facts, highlight=frames, decode_error=error)
        view.negotiated = negotiated(facts)
    return view


def _facts(
    folder: Path | None, decode_missing: bool
) -> tuple[CaptureFacts | None, str | None, str]:
    """(facts, tshark's decode error when they were made, why there are none)."""
    if folder is None:
        return None, None, "no evidence folder for this test"
    path = folder / FACTS_FILE
    if path.exists():
        try:
            facts, error = read_facts(path)
            return facts, error, ""
        except FactsError as exc:
            return None, None, f"{FACTS_FILE} is unreadable ({exc}); no ladder"
    if not (folder / PCAP).exists():
        return None, None, "this test left no capture (it ended before the gateway started)"
    if not decode_missing:
        return None, None, f"no {FACTS_FILE} in the evidence; no ladder"
    return _decode(folder)


def _decode(folder: Path) -> tuple[CaptureFacts | None, str | None, str]:
    try:
        from infra.capture.decode import DecodeError, decode_capture
    except ImportError as exc:
        return None, None, f"no {FACTS_FILE}, and cannot decode here: {exc}"
    table = folder / KEY_TABLE
    try:
        return decode_capture(folder / PCAP, table if table.exists() else None), None, ""
    except DecodeError as exc:
        return exc.partial, exc.reason, ""
    except Exception as exc:  # tshark missing: say so on the page, keep building
        return None, None, f"no {FACTS_FILE}, and decoding {PCAP} here failed: {exc}"
