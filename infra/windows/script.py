"""Assemble one PowerShell script: header, value block, helpers, body, and the JSON result frame.

Every script winterop runs on a Windows guest has the same shape, so the transport and the
parser can rely on it:

1. a header naming the script and what its `data` holds;
2. preferences that turn every error into a terminating one and silence prompts and progress
   (windows-driving.md section 1);
3. a *value block*: the only lines where values from Python appear, each assigned to a
   variable as a literal rendered by `infra.windows.psquote`;
4. static helper functions and a static body that refer to those variables only;
5. a frame that runs the body inside try/catch and prints exactly one JSON document,
   `{"ok": bool, "data": ..., "error": {"message", "category", "hresult"} | null}`,
   whether the body succeeded or not.

Because values live only in the value block, a script built with a hostile string differs
from one built with a benign string only inside single-quoted literals; the tests check
exactly that.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from infra.windows.psquote import PsValue, ps_literal
from infra.windows.result import ScriptResult, parse_script_output

# Variable names a value block must not shadow: PowerShell automatic variables and the frame's.
_RESERVED_NAMES = frozenset(
    name.lower()
    for name in (
        "_",
        "args",
        "ConfirmPreference",
        "ErrorActionPreference",
        "Error",
        "Event",
        "EventArgs",
        "ExecutionContext",
        "false",
        "foreach",
        "Home",
        "Host",
        "Input",
        "LastExitCode",
        "Matches",
        "MyInvocation",
        "null",
        "OFS",
        "PID",
        "ProgressPreference",
        "PSBoundParameters",
        "PSItem",
        "PWD",
        "Sender",
        "ShellId",
        "StackTrace",
        "this",
        "true",
        "WarningPreference",
    )
)
_VARIABLE_RE = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
_SCRIPT_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REDACTED = "<redacted>"

_PREAMBLE = """\
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
"""

# The frame. Body output is discarded (`$null = . {...}`) so stray pipeline output from a
# cmdlet can never become a second document; the body reports through $WinteropData.
# Non-ASCII characters are escaped as \\uXXXX so the document survives any console code page
# (SSH transport) unchanged. docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/
# ConvertTo-Json.md (-InputObject, -Depth default 2, -Compress).
_FRAME_HEAD = """\
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
"""
_FRAME_TAIL = """\
    }
    $WinteropOk = $true
}
catch {
    $WinteropFailure = $_
}
$WinteropDocument = [ordered]@{ ok = $WinteropOk; data = $WinteropData; error = $null }
if ($null -ne $WinteropFailure) {
    $WinteropDocument.error = [ordered]@{
        message = [string]$WinteropFailure.Exception.Message
        category = [string]$WinteropFailure.CategoryInfo.Category
        hresult = [int]$WinteropFailure.Exception.HResult
    }
}
try {
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/ConvertTo-Json.md
    $WinteropJson = ConvertTo-Json -InputObject $WinteropDocument -Depth 6 -Compress
}
catch {
    $WinteropJson = ConvertTo-Json -Depth 6 -Compress -InputObject ([ordered]@{
        ok = $false
        data = $null
        error = [ordered]@{
            message = 'result serialisation failed: ' + $_.Exception.Message
            category = [string]$_.CategoryInfo.Category
            hresult = [int]$_.Exception.HResult
        }
    })
}
$WinteropEscape = [System.Text.RegularExpressions.MatchEvaluator]{
    param($m)
    '\\u{0:x4}' -f [int][char]$m.Value
}
[regex]::Replace($WinteropJson, '[^\\x00-\\x7F]', $WinteropEscape)
"""


@dataclass(frozen=True)
class Param:
    """One entry of a script's value block: `$<name> = <literal>`.

    `secret` values (passwords, command lines carrying them) are replaced by `<redacted>` in
    `PsScript.log_text`, the form that may be written to evidence and logs.
    """

    name: str
    value: PsValue
    secret: bool = False

    def __post_init__(self) -> None:
        if not _VARIABLE_RE.match(self.name):
            raise ValueError(f"bad PowerShell variable name {self.name!r}")
        if self.name.lower() in _RESERVED_NAMES or self.name.lower().startswith("winterop"):
            raise ValueError(f"variable name {self.name!r} is reserved")

    def render(self, *, redact: bool = False) -> str:
        literal = ps_literal(REDACTED) if redact and self.secret else ps_literal(self.value)
        return f"${self.name} = {literal}"


@dataclass(frozen=True)
class PsScript:
    """A complete script for one operation on the guest.

    `text` is what runs; `log_text` is the same script with secret values replaced, for
    evidence files. Neither appears in `repr()`, so a failing assertion cannot print a
    password. `expects` says what `data` holds when the script succeeds.
    """

    name: str
    expects: str
    text: str = field(repr=False)
    log_text: str = field(repr=False)

    def parse(self, stdout: str) -> ScriptResult:
        """Parse this script's output; errors name this script."""
        return parse_script_output(stdout, script=self.name)


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def build_script(
    name: str,
    expects: str,
    params: Sequence[Param],
    body: str,
    helpers: Sequence[str] = (),
) -> PsScript:
    """Assemble a script from static `body` and `helpers` text plus a value block.

    `body` and `helpers` must be constant PowerShell text written in this package; values
    reach the script only through `params`. The body must assign `$WinteropData`.
    """
    if not _SCRIPT_NAME_RE.match(name):
        raise ValueError(f"script names are kebab-case, got {name!r}")
    names = [p.name.lower() for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate parameter names in {name}: {names}")
    if "$WinteropData" not in body:
        raise ValueError(f"the body of {name} never assigns $WinteropData")

    def assemble(redact: bool) -> str:
        parts = [
            _comment(f"winterop script: {name}\nexpects: {expects}"),
            _PREAMBLE,
            "# Values from the harness; the rest of the script is constant text.\n",
            "".join(p.render(redact=redact) + "\n" for p in params),
        ]
        parts.extend(textwrap.dedent(h).strip("\n") + "\n" for h in helpers)
        parts.append(_FRAME_HEAD)
        parts.append(textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8) + "\n")
        parts.append(_FRAME_TAIL)
        return "".join(parts)

    return PsScript(name=name, expects=expects, text=assemble(False), log_text=assemble(True))
