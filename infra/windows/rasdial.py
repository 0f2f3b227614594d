"""Turn what a dial attempt printed and returned into a RAS error number.

rasdial.exe reports failure twice: its exit code is the RAS / Win32 error number, and its
text says `Remote Access error NNN - ...` (windows-driving.md section 4.1). The text is the
more specific of the two (one report has a non-zero exit code after success), so a number
in the text wins, then the exit code; a timed-out attempt with no text has no number.

The same pattern is sent to the guest (`RAS_ERROR_PATTERN` is a value of the connect script)
so the script's choice to try the next 703 workaround and this module's verdict agree; the
pattern therefore stays within the syntax .NET and Python regexes share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.windows.result import JsonValue, ScriptOutputError, ScriptResult

RAS_ERROR_PATTERN = r"(?i)\berror\s+([0-9]{1,5})\b"
_RAS_ERROR_RE = re.compile(RAS_ERROR_PATTERN)

ERROR_SUCCESS = 0
ERROR_AUTHENTICATION_FAILURE = 691
ERROR_INTERACTIVE_MODE = 703
ERROR_IPSEC_IKE_AUTH_FAIL = 13801


@dataclass(frozen=True)
class RasdialOutcome:
    """One dial attempt: the RAS error number (0 success, None unknown) and its message."""

    ras_error: int | None
    message: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.ras_error == ERROR_SUCCESS and not self.timed_out


def parse_rasdial_output(
    output: str, exit_code: int | None, *, timed_out: bool = False
) -> RasdialOutcome:
    """Derive the RAS error of one attempt from its text and exit code.

    The message is the line that carries the error number, else the last non-empty line.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    match = _RAS_ERROR_RE.search(output)
    if match:
        number = int(match.group(1))
        message = next((line for line in lines if match.group(0) in line), lines[-1])
        return RasdialOutcome(ras_error=number, message=message, timed_out=timed_out)
    message = lines[-1] if lines else ""
    if timed_out:
        return RasdialOutcome(ras_error=None, message=message or "timed out", timed_out=True)
    return RasdialOutcome(ras_error=exit_code, message=message)


@dataclass(frozen=True)
class DialAttempt:
    """One method tried by the connect script (rasdial in session, task, P/Invoke).

    `harness_error` is set when the method could not run at all (task not registered,
    compiler missing); such an attempt says nothing about the VPN and has no outcome number.
    """

    method: str
    outcome: RasdialOutcome
    seconds: float | None
    detail: str
    harness_error: str | None


@dataclass(frozen=True)
class ConnectOutcome:
    """What `rasdial_connect` found: the final RAS error, every attempt, the profile status."""

    ras_error: int | None
    attempts: tuple[DialAttempt, ...]
    connection_status: str | None

    @property
    def ok(self) -> bool:
        return self.ras_error == ERROR_SUCCESS


def _field(script: str, obj: dict[str, JsonValue], key: str) -> JsonValue:
    if key not in obj:
        raise ScriptOutputError(f"script {script!r}: attempt lacks {key!r}: {obj!r}")
    return obj[key]


def _attempt(script: str, raw: JsonValue) -> DialAttempt:
    if not isinstance(raw, dict):
        raise ScriptOutputError(f"script {script!r}: attempt is not an object: {raw!r}")
    exit_code = _field(script, raw, "exit_code")
    output = _field(script, raw, "output")
    timed_out = _field(script, raw, "timed_out")
    seconds = _field(script, raw, "seconds")
    method = _field(script, raw, "method")
    detail = raw.get("detail") or ""
    harness_error = raw.get("error")
    if harness_error is not None and not isinstance(harness_error, str):
        raise ScriptOutputError(f"script {script!r}: attempt error must be a string or null")
    if exit_code is not None and (isinstance(exit_code, bool) or not isinstance(exit_code, int)):
        raise ScriptOutputError(f"script {script!r}: exit_code must be an integer or null")
    if not isinstance(output, str) or not isinstance(timed_out, bool):
        raise ScriptOutputError(f"script {script!r}: output/timed_out have the wrong type")
    if not isinstance(method, str) or not isinstance(detail, str):
        raise ScriptOutputError(f"script {script!r}: method/detail must be strings")
    if seconds is not None and not isinstance(seconds, int | float):
        raise ScriptOutputError(f"script {script!r}: seconds must be a number or null")
    return DialAttempt(
        method=method,
        outcome=parse_rasdial_output(output, exit_code, timed_out=timed_out),
        seconds=None if seconds is None else float(seconds),
        detail=detail,
        harness_error=harness_error,
    )


def parse_connect_result(result: ScriptResult) -> ConnectOutcome:
    """Read the data of a `rasdial_connect` script; the last attempt that ran decides.

    The error numbers are recomputed here from the raw text and exit codes (the script's own
    number only steered its fallbacks), so this module is the single judge. Attempts with a
    harness error are kept for the report but do not decide; if no attempt ran, the RAS
    error is None.
    """
    data = result.unwrap()
    if not isinstance(data, dict) or not isinstance(data.get("attempts"), list):
        raise ScriptOutputError(f"script {result.script!r}: data lacks an 'attempts' list")
    raw_attempts = data["attempts"]
    assert isinstance(raw_attempts, list)
    attempts = tuple(_attempt(result.script, a) for a in raw_attempts)
    if not attempts:
        raise ScriptOutputError(f"script {result.script!r}: no dial attempt was recorded")
    ran = [a for a in attempts if a.harness_error is None]
    connection = data.get("connection")
    status = connection.get("connection_status") if isinstance(connection, dict) else None
    return ConnectOutcome(
        ras_error=ran[-1].outcome.ras_error if ran else None,
        attempts=attempts,
        connection_status=status if isinstance(status, str) else None,
    )
