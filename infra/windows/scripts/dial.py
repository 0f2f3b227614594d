"""Connect and disconnect a VPN profile without interaction, recording exactly what happened.

`rasdial_connect` never fails for VPN-level errors: a refused connection is a result (the RAS
error number, e.g. 691, 809, 13801), not an exception, so the script reports every attempt's
exit code and text and leaves the verdict to infra.windows.rasdial.parse_connect_result.
Only a broken harness (PowerShell error) makes the script report `ok: false`.
The 703 fallbacks and their order are documented in `_dial_methods`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from infra.windows import pshelpers
from infra.windows.rasdial import ERROR_INTERACTIVE_MODE, RAS_ERROR_PATTERN
from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check, _dial_methods
from infra.windows.scripts._dial_methods import DIAL_METHODS, DialMethod
from infra.windows.winargv import join_windows_args

UNLEN = 256  # lmcons.h: longest user name RASDIALPARAMSW holds
PWLEN = 256  # lmcons.h: longest password RASDIALPARAMSW holds


@dataclass(frozen=True)
class RasCredentials:
    """User name and password for EAP-MSCHAPv2; the password never appears in `repr()`."""

    user: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        _check.text("user", self.user, max_len=UNLEN)
        if not isinstance(self.password, str) or len(self.password) > PWLEN:
            raise ValueError(f"password must be a string of at most {PWLEN} characters")
        for what, value in (("user", self.user), ("password", self.password)):
            if value.startswith("/"):
                raise ValueError(f"{what} must not start with '/' (rasdial reads it as a switch)")
            if "\x00" in value:
                raise ValueError(f"{what} must not contain NUL")
        if self.password == "*":
            raise ValueError("password '*' makes rasdial prompt for the password")


_CONNECT_BODY = rf"""
$attempts = [System.Collections.Generic.List[object]]::new()
$rasError = $null
foreach ($method in $Methods) {{
    try {{
        if ($method -eq 'rasdial-session') {{ $attempt = Invoke-WinteropDialSession }}
        elseif ($method -eq 'rasdial-interactive-task') {{
            $attempt = Invoke-WinteropDialInteractive
        }}
        else {{ $attempt = Invoke-WinteropDialPInvoke }}
    }}
    catch {{
        # A harness failure of one method is recorded and the next method is tried.
        $attempts.Add([ordered]@{{ method = $method; exit_code = $null; output = '';
            timed_out = $false; seconds = $null; detail = ''; error = $_.Exception.Message }})
        continue
    }}
    $attempts.Add($attempt)
    $errorArgs = @{{
        ExitCode = $attempt.exit_code
        Output = $attempt.output
        TimedOut = $attempt.timed_out
    }}
    $rasError = Get-WinteropRasError @errorArgs
    # Only 703 ERROR_INTERACTIVE_MODE sends the dial on to the next workaround.
    if ($rasError -ne {ERROR_INTERACTIVE_MODE}) {{ break }}
}}
$WinteropData = [ordered]@{{
    name = $Name
    ras_error = $rasError
    attempts = @($attempts)
    connection = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
}}
"""

_DISCONNECT_BODY = r"""
$before = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
$rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
# docs: windows-driving.md section 4.1 (rasdial "<entry>" /DISCONNECT)
$run = Invoke-WinteropProcess -FilePath $rasdial -Arguments $HangUpArguments -TimeoutMs $TimeoutMs
$output = [string]$run.stdout + [string]$run.stderr
$WinteropData = [ordered]@{
    name = $Name
    was_connected = ($null -ne $before -and $before.connection_status -eq 'Connected')
    exit_code = $run.exit_code
    output = $output
    timed_out = $run.timed_out
    ras_error = Get-WinteropRasError $run.exit_code $output $run.timed_out
    connection = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
}
"""


def _method(value: str) -> DialMethod:
    for known in DIAL_METHODS:
        if value == known:
            return known
    raise ValueError(f"dial method must be one of {', '.join(DIAL_METHODS)}; got {value!r}")


def _timeout_ms(timeout_seconds: int) -> int:
    return _check.integer("timeout_seconds", timeout_seconds, 1, 3600) * 1000


def rasdial_connect(
    name: str,
    *,
    credentials: RasCredentials | None = None,
    all_user_connection: bool = True,
    timeout_seconds: int = 90,
    interactive_user: str | None = None,
    methods: Sequence[DialMethod] | None = None,
) -> PsScript:
    """Dial `name`, falling back through the 703 workarounds in the documented order.

    `methods` defaults to all three, skipping the scheduled task when no `interactive_user`
    (an auto-logged-on local account) is given; pass one method to measure it alone
    (windows-driving.md 15.1). Each rasdial run is killed at `timeout_seconds`; the P/Invoke
    call is synchronous and bounded only by the transport's deadline.
    """
    if credentials is not None and not isinstance(credentials, RasCredentials):
        raise ValueError("credentials must be RasCredentials or None")
    if interactive_user is not None:
        _check.text("interactive_user", interactive_user, max_len=UNLEN, single_line=True)
    if methods is None:
        chosen = tuple(
            m for m in DIAL_METHODS if m != "rasdial-interactive-task" or interactive_user
        )
    else:
        chosen = tuple(_method(m) for m in methods)
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"methods must list each dial method at most once, got {chosen!r}")
    if "rasdial-interactive-task" in chosen and interactive_user is None:
        raise ValueError("rasdial-interactive-task needs interactive_user")
    args = [_check.profile_name(name)]
    if credentials is not None:
        args += [credentials.user, credentials.password]
    return build_script(
        "rasdial-connect",
        "{name: str, ras_error: int | null (last attempt; 0 = connected), attempts: "
        "[{method, exit_code: int | null, output: str, timed_out: bool, seconds, detail, "
        "error: str | null (harness failure)}], "
        "connection: {name, connection_status, ...} | null}",
        [
            Param("Name", name),
            Param("AllUserConnection", _check.flag("all_user_connection", all_user_connection)),
            Param("RasdialArguments", join_windows_args(args), secret=credentials is not None),
            Param("User", credentials.user if credentials else ""),
            Param("Password", credentials.password if credentials else "", secret=True),
            Param("TimeoutMs", _timeout_ms(timeout_seconds)),
            Param("Methods", chosen),
            Param("InteractiveUser", interactive_user or ""),
            Param("RasErrorPattern", RAS_ERROR_PATTERN),
        ],
        _CONNECT_BODY,
        helpers=[
            pshelpers.INVOKE_PROCESS,
            pshelpers.GET_VPN_CONNECTION,
            pshelpers.GET_RAS_ERROR,
            _dial_methods.SESSION,
            _dial_methods.INTERACTIVE_TASK,
            _dial_methods.PINVOKE,
        ],
    )


def rasdial_disconnect(
    name: str, *, all_user_connection: bool = True, timeout_seconds: int = 30
) -> PsScript:
    """Hang up `name` with `rasdial <name> /DISCONNECT`; safe to run when not connected."""
    return build_script(
        "rasdial-disconnect",
        "{name, was_connected: bool, exit_code, output, timed_out, ras_error: int | null, "
        "connection: {...} | null}",
        [
            Param("Name", _check.profile_name(name)),
            Param("AllUserConnection", _check.flag("all_user_connection", all_user_connection)),
            Param("HangUpArguments", join_windows_args([name, "/DISCONNECT"])),
            Param("TimeoutMs", _timeout_ms(timeout_seconds)),
            Param("RasErrorPattern", RAS_ERROR_PATTERN),
        ],
        _DISCONNECT_BODY,
        helpers=[pshelpers.INVOKE_PROCESS, pshelpers.GET_VPN_CONNECTION, pshelpers.GET_RAS_ERROR],
    )
