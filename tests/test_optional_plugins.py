"""Presets that need a charon plugin the machine may lack (eap-dynamic): spec, doctor, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import doctor
from infra.auth_cases import AuthCase
from infra.gateway import presets
from infra.gateway.spec import EapSecret, RemoteAuth


def test_eap_dynamic_preset_is_the_documented_eap_gateway() -> None:
    spec = presets.eap_dynamic(AuthCase.EAP_MSCHAPV2, (EapSecret("alice", "pw"),))
    (conn,) = spec.connections
    assert conn.remote_auth is RemoteAuth.EAP_DYNAMIC and conn.eap_id == "%any"
    assert spec.source.endswith("windowsEapServerConf.html")
    with pytest.raises(ValueError, match="EAP cases"):
        presets.eap_dynamic(AuthCase.MACHINE_CERT, ())


def test_missing_plugin_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert presets.missing_plugins("docs-recommended", tmp_path) == []
    (reason,) = presets.missing_plugins("eap-dynamic", tmp_path)
    assert "not installed" in reason and "plugin list" in reason
    (tmp_path / "libstrongswan-eap-dynamic.so").touch()
    (reason,) = presets.missing_plugins("eap-dynamic", tmp_path)
    assert "not installed" not in reason and "plugin list" in reason
    monkeypatch.setattr(presets, "PLUGINS", presets.PLUGINS + " eap-dynamic")
    assert presets.missing_plugins("eap-dynamic", tmp_path) == []


def test_doctor_reports_optional_plugins_without_failing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "PLUGIN_DIR", tmp_path)
    check = doctor.check_optional_plugins()
    assert check.optional and not check.ok and "eap-dynamic" in check.detail
    monkeypatch.setattr(doctor, "CHECKS", (doctor.check_optional_plugins,))
    assert doctor.main() == 0
    assert "info optional-charon-plugins" in capsys.readouterr().out
