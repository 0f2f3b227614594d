"""doctor's checks say what is wrong in words, not tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import doctor


def test_missing_programs_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "PROGRAMS", ("winterop-no-such-program", "ip"))
    check = doctor.check_programs()
    assert not check.ok and check.detail == "not found: winterop-no-such-program"


def test_missing_plugins_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(doctor, "PLUGIN_DIR", tmp_path)
    (tmp_path / "libstrongswan-random.so").touch()
    check = doctor.check_plugins()
    assert not check.ok and "kernel-libipsec" in check.detail and " random " not in check.detail


def test_missing_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "DEBIAN_PACKAGES", ("winterop-no-such-package",))
    check = doctor.check_packages()
    assert not check.ok and "winterop-no-such-package" in check.detail


def test_main_exit_code_follows_the_checks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "CHECKS", (lambda: doctor.Check("x", False, "broken thing"),))
    assert doctor.main() == 1
    assert "FAIL x: broken thing" in capsys.readouterr().out
