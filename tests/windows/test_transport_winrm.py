"""The pywinrm transport at its HTTP boundary, against recorded WS-Management responses.

pywinrm runs unmodified over real HTTPS (a throw-away CA, Basic auth) to the listener in
wsman_server.py, which answers from tests/windows/recordings (recordings of the protocol
shape, not captures). The tests check what the adapter sends: the WinRS operations in
order (MS-WSMV 3.1.4: Create, Command, Send, Receive, Signal, Delete), the shell and
command options, a command line far below cmd.exe's limit, the script arriving intact on
stdin, and that the harness deadline ends a command that never finishes.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.windows.script import Param, PsScript, build_script
from infra.windows.transports import bootstrap
from infra.windows.transports.base import TransportError, TransportTimeout
from infra.windows.transports.credentials import Credentials
from infra.windows.transports.settings import WsmanSettings
from infra.windows.transports.winrm import WinrmTransport
from tests.windows.wsman_server import (
    SIGNAL_TERMINATE,
    Tls,
    WinrsScenario,
    make_tls,
    recording,
    wsman_listener,
)

USER = "winterop-admin"
PASSWORD = "correct horse battery staple"
DOCUMENT = json.dumps({"ok": True, "data": {"answer": 42}, "error": None}, separators=(",", ":"))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("wsman-tls"))


def script(size: int = 10) -> PsScript:
    return build_script("winrm-probe", "a probe", [Param("Blob", "x" * size)], "$WinteropData = 1")


def transport(tls: Tls, port: int, **settings: object) -> WinrmTransport:
    options: dict[str, object] = {"port": port, "auth": "basic", "ca_file": str(tls.ca_file)}
    options.update(settings)
    password = str(options.pop("password", PASSWORD))
    return WinrmTransport("127.0.0.1", Credentials(USER, password), WsmanSettings(**options))  # type: ignore[arg-type]


def stdin_script(scenario: WinrsScenario) -> str:
    """What the bootstrap on the guest would run: stdin without whitespace, base64, UTF-8."""
    payload = b"".join(scenario.stdin.split())
    return base64.b64decode(payload).decode("utf-8")


@pytest.fixture
def served(tls: Tls) -> Iterator[tuple[WinrsScenario, int, list[str]]]:
    scenario = WinrsScenario(
        stdout=(DOCUMENT + "\r\n").encode(),
        stderr=recording("wsman/powershell-stderr.clixml").encode(),
        exit_code=0,
    )
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        yield scenario, listener.port, listener.failures


def test_one_script_is_one_winrs_shell_lifecycle(
    tls: Tls, served: tuple[WinrsScenario, int, list[str]]
) -> None:
    scenario, port, failures = served
    sent = script()
    t = transport(tls, port)
    try:
        result = t.run(sent, 10)
    finally:
        t.close()
    assert failures == []
    assert scenario.actions() == [
        "Create",
        "Command",
        "Send",
        "Receive",
        "Receive",
        "Signal",
        "Delete",
    ]
    create, command = scenario.requests[0], scenario.requests[1]
    assert create.resource_uri == "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
    assert create.options == {"WINRS_NOPROFILE": "TRUE", "WINRS_CODEPAGE": "65001"}
    assert command.options["WINRS_CONSOLEMODE_STDIN"] == "FALSE"
    executable = command.find("rsp:CommandLine/rsp:Command")
    arguments = command.find("rsp:CommandLine/rsp:Arguments")
    assert executable is not None and arguments is not None
    assert executable.text == "powershell"
    assert (arguments.text or "").split() == bootstrap.powershell_arguments()
    encoded = (arguments.text or "").split()[-1]
    assert base64.b64decode(encoded).decode("utf-16-le") == bootstrap.BOOTSTRAP
    assert stdin_script(scenario) == sent.text and scenario.stdin_ended
    assert scenario.signals == [SIGNAL_TERMINATE]
    assert {r.shell_id for r in scenario.requests[1:]} == {scenario.requests[-1].shell_id}
    assert all(r.authorization.startswith("Basic ") for r in scenario.requests)
    assert result.parse().unwrap() == {"answer": 42}
    assert result.exit_code == 0 and result.transport == "winrm"
    assert result.stderr.startswith("#< CLIXML")
    assert result.errors[0].startswith("Import-PfxCertificate : The PFX file could not be found.")
    assert result.errors[1] == "Second error: Access is denied."


def test_long_script_goes_through_stdin_in_several_sends(
    tls: Tls, served: tuple[WinrsScenario, int, list[str]]
) -> None:
    scenario, port, failures = served
    sent = script(size=200_000)
    t = transport(tls, port)
    try:
        t.run(sent, 10)
    finally:
        t.close()
    assert failures == []
    sends = [r for r in scenario.requests if r.action.endswith("/Send")]
    assert len(sends) >= 3
    assert all(len(r.raw) < 153_600 for r in scenario.requests)
    command = scenario.requests[1].find("rsp:CommandLine/rsp:Arguments")
    assert command is not None and len("powershell " + (command.text or "")) < 8191
    assert stdin_script(scenario) == sent.text


def test_exit_code_of_the_command_is_kept(tls: Tls) -> None:
    scenario = WinrsScenario(stdout=b"not a document\r\n", exit_code=1, chunks=1)
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        t = transport(tls, listener.port)
        try:
            result = t.run(script(), 10)
        finally:
            t.close()
    assert result.exit_code == 1
    assert result.stdout == "not a document\r\n"
    assert result.errors == ()


def test_deadline_signals_and_deletes_a_command_that_never_ends(tls: Tls) -> None:
    scenario = WinrsScenario(stdout=b"", hang=True)
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
    assert caught.value.script == "winrm-probe" and caught.value.deadline == 1.5
    assert "1.5 s deadline" in str(caught.value) and "winrm to 127.0.0.1" in str(caught.value)
    actions = scenario.actions()
    assert actions[:3] == ["Create", "Command", "Send"]
    assert actions[-2:] == ["Signal", "Delete"] and actions.count("Receive") >= 2
    receives = [r for r in scenario.requests if r.action.endswith("/Receive")]
    assert all(r.operation_timeout in ("PT1S", "PT2S") for r in receives)
    assert scenario.signals == [SIGNAL_TERMINATE]


def test_rejected_password_raises_without_the_password(tls: Tls) -> None:
    scenario = WinrsScenario(stdout=b"")
    wrong = "wrong-" + PASSWORD
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        t = transport(tls, listener.port, password=wrong)
        with pytest.raises(TransportError, match="cannot create a WinRS shell") as caught:
            t.run(script(), 10)
    assert wrong not in str(caught.value) and wrong not in repr(t)
    assert scenario.requests == []


def test_listener_certificate_must_chain_to_the_configured_ca(tls: Tls, tmp_path: Path) -> None:
    other = make_tls(tmp_path)
    scenario = WinrsScenario(stdout=b"")
    with wsman_listener(scenario, tls, user=USER, password=PASSWORD) as listener:
        t = transport(other, listener.port)
        with pytest.raises(TransportError, match=r"SSLError|certificate"):
            t.run(script(), 10)
    assert scenario.requests == []
