"""The pypsrp transport at its HTTP boundary, against recorded WS-Management/PSRP responses.

pypsrp runs unmodified over real HTTPS (Basic auth) to the listener in wsman_server.py,
which decodes the PSRP fragments and messages itself (MS-PSRP 2.2.1, 2.2.4) and answers
with recorded message bodies (tests/windows/recordings/psrp, recordings of the protocol
shape). Checked: RunspacePool creation (SESSION_CAPABILITY + INIT_RUNSPACEPOOL in
creationXml), the script inside CREATE_PIPELINE arriving intact however long, output
objects joined with newlines, error and warning records kept, the pool reused, and the
deadline stopping the pipeline with a Ctrl-C signal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from infra.windows.script import Param, PsScript, build_script
from infra.windows.transports.base import TransportError, TransportTimeout
from infra.windows.transports.credentials import Credentials
from infra.windows.transports.psrp import PsrpTransport
from infra.windows.transports.settings import WsmanSettings
from tests.windows.wsman_server import (
    CREATE_PIPELINE,
    INIT_RUNSPACEPOOL,
    SESSION_CAPABILITY,
    PsrpScenario,
    Tls,
    make_tls,
    wsman_listener,
)

USER = "winterop-admin"
PASSWORD = "psrp password 'with' quotes"
DOCUMENT = json.dumps({"ok": True, "data": ["a", 1], "error": None}, separators=(",", ":"))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("psrp-tls"))


def script(size: int = 10) -> PsScript:
    return build_script("psrp-probe", "a probe", [Param("Blob", "y" * size)], "$WinteropData = 1")


def transport(tls: Tls, port: int, password: str = PASSWORD) -> PsrpTransport:
    settings = WsmanSettings(port=port, auth="basic", ca_file=str(tls.ca_file))
    return PsrpTransport("127.0.0.1", Credentials(USER, password), settings)


@pytest.fixture
def served(tls: Tls) -> Iterator[tuple[PsrpScenario, int, list[str]]]:
    scenario = PsrpScenario(
        outputs=["WARNING-like noise printed by a cmdlet", DOCUMENT],
        errors=["Import-Certificate : Access is denied."],
        warnings=["the profile was replaced"],
    )
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        yield scenario, listener.port, listener.failures


def test_pool_is_created_and_one_pipeline_runs_the_script(
    tls: Tls, served: tuple[PsrpScenario, int, list[str]]
) -> None:
    scenario, port, failures = served
    sent = script()
    t = transport(tls, port)
    try:
        result = t.run(sent, 10)
    finally:
        t.close()
    assert failures == []
    assert scenario.actions() == ["Create", "Receive", "Command", "Receive", "Signal", "Delete"]
    create = scenario.requests[0]
    assert create.resource_uri == "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
    assert create.options["protocolversion"] == "2.3"
    assert create.options["WINRS_NOPROFILE"] == "TRUE"
    kinds = [(m.destination, m.message_type) for m in scenario.received]
    assert kinds[:2] == [(2, SESSION_CAPABILITY), (2, INIT_RUNSPACEPOOL)]
    assert kinds[2] == (2, CREATE_PIPELINE)
    assert scenario.script() == sent.text
    assert result.stdout == "WARNING-like noise printed by a cmdlet\n" + DOCUMENT
    assert result.parse().unwrap() == ["a", 1]
    assert result.errors == ("Import-Certificate : Access is denied.",)
    assert result.stderr.splitlines() == [
        "ERROR: Import-Certificate : Access is denied.",
        "WARNING: the profile was replaced",
    ]
    assert result.exit_code is None and result.transport == "psrp"


def test_long_script_is_fragmented_across_command_and_sends(
    tls: Tls, served: tuple[PsrpScenario, int, list[str]]
) -> None:
    """The server announces protocol 2.3, so pypsrp fills envelopes up to 500 KB (the
    MaxEnvelopeSizekb default of PowerShell 3+ listeners); 1.2 MB needs Command + Sends."""
    scenario, port, failures = served
    sent = script(size=1_200_000)
    t = transport(tls, port)
    try:
        t.run(sent, 30)
    finally:
        t.close()
    assert failures == []
    assert scenario.actions().count("Send") >= 2
    assert all(len(r.raw) <= 512_000 for r in scenario.requests)
    assert scenario.script() == sent.text


def test_pool_is_reused_for_the_next_script(tls: Tls) -> None:
    scenario = PsrpScenario(outputs=[DOCUMENT])
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        t = transport(tls, listener.port)
        try:
            t.run(script(), 10)
            scenario.outputs = [DOCUMENT]
            scenario.received = scenario.received[:2]
            scenario._pipeline_done = False
            t.run(script(), 10)
        finally:
            t.close()
        assert listener.failures == []
    assert scenario.actions().count("Create") == 1
    assert scenario.actions().count("Command") == 2


def test_deadline_stops_the_pipeline_with_ctrl_c(tls: Tls) -> None:
    scenario = PsrpScenario(outputs=[], hang=True)
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        t = transport(tls, listener.port)
        start = time.monotonic()
        try:
            with pytest.raises(TransportTimeout) as caught:
                t.run(script(), 1.5)
        finally:
            t.close()
        elapsed = time.monotonic() - start
    assert 1.5 <= elapsed < 4.0
    assert caught.value.script == "psrp-probe" and "1.5 s deadline" in str(caught.value)
    pipeline_receives = [
        r
        for r in scenario.requests
        if r.action.endswith("/Receive")
        and r.find("rsp:Receive/rsp:DesiredStream[@CommandId]") is not None
    ]
    assert len(pipeline_receives) >= 2
    assert all(r.operation_timeout in ("PT1S", "PT2S") for r in pipeline_receives)
    assert any(signal.endswith("ctrl_c") for signal in scenario.signals), scenario.signals


def test_rejected_password_raises_without_the_password(tls: Tls) -> None:
    scenario = PsrpScenario(outputs=[])
    wrong = "not-" + PASSWORD
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        t = transport(tls, listener.port, password=wrong)
        with pytest.raises(TransportError, match="cannot open a RunspacePool") as caught:
            t.run(script(), 10)
    assert wrong not in str(caught.value) and wrong not in repr(t)
    assert scenario.requests == []


def test_untrusted_listener_certificate_is_refused(
    tls: Tls, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = make_tls(tmp_path_factory.mktemp("other-ca"))
    scenario = PsrpScenario(outputs=[])
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        settings = WsmanSettings(port=listener.port, auth="basic", ca_file=str(other.ca_file))
        t = PsrpTransport("127.0.0.1", Credentials(USER, PASSWORD), settings)
        with pytest.raises(TransportError, match="cannot open a RunspacePool"):
            t.run(script(), 10)
    assert scenario.requests == []
