"""Reading result sets: a folder of <evidence>/result.json files plus its run.json manifests.

Why forgiving: a report is built from what a run left behind, and runs get killed, disks fill
up, and people point the builder at the wrong folder. Every file that cannot be read is named
with the reason and skipped; the report is built from the rest.

A result set is any folder with evidence folders one level below it: the suite's evidence
root (reports/evidence, whose run.json the pytest plugin writes) or the evidence/ folder of
a previously built site (which keeps one run-<id>.json per run it shows). When manifests are
present, only records of their runs count: an evidence root also holds folders of tests the
last run did not select, and those belong to older runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reports.schema import (
    MANIFEST_FILE,
    RECORD_FILE,
    Durations,
    Evidence,
    GatewayFacts,
    Manifest,
    Record,
    SchemaError,
    TestText,
    manifest_from_json,
    record_from_json,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """A file skipped, or a fact worth telling the reader of the report."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Loaded:
    """A record and where its evidence folder is on this machine (None: it has none)."""

    record: Record
    folder: Path | None


@dataclass
class ResultSet:
    root: Path
    records: list[Loaded] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    manifest_files: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ignored: int = 0


def load_result_set(root: Path) -> ResultSet:
    result = ResultSet(root)
    if not root.is_dir():
        result.problems.append(Problem(str(root), "not a folder; no results read from it"))
        return result
    for path in sorted(root.glob("run*.json")):
        if path.name == MANIFEST_FILE or path.name.startswith("run-"):
            manifest = _read(path, root, result.problems, manifest_from_json)
            if manifest is not None:
                result.manifests.append(manifest)
                result.manifest_files[manifest.run_id] = path
    runs = {m.run_id for m in result.manifests}
    seen: set[str] = set()
    for path in sorted(root.glob(f"*/{RECORD_FILE}")):
        record = _read(path, root, result.problems, record_from_json)
        if record is None:
            continue
        if runs and record.run_id not in runs:
            result.ignored += 1
            continue
        seen.add(record.nodeid)
        result.records.append(Loaded(record, path.parent))
    for manifest in result.manifests:
        for nodeid, entry in manifest.tests.items():
            if nodeid not in seen:
                result.records.append(Loaded(_from_manifest(manifest, nodeid), None))
                result.problems.append(
                    Problem(
                        f"{entry.evidence}/{RECORD_FILE}",
                        f"missing: run {manifest.run_id} reported {entry.outcome} for this "
                        "test but wrote no record (a crashed worker?); shown from run.json",
                    )
                )
    if result.ignored:
        result.problems.append(
            Problem(
                str(root),
                f"{result.ignored} result file(s) from other runs than "
                f"{', '.join(sorted(runs))} ignored (tests the last run did not select)",
            )
        )
    return result


def _read(path: Path, root: Path, problems: list[Problem], parse: Callable[[Any], T]) -> T | None:
    name = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    try:
        data = json.loads(path.read_text())
    except UnicodeDecodeError:
        problems.append(Problem(name, "not UTF-8 text; skipped"))
        return None
    except json.JSONDecodeError as exc:
        problems.append(Problem(name, f"not valid JSON (truncated?): {exc}; skipped"))
        return None
    except OSError as exc:
        problems.append(Problem(name, f"unreadable: {exc.strerror}; skipped"))
        return None
    try:
        return parse(data)
    except SchemaError as exc:
        problems.append(Problem(name, f"not a winterop result: {exc}; skipped"))
        return None


def _from_manifest(manifest: Manifest, nodeid: str) -> Record:
    entry = manifest.tests[nodeid]
    file, _, rest = nodeid.partition("::")
    return Record(
        run_id=manifest.run_id,
        nodeid=nodeid,
        cell=entry.cell,
        test=TestText(
            file=file, function=rest.split("[", 1)[0], summary="", description="", expectation=""
        ),
        outcome=entry.outcome,
        phase="",
        reason="",
        message=entry.message or "no result.json was written for this test",
        traceback="",
        durations=Durations(),
        started="",
        finished="",
        worker="",
        windows=None,
        gateway=GatewayFacts(preset=entry.cell.preset, strongswan="", source="", spec={}),
        evidence=Evidence(dir=entry.evidence, files=()),
        provenance=manifest.provenance,
    )


def merge(sets: list[ResultSet]) -> tuple[list[Loaded], list[Problem]]:
    """All records of SETS, one per test ID: when two sets hold the same test, the record that
    finished last wins and the other is reported."""
    chosen: dict[str, Loaded] = {}
    problems: list[Problem] = []
    for result_set in sets:
        for loaded in result_set.records:
            nodeid = loaded.record.nodeid
            other = chosen.get(nodeid)
            if other is not None:
                keep, drop = sorted((other, loaded), key=lambda x: x.record.finished, reverse=True)
                problems.append(
                    Problem(
                        nodeid,
                        f"in two result sets; run {keep.record.run_id} shown, "
                        f"run {drop.record.run_id} left out",
                    )
                )
                loaded = keep
            chosen[nodeid] = loaded
    return list(chosen.values()), problems
