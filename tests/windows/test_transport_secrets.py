"""Credentials and secret script values never reach a log record, at any level.

Every logger (winterop's, pywinrm's, pypsrp's, requests', urllib3's) is captured at DEBUG
while each transport runs a script whose value block holds a secret, with credentials
read from environment variables named the way the inventory names them. pypsrp logs
whole PSRP messages at DEBUG; the check that its payload records were rewritten proves the
filter in infra.windows.transports.logsafe is what keeps the script text out.
"""

from __future__ import annotations

import json
import logging

import pytest

from infra.windows.script import Param, PsScript, build_script
from infra.windows.transports.credentials import CredentialNames, resolve_credentials
from infra.windows.transports.logsafe import WITHHELD
from infra.windows.transports.psrp import PsrpTransport
from infra.windows.transports.settings import WsmanSettings
from infra.windows.transports.winrm import WinrmTransport
from tests.windows.wsman_server import PsrpScenario, Tls, WinrsScenario, make_tls, wsman_listener

DOCUMENT = json.dumps({"ok": True, "data": None, "error": None})
NAMES = CredentialNames("WO_TEST_WINRM_USER", "WO_TEST_WINRM_PASSWORD", source="lab.yaml: x")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("secrets-tls"))


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    user = "admin-" + "u7q"
    password = "Pa55-" + "Zq9Xw-transport-credential"
    script_secret = "pfx-" + "S3cr3t-value-in-the-script"
    monkeypatch.setenv("WO_TEST_WINRM_USER", user)
    monkeypatch.setenv("WO_TEST_WINRM_PASSWORD", password)
    return user, password, script_secret


def secret_script(value: str) -> PsScript:
    return build_script(
        "import-pfx-machine",
        "a script with a secret in its value block",
        [Param("PfxPassword", value, secret=True)],
        "$WinteropData = 1",
    )


def assert_not_logged(caplog: pytest.LogCaptureFixture, *values: str) -> None:
    assert caplog.records, "nothing was logged: the capture is not working"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        for value in values:
            assert value not in text, f"{record.name} logged a secret: {text[:200]}"
    for value in values:
        assert value not in caplog.text


def test_winrm_logs_no_credentials(
    tls: Tls, secrets: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    user, password, script_secret = secrets
    creds = resolve_credentials(NAMES)
    assert password not in repr(creds)
    scenario = WinrsScenario(stdout=DOCUMENT.encode())
    caplog.set_level(logging.DEBUG)
    with wsman_listener(scenario, tls, user=user, password=password) as listener:
        settings = WsmanSettings(port=listener.port, auth="basic", ca_file=str(tls.ca_file))
        t = WinrmTransport("127.0.0.1", creds, settings)
        try:
            assert t.run(secret_script(script_secret), 10).parse().ok
        finally:
            t.close()
    assert_not_logged(caplog, password, script_secret)


def test_psrp_logs_no_credentials_nor_script_text(
    tls: Tls, secrets: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    user, password, script_secret = secrets
    scenario = PsrpScenario(outputs=[DOCUMENT])
    caplog.set_level(logging.DEBUG)
    with wsman_listener(scenario, tls, user=user, password=password) as listener:
        settings = WsmanSettings(port=listener.port, auth="basic", ca_file=str(tls.ca_file))
        t = PsrpTransport("127.0.0.1", resolve_credentials(NAMES), settings)
        try:
            assert t.run(secret_script(script_secret), 10).parse().ok
        finally:
            t.close()
    assert scenario.script().count(script_secret) == 1  # it did travel, in the script
    assert_not_logged(caplog, password, script_secret)
    assert any(WITHHELD in r.getMessage() for r in caplog.records if r.name.startswith("pypsrp"))
