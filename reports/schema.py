"""The result record and run manifest: the contract between the pytest plugin and the report.

Why one module for both sides: the plugin (fixtures/results.py) writes these documents while
tests run, and the builder reads them later, maybe years later from an archived run, maybe
from another machine. Both import the version and the field names from here, and the reader
checks every field it uses, so a truncated or foreign file is named and skipped instead of
breaking the whole report. The fields are documented in reports/SCHEMA.md; a change to their
meaning bumps SCHEMA_VERSION, and the reader keeps accepting the versions it lists in
READABLE_VERSIONS.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from typing import Any

RECORD_KIND = "winterop.result"
MANIFEST_KIND = "winterop.run"
SCHEMA_VERSION = 1
READABLE_VERSIONS = frozenset({1})
RECORD_FILE = "result.json"
FACTS_FILE = "facts.json"
MANIFEST_FILE = "run.json"


class SchemaError(ValueError):
    """A document that is not a readable winterop record or manifest; says which field."""


class Outcome(enum.StrEnum):
    """What happened to one pytest item, in pytest's own vocabulary."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    """Setup or teardown failed: the harness or the lab, not the system under test."""
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    """A known deviation from the expectations ledger happened as recorded."""
    XPASSED = "xpassed"
    """A known deviation did not happen: the ledger entry is stale."""

    @property
    def good(self) -> bool:
        """Passed, or failed exactly as the expectations ledger says it does."""
        return self in (Outcome.PASSED, Outcome.XFAILED)

    @property
    def bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR, Outcome.XPASSED)


SEVERITY = (
    Outcome.ERROR,
    Outcome.FAILED,
    Outcome.XPASSED,
    Outcome.XFAILED,
    Outcome.PASSED,
    Outcome.SKIPPED,
)
"""Worst first: the verdict of a group of items is the first outcome of this list present."""


@dataclass(frozen=True)
class CellFields:
    """The matrix coordinates of an item (infra.cell.Cell, flattened to text)."""

    id: str
    client_kind: str
    profile: str
    feature: str
    variant: str
    preset: str
    topology: str
    gateway: str = ""
    """The gateway's strongSwan version (upstream, e.g. 6.0.1); records written before the
    version axis existed have none, and their reader takes it from gateway.strongswan."""
    gateway_build: str = ""
    """`host`, or the Debian suite of the gateway's root filesystem (infra.gateway.builds)."""


@dataclass(frozen=True)
class TestText:
    """The test function and its docstring, split the Autobahn way."""

    file: str
    function: str
    summary: str
    description: str
    expectation: str
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class WindowsOutcome:
    """What the client reported after dialling, as Windows would (error None = connected)."""

    connected: bool
    error: int | None
    symbol: str
    text: str
    detail: str
    seconds: float


@dataclass(frozen=True)
class GatewayFacts:
    preset: str
    strongswan: str
    source: str
    spec: dict[str, Any]
    plugins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """The evidence folder (a name relative to the result set's root) and what it holds."""

    dir: str
    files: tuple[str, ...]
    facts: str | None = None
    facts_error: str | None = None
    redacted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Durations:
    setup: float = 0.0
    call: float = 0.0
    teardown: float = 0.0

    @property
    def total(self) -> float:
        return self.setup + self.call + self.teardown


@dataclass(frozen=True)
class ConsultedFact:
    """A Windows behaviour oracle fact the test's expectation rested on
    (expectations/windows; confidence as in windows-client-behavior.md 0.1)."""

    build: str
    fact: str
    value: Any
    confidence: str
    source: str
    section: str
    says: str

    @property
    def uncertain(self) -> bool:
        return self.confidence == "uncertain"


@dataclass(frozen=True)
class Record:
    """One pytest item of one run."""

    run_id: str
    nodeid: str
    cell: CellFields
    test: TestText
    outcome: Outcome
    phase: str
    reason: str
    message: str
    traceback: str
    durations: Durations
    started: str
    finished: str
    worker: str
    windows: WindowsOutcome | None
    gateway: GatewayFacts
    evidence: Evidence
    provenance: dict[str, Any]
    schema_version: int = SCHEMA_VERSION
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase of the item's interop attempts (infra.phases); empty: none."""
    expectations: tuple[ConsultedFact, ...] = ()
    """The oracle facts consulted, in the order the test read them (empty: none, or a
    record written before the oracle existed)."""
    measurements: dict[str, str] = field(default_factory=dict)
    """What the test measured besides its verdict (rekey timing, ping loss), as text."""

    @property
    def uncertain_facts(self) -> tuple[ConsultedFact, ...]:
        return tuple(f for f in self.expectations if f.uncertain)


@dataclass(frozen=True)
class ManifestEntry:
    outcome: Outcome
    cell: CellFields
    evidence: str
    message: str = ""


@dataclass(frozen=True)
class Manifest:
    """One pytest run: identity, time span, command line, counts and every item's outcome."""

    run_id: str
    started: str
    finished: str | None
    command: tuple[str, ...]
    exit_status: int | None
    counts: dict[str, int]
    tests: dict[str, ManifestEntry]
    provenance: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION


# --- reading ------------------------------------------------------------------------------


class _Fields:
    """Typed access to one JSON object, naming the path of a missing or mistyped field."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise SchemaError(f"{path or 'document'}: expected an object, got {_kind(data)}")
        self.data: dict[str, Any] = data
        self.path = path

    def _get(self, key: str, types: tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise SchemaError(f"{self._at(key)}: missing")
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in types:
            raise SchemaError(f"{self._at(key)}: expected {types[0].__name__}, got a boolean")
        if not isinstance(value, types):
            raise SchemaError(f"{self._at(key)}: expected {types[0].__name__}, got {_kind(value)}")
        return value

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, default: str | None = None) -> str:
        return str(self._get(key, (str,), ... if default is None else default))

    def optional_text(self, key: str) -> str | None:
        value = self._get(key, (str,), None)
        return None if value is None else str(value)

    def number(self, key: str, default: float | None = None) -> float:
        return float(self._get(key, (int, float), ... if default is None else default))

    def integer(self, key: str) -> int | None:
        value = self._get(key, (int,), None)
        return None if value is None else int(value)

    def flag(self, key: str) -> bool:
        return bool(self._get(key, (bool,)))

    def texts(self, key: str) -> tuple[str, ...]:
        values = self._get(key, (list,), [])
        if not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{self._at(key)}: expected a list of strings")
        return tuple(values)

    def obj(self, key: str) -> _Fields:
        return _Fields(self._get(key, (dict,)), self._at(key))

    def optional_obj(self, key: str) -> _Fields | None:
        value = self._get(key, (dict,), None)
        return None if value is None else _Fields(value, self._at(key))

    def raw(self, key: str) -> dict[str, Any]:
        return dict(self._get(key, (dict,), {}))

    def objs(self, key: str) -> tuple[_Fields, ...]:
        values = self._get(key, (list,), [])
        return tuple(_Fields(v, f"{self._at(key)}[{i}]") for i, v in enumerate(values))


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_header(doc: _Fields, kind: str) -> int:
    found = doc.data.get("schema")
    if found != kind:
        raise SchemaError(f"schema: expected {kind!r}, got {found!r} (not a winterop file)")
    version = doc.integer("schema_version")
    if version not in READABLE_VERSIONS:
        raise SchemaError(
            f"schema_version: {version} is not readable by this builder "
            f"(reads {sorted(READABLE_VERSIONS)})"
        )
    return int(version)


def _outcome(doc: _Fields, key: str) -> Outcome:
    value = doc.text(key)
    try:
        return Outcome(value)
    except ValueError:
        raise SchemaError(f"{doc._at(key)}: unknown outcome {value!r}") from None


def _cell(cell: _Fields) -> CellFields:
    return CellFields(
        id=cell.text("id"),
        client_kind=cell.text("client_kind"),
        profile=cell.text("profile"),
        feature=cell.text("feature"),
        variant=cell.text("variant", ""),
        preset=cell.text("preset"),
        topology=cell.text("topology"),
        gateway=cell.text("gateway", ""),
        gateway_build=cell.text("gateway_build", ""),
    )


def _upstream(package: str) -> str:
    """'5.9.8' from '5.9.8-5+deb12u6'; '' when the text names no version."""
    m = re.match(r"^(?:\d+:)?(\d+\.\d+\.\d+)", package)
    return m.group(1) if m else ""


def record_from_json(data: Any) -> Record:
    """A Record from a parsed result.json; SchemaError names the first bad field."""
    doc = _Fields(data, "")
    version = _check_header(doc, RECORD_KIND)
    cell = doc.obj("cell")
    test = doc.obj("test")
    durations = doc.obj("durations")
    windows = doc.optional_obj("windows")
    gateway = doc.obj("gateway")
    evidence = doc.obj("evidence")
    cell_fields = _cell(cell)
    if not cell_fields.gateway:
        found = _upstream(gateway.text("strongswan", ""))
        cell_fields = replace(cell_fields, gateway=found, gateway_build="host" if found else "")
    return Record(
        run_id=doc.text("run_id"),
        nodeid=doc.text("nodeid"),
        cell=cell_fields,
        test=TestText(
            file=test.text("file"),
            function=test.text("function"),
            summary=test.text("summary", ""),
            description=test.text("description", ""),
            expectation=test.text("expectation", ""),
            markers=test.texts("markers"),
        ),
        outcome=_outcome(doc, "outcome"),
        phase=doc.text("phase"),
        reason=doc.text("reason", ""),
        message=doc.text("message", ""),
        traceback=doc.text("traceback", ""),
        durations=Durations(
            setup=durations.number("setup", 0.0),
            call=durations.number("call", 0.0),
            teardown=durations.number("teardown", 0.0),
        ),
        started=doc.text("started", ""),
        finished=doc.text("finished", ""),
        worker=doc.text("worker", ""),
        windows=None
        if windows is None
        else WindowsOutcome(
            connected=windows.flag("connected"),
            error=windows.integer("error"),
            symbol=windows.text("symbol", ""),
            text=windows.text("text", ""),
            detail=windows.text("detail", ""),
            seconds=windows.number("seconds", 0.0),
        ),
        gateway=GatewayFacts(
            preset=gateway.text("preset"),
            strongswan=gateway.text("strongswan", ""),
            source=gateway.text("source", ""),
            spec=gateway.raw("spec"),
            plugins=gateway.texts("plugins"),
        ),
        evidence=Evidence(
            dir=evidence.text("dir"),
            files=evidence.texts("files"),
            facts=evidence.optional_text("facts"),
            facts_error=evidence.optional_text("facts_error"),
            redacted=evidence.texts("redacted"),
        ),
        provenance=doc.raw("provenance"),
        schema_version=version,
        expectations=tuple(_consulted(f) for f in doc.objs("expectations")),
        phases=_phases(doc),
        measurements={str(k): str(v) for k, v in doc.raw("measurements").items()},
    )


def _phases(doc: _Fields) -> dict[str, float]:
    phases = doc.raw("phases")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in phases.values()):
        raise SchemaError("phases: expected seconds (numbers) per phase")
    return {str(k): float(v) for k, v in phases.items()}


def _consulted(fact: _Fields) -> ConsultedFact:
    return ConsultedFact(
        build=fact.text("build"),
        fact=fact.text("fact"),
        value=fact.data.get("value"),
        confidence=fact.text("confidence"),
        source=fact.text("source", ""),
        section=fact.text("section", ""),
        says=fact.text("says", ""),
    )


def manifest_from_json(data: Any) -> Manifest:
    """A Manifest from a parsed run.json; SchemaError names the first bad field."""
    doc = _Fields(data, "")
    version = _check_header(doc, MANIFEST_KIND)
    tests = doc.obj("tests")
    entries = {}
    for nodeid in tests.data:
        entry = tests.obj(nodeid)
        entries[nodeid] = ManifestEntry(
            outcome=_outcome(entry, "outcome"),
            cell=_cell(entry.obj("cell")),
            evidence=entry.text("evidence"),
            message=entry.text("message", ""),
        )
    counts = doc.raw("counts")
    if not all(isinstance(v, int) for v in counts.values()):
        raise SchemaError("counts: expected whole numbers")
    return Manifest(
        run_id=doc.text("run_id"),
        started=doc.text("started"),
        finished=doc.optional_text("finished"),
        command=doc.texts("command"),
        exit_status=doc.integer("exit_status"),
        counts={str(k): int(v) for k, v in counts.items()},
        tests=entries,
        provenance=doc.raw("provenance"),
        schema_version=version,
    )


def worst(outcomes: list[Outcome]) -> Outcome | None:
    """The verdict of a group: the most severe outcome present (None for no outcome)."""
    present = set(outcomes)
    return next((o for o in SEVERITY if o in present), None)
