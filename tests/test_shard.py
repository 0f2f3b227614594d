"""`--shard K/N`: every test in exactly one shard, balanced, and one report from all shards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.shard import durations_from_results, parse_shard, partition, read_durations
from reports.loader import load_result_set
from reports.site import build_site

ROOT = Path(__file__).resolve().parent.parent
SELECTION = "test_connect and reference and docs-recommended and direct"
"""Three real cells (one per auth case) of the reference client: quick, and each different."""


def test_every_test_lands_in_exactly_one_shard_and_loads_are_balanced() -> None:
    nodeids = [f"t{i}" for i in range(40)]
    durations = {f"t{i}": float(1 + i % 7) for i in range(30)}  # t30..t39: no figure (median)
    shards = partition(nodeids, durations, 3)
    flat = [n for shard in shards for n in shard]
    assert sorted(flat) == sorted(nodeids)
    median = 4.0
    loads = [sum(durations.get(n, median) for n in shard) for shard in shards]
    assert max(loads) - min(loads) <= 7.0, loads  # within the longest single test
    assert partition(list(reversed(nodeids)), durations, 3) == shards  # order-independent


def test_more_shards_than_tests_leaves_some_empty() -> None:
    assert sorted(map(len, partition(["a", "b"], {}, 4))) == [0, 0, 1, 1]


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_bad_shard_arguments_are_usage_errors(text: str) -> None:
    with pytest.raises(pytest.UsageError, match="--shard"):
        parse_shard(text)


def test_a_broken_durations_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"x": "slow"}')
    with pytest.raises(pytest.UsageError, match="expected"):
        read_durations(path)


def test_the_repository_durations_file_is_well_formed() -> None:
    assert read_durations(ROOT / "test-durations.json")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "suites", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.root
def test_two_shards_make_one_report_with_every_cell_once(tmp_path: Path) -> None:
    listed = _run("--collect-only", "-k", SELECTION)
    everything = {line for line in listed.stdout.splitlines() if "::" in line}
    assert len(everything) == 3, listed.stdout
    results = []
    for k in (1, 2):
        folder = tmp_path / f"shard-{k}"
        run = _run("-k", SELECTION, f"--shard={k}/2", f"--evidence-dir={folder}")
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        results.append(folder)
    per_shard = [{r.record.nodeid for r in load_result_set(f).records} for f in results]
    assert per_shard[0] and per_shard[1] and not per_shard[0] & per_shard[1]
    assert per_shard[0] | per_shard[1] == everything
    site = build_site(results, tmp_path / "site", decode_missing=False)
    assert site.cells == 3 and not [p for p in site.problems if "two result sets" in p.reason]
    index = (tmp_path / "site" / "index.html").read_text()
    assert all(index.count(nodeid) == 1 for nodeid in everything)
    measured = durations_from_results(results)
    assert set(measured) == everything and all(v > 0 for v in measured.values())
