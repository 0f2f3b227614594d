"""RAS error numbers from rasdial text and exit codes, and the connect script's data."""

from __future__ import annotations

import json
import re

import pytest

from infra.windows.rasdial import (
    RAS_ERROR_PATTERN,
    ConnectOutcome,
    RasdialOutcome,
    parse_connect_result,
    parse_rasdial_output,
)
from infra.windows.result import ScriptFailedError, ScriptOutputError, parse_script_output

# rasdial.exe text as it prints on en-US Windows (message texts from raserror.h / winerror.h).
SUCCESS = """Connecting to sw-ikev2...
Verifying username and password...
Registering your computer on the network...
Successfully connected to sw-ikev2.
Command completed successfully.
"""
ERROR_691 = """Connecting to sw-eap...
Verifying username and password...

Remote Access error 691 - The remote connection was denied because the user name and \
password combination you provided is not recognized, or the selected authentication \
protocol is not permitted on the remote access server.

For more help on this error:
        Type 'hh netcfg.chm'
        In help, click Troubleshooting, then Error Messages, then 691
"""
ERROR_13801 = """Connecting to sw-ikev2...
Verifying username and password...

Remote Access error 13801 - IKE authentication credentials are unacceptable
"""
ERROR_703 = """Connecting to sw-eap...

Remote Access error 703 - The connection needs information from you, but the application \
does not allow user interaction.
"""


def test_success() -> None:
    outcome = parse_rasdial_output(SUCCESS, 0)
    assert outcome == RasdialOutcome(0, "Command completed successfully.")
    assert outcome.ok


def test_error_691_from_text_and_exit_code() -> None:
    outcome = parse_rasdial_output(ERROR_691, 691)
    assert outcome.ras_error == 691
    assert outcome.message.startswith("Remote Access error 691 - The remote connection")
    assert not outcome.ok


def test_error_13801() -> None:
    outcome = parse_rasdial_output(ERROR_13801, 13801)
    assert outcome.ras_error == 13801
    assert "IKE authentication credentials are unacceptable" in outcome.message


def test_error_703() -> None:
    assert parse_rasdial_output(ERROR_703, 703).ras_error == 703


def test_text_wins_over_a_disagreeing_exit_code() -> None:
    assert parse_rasdial_output(ERROR_13801, 1).ras_error == 13801


def test_exit_code_when_the_text_has_no_number() -> None:
    assert parse_rasdial_output("Something odd happened.\n", 809).ras_error == 809
    assert parse_rasdial_output("", 623) == RasdialOutcome(623, "")


def test_timeout_without_text_has_no_number() -> None:
    outcome = parse_rasdial_output("Connecting to sw-eap...\n", None, timed_out=True)
    assert outcome.ras_error is None
    assert outcome.timed_out and not outcome.ok


def test_the_guest_pattern_is_portable_regex_syntax() -> None:
    # .NET and Python read this pattern alike: inline (?i) at the start, \b, \s, [0-9].
    assert RAS_ERROR_PATTERN.startswith("(?i)")
    assert "\\d" not in RAS_ERROR_PATTERN
    match = re.search(RAS_ERROR_PATTERN, "REMOTE ACCESS ERROR 809 - x")
    assert match is not None and match.group(1) == "809"


def _connect_result(*attempts: dict[str, object], status: str | None = "Connected") -> str:
    data = {
        "name": "sw-eap",
        "ras_error": None,
        "attempts": list(attempts),
        "connection": None if status is None else {"name": "sw-eap", "connection_status": status},
    }
    return json.dumps({"ok": True, "data": data, "error": None})


def _attempt(method: str, exit_code: object, output: object, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "method": method,
        "exit_code": exit_code,
        "output": output,
        "timed_out": False,
        "seconds": 1.5,
        "detail": "",
        "error": None,
    }
    base.update(extra)
    return base


def test_connect_result_703_then_success_through_the_task() -> None:
    stdout = _connect_result(
        _attempt("rasdial-session", 703, ERROR_703),
        _attempt("rasdial-interactive-task", 0, SUCCESS),
    )
    outcome = parse_connect_result(parse_script_output(stdout, script="rasdial-connect"))
    assert isinstance(outcome, ConnectOutcome)
    assert outcome.ok and outcome.ras_error == 0
    assert [a.method for a in outcome.attempts] == ["rasdial-session", "rasdial-interactive-task"]
    assert outcome.attempts[0].outcome.ras_error == 703
    assert outcome.connection_status == "Connected"


def test_connect_result_harness_errors_do_not_decide() -> None:
    stdout = _connect_result(
        _attempt("rasdial-session", 703, ERROR_703),
        _attempt("rasdial-interactive-task", None, "", error="task not registered"),
        _attempt("rasdial-pinvoke", None, "", error="Add-Type failed"),
        status="Disconnected",
    )
    outcome = parse_connect_result(parse_script_output(stdout))
    assert outcome.ras_error == 703
    assert outcome.attempts[1].harness_error == "task not registered"


def test_connect_result_pinvoke_return_value_is_the_error() -> None:
    stdout = _connect_result(
        _attempt("rasdial-session", 703, ERROR_703),
        _attempt("rasdial-pinvoke", 691, "", detail="RasDialW return value"),
    )
    assert parse_connect_result(parse_script_output(stdout)).ras_error == 691


def test_connect_result_without_attempts_that_ran() -> None:
    stdout = _connect_result(_attempt("rasdial-session", None, "", error="boom"), status=None)
    outcome = parse_connect_result(parse_script_output(stdout))
    assert outcome.ras_error is None and outcome.connection_status is None


def test_connect_result_failed_script_raises() -> None:
    doc = '{"ok":false,"data":null,"error":{"message":"m","category":"c","hresult":1}}'
    with pytest.raises(ScriptFailedError, match="rasdial-connect"):
        parse_connect_result(parse_script_output(doc, script="rasdial-connect"))


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "rasdial-session"},
        _attempt("rasdial-session", "0", SUCCESS),
        _attempt("rasdial-session", True, SUCCESS),
        _attempt("rasdial-session", 0, None),
        _attempt("rasdial-session", 0, SUCCESS, error=5),
        "not an object",
    ],
)
def test_connect_result_rejects_malformed_attempts(bad: object) -> None:
    stdout = _connect_result(bad)  # type: ignore[arg-type]
    with pytest.raises(ScriptOutputError, match="rasdial-connect"):
        parse_connect_result(parse_script_output(stdout, script="rasdial-connect"))


def test_connect_result_requires_attempts() -> None:
    with pytest.raises(ScriptOutputError, match="no dial attempt"):
        parse_connect_result(parse_script_output(_connect_result(), script="rasdial-connect"))
