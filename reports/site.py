"""Build the static report site from result sets: pages, copied evidence, manifests.

Layout of the output folder (every link in it is relative, so it works from file:// and from
any static host, and nothing is loaded from the network):

    index.html                  the matrix, the runs it shows, build notes
    uncertain.html              uncertain Windows facts behind expectations, and what settles them
    fidelity.html               emulated vs real-Windows cells of the same test, compared
    versions.html               tests whose verdict differs between strongSwan releases
    cells/<test>.html           one page per test item
    history.html                the comparison with --previous (when given)
    recommended/index.html      recommended gateway settings, one page per client build
    evidence/<test>/...         the evidence files, copied; with result.json and facts.json
    evidence/run-<id>.json      the manifests of the runs shown

Why copy the evidence: a published report must stand alone, and its evidence/ folder is
itself a result set, so the next build can take it as --previous. Key tables are copied on
purpose: they hold the IKE keys of one throwaway lab connection and are what makes the pcap
readable (reports/secrets.py). A text file in which the secret scanner sees a private key or
a credential is withheld, and the cell page says so.

The site is written into a sibling staging folder and swapped in at the end, so a failed
build leaves the previous site intact, and --previous may point into the site being replaced.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.fidelity import pairs as fidelity_pairs
from reports.history import Change, Delta, compare
from reports.loader import Problem, ResultSet, load_result_set, merge
from reports.matrix import build_matrices
from reports.recommend import recommendations
from reports.schema import SEVERITY, Manifest, Outcome
from reports.secrets import findings
from reports.swanctl import render as render_swanctl
from reports.uncertainty import uncertain_facts, uncertainty_note
from reports.versions import version_changes
from reports.views import CellView, make_view, page_name

TEMPLATES = Path(__file__).parent / "templates"
TEXT_LIMIT = 4096
"""How far into a file to look for NUL bytes when telling text from binary evidence."""


@dataclass
class BuildResult:
    out: Path
    cells: int
    problems: list[Problem]
    seconds: float
    changes: dict[str, int] = field(default_factory=dict)


def build_site(
    results: list[Path],
    out: Path,
    *,
    previous: Path | None = None,
    decode_missing: bool = True,
    title: str = "winterop: Windows IKEv2 client vs strongSwan",
) -> BuildResult:
    started = time.monotonic()
    sets = [load_result_set(path) for path in results]
    loaded, problems = merge(sets)
    problems = [p for s in sets for p in s.problems] + problems
    views = sorted(
        (make_view(item, decode_missing=decode_missing) for item in loaded),
        key=lambda v: v.record.nodeid,
    )
    deltas = _history(views, previous, problems)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for view in views:
            _publish_evidence(view, staging, problems)
        _copy_manifests(sets, staging)
        _render_all(staging, views, sets, deltas, previous, problems, title)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    changes = {c.value: sum(1 for d in deltas if d.change is c) for c in Change} if deltas else {}
    return BuildResult(out, len(views), problems, time.monotonic() - started, changes)


def _history(views: list[CellView], previous: Path | None, problems: list[Problem]) -> list[Delta]:
    if previous is None:
        return []
    before = load_result_set(previous)
    problems += [Problem(f"previous: {p.path}", p.reason) for p in before.problems]
    deltas = compare([v.record for v in views], [item.record for item in before.records])
    by_id = {d.nodeid: d for d in deltas}
    for view in views:
        view.delta = by_id.get(view.record.nodeid)
    return deltas


def _publish_evidence(view: CellView, site: Path, problems: list[Problem]) -> None:
    if view.folder is None or not view.folder.is_dir():
        return
    target = site / "evidence" / view.record.evidence.dir
    target.mkdir(parents=True, exist_ok=True)
    published, withheld = [], []
    for path in sorted(view.folder.iterdir()):
        if not path.is_file():
            continue
        found = _secret_findings(path)
        if found:
            withheld.append(f"{path.name} ({', '.join(found)})")
            problems.append(
                Problem(f"{view.record.evidence.dir}/{path.name}", f"withheld: {', '.join(found)}")
            )
            continue
        shutil.copyfile(path, target / path.name)
        published.append(path.name)
    view.published = tuple(published)
    view.withheld = tuple(withheld)


def _secret_findings(path: Path) -> list[str]:
    data = path.read_bytes()
    if b"\x00" in data[:TEXT_LIMIT]:
        return []  # binary evidence (the pcap): the plugin checked it for the run's secrets
    return findings(data.decode("utf-8", errors="replace"))


def _copy_manifests(sets: list[ResultSet], site: Path) -> None:
    folder = site / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    for result_set in sets:
        for run_id, path in result_set.manifest_files.items():
            shutil.copyfile(path, folder / f"run-{run_id}.json")


def _swap(staging: Path, out: Path) -> None:
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


# --- rendering -----------------------------------------------------------------------------


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seconds"] = lambda value: f"{float(value):.2f} s"
    env.globals["SEVERITY"] = [o.value for o in SEVERITY]
    env.globals["swanctl"] = render_swanctl
    env.filters["cell_page"] = page_name
    env.globals["uncertainty_note"] = uncertainty_note
    return env


def _render_all(
    site: Path,
    views: list[CellView],
    sets: list[ResultSet],
    deltas: list[Delta],
    previous: Path | None,
    problems: list[Problem],
    title: str,
) -> None:
    env = environment()
    manifests = sorted(
        (m for s in sets for m in s.manifests), key=lambda m: m.started, reverse=True
    )
    recs = recommendations(views)
    uncertain = uncertain_facts(views)
    compared = fidelity_pairs(views)
    versions = version_changes(views)
    common: dict[str, Any] = {
        "title": title,
        "built": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "has_history": previous is not None,
        "has_versions": len(versions.versions) > 1,
    }
    pages: dict[str, tuple[str, dict[str, Any]]] = {
        "index.html": (
            "index.html",
            {
                "matrices": build_matrices(views),
                "views": views,
                "runs": [_run_summary(m) for m in manifests],
                "totals": _totals(views),
                "problems": problems,
                "recommendations": recs,
                "sources": [str(s.root) for s in sets],
                "changes": _change_counts(deltas),
                "uncertain_count": len(uncertain),
                "fidelity_pairs": compared,
                "versions": versions,
            },
        ),
        "versions.html": ("versions.html", {"versions": versions}),
        "uncertain.html": ("uncertain.html", {"uncertain": uncertain}),
        "fidelity.html": ("fidelity.html", {"pairs": compared}),
        "recommended/index.html": ("recommended_index.html", {"recommendations": recs}),
    }
    if previous is not None:
        pages["history.html"] = (
            "history.html",
            {"deltas": deltas, "previous": str(previous), "changes": _change_counts(deltas)},
        )
    for rec in recs:
        pages[rec.page] = ("recommended.html", {"rec": rec})
    for view in views:
        pages[view.page] = ("cell.html", {"view": view, "r": view.record})
    for name, (template, context) in pages.items():
        root = "../" * name.count("/")
        html = env.get_template(template).render(**common, **context, root=root, page=name)
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html)


def _run_summary(manifest: Manifest) -> dict[str, Any]:
    return {
        "id": manifest.run_id,
        "started": manifest.started,
        "finished": manifest.finished,
        "command": " ".join(manifest.command),
        "exit_status": manifest.exit_status,
        "counts": {k: v for k, v in manifest.counts.items() if v},
        "provenance": manifest.provenance,
    }


def _totals(views: list[CellView]) -> list[tuple[str, int]]:
    counts = {o: 0 for o in Outcome}
    for view in views:
        counts[view.record.outcome] += 1
    return [(o.value, counts[o]) for o in SEVERITY if counts[o]]


def _change_counts(deltas: list[Delta]) -> list[tuple[str, int]]:
    return [(c.value, n) for c in Change if (n := sum(1 for d in deltas if d.change is c))]
