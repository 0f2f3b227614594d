"""Gateway builds: selection by --gateways, and a missing or broken root filesystem saying
so in doctor and in the skip reason of its cells, never with a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import doctor
from infra.charon.config import PLUGINS
from infra.gateway import builds, releases
from infra.gateway.builds import BUILDS, SelectionError, select, status

REPO = Path(__file__).resolve().parents[1]
TRIXIE = next(b for b in BUILDS if b.name == "trixie")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WINTEROP_GATEWAYS_DIR", str(tmp_path))
    return tmp_path


def _broken_root(cache: Path, *, charon: bool) -> Path:
    """A trixie folder whose stamp says 6.0.1 but whose root lacks what charon needs."""
    root = cache / "trixie" / "root"
    (root / "usr/lib/ipsec/plugins").mkdir(parents=True)
    if charon:
        (root / "usr/sbin").mkdir(parents=True)
        (root / "usr/sbin/charon-systemd").touch()
    (cache / "trixie" / "stamp.json").write_text(json.dumps({"charon": "6.0.1-6+deb13u7"}))
    return root


def test_selection_by_suite_alias_version_and_all() -> None:
    assert [b.name for b in select("all")] == ["host", "trixie", "sid"]
    assert [b.name for b in select("6.1.0, bookworm")] == ["host", "sid"]
    assert [b.name for b in select("unstable,trixie,trixie")] == ["trixie", "sid"]
    with pytest.raises(SelectionError, match=r"'7\.0\.0' names no gateway build; choose from all"):
        select("7.0.0")


def test_missing_root_says_how_to_build_it(cache: Path) -> None:
    found = status(TRIXIE)
    assert not found.ok and found.version == "6.0.1"
    assert "not built" in found.problem
    assert "./winterop build-gateways trixie" in found.problem


def test_broken_root_names_what_is_missing(cache: Path) -> None:
    _broken_root(cache, charon=False)
    found = status(TRIXIE)
    assert found.problem.startswith("broken: ")
    assert "usr/sbin/charon-systemd" in found.problem
    assert "libstrongswan-kernel-libipsec.so" in found.problem
    assert "libstrongswan-kdf.so" not in found.problem, "6.x needs no kdf"


def test_unreadable_stamp_is_broken_not_a_traceback(cache: Path) -> None:
    (cache / "trixie").mkdir()
    (cache / "trixie" / "stamp.json").write_text("{not json")
    found = status(TRIXIE)
    assert found.problem.startswith("broken: ") and "stamp.json is unreadable" in found.problem


def test_doctor_lists_ready_and_missing_builds(cache: Path) -> None:
    _broken_root(cache, charon=True)
    check = doctor.check_gateway_builds()
    assert check.optional and not check.ok
    assert "ready: host 5.9.8" in check.detail
    assert "trixie: broken: " in check.detail and "libstrongswan-vici.so" in check.detail
    assert "sid: not built" in check.detail and "build-gateways sid" in check.detail


def test_doctor_calls_a_root_of_an_old_recipe_stale(cache: Path) -> None:
    """A root with everything charon needs, but built from another package list."""
    root = _broken_root(cache, charon=True)
    for name in releases.plugins(PLUGINS, (6, 0, 1)).split():
        (root / f"usr/lib/ipsec/plugins/libstrongswan-{name}.so").touch()
    assert status(TRIXIE).ok
    check = doctor.check_gateway_builds()
    assert "trixie 6.0.1 (6.0.1-6+deb13u7)" in check.detail
    assert "trixie: stale (its recipe changed" in check.detail and not check.ok


def _collect_run(cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "-rs"]
    command += ["--evidence-dir", str(cache / "evidence"), "suites/test_auth.py", *extra]
    env = {**os.environ, "WINTEROP_GATEWAYS_DIR": str(cache)}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_cells_of_missing_and_broken_builds_skip_at_collection_with_the_reason(
    cache: Path,
) -> None:
    """No lab is built and no root needed: skip marks act before any fixture."""
    _broken_root(cache, charon=False)
    done = _collect_run(
        cache, "--gateways", "trixie,sid", "-k", "test_connect and reference and machine-cert"
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "4 skipped" in out, out
    assert "Traceback" not in out
    assert "gateway build trixie: broken: " in out and "usr/sbin/charon-systemd" in out
    assert "gateway build sid: not built" in out and "build-gateways sid" in out


def test_unknown_gateway_word_is_a_usage_error(cache: Path) -> None:
    done = _collect_run(cache, "--gateways", "7.0", "--collect-only")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "--gateways: '7.0' names no gateway build" in done.stderr
    assert "Traceback" not in done.stderr


def test_host_version_comes_from_the_installed_package() -> None:
    builds.host_package_version.cache_clear()
    host = status(BUILDS[0])
    assert host.ok, host.problem
    assert host.package.startswith(host.version + "-")
