"""Driving real Windows VMs: PowerShell script builders and the parsing of what they print.

Everything here is pure (no network, no VM): builders return `PsScript` values whose text a
transport (pypsrp, SSH) runs on the guest, and `parse_script_output` turns the one JSON
document every script prints into a `ScriptResult`. Keeping the PowerShell text in pure
functions lets it be golden-tested and injection-tested without a Windows machine.
"""

from infra.windows.result import (
    ScriptError,
    ScriptFailedError,
    ScriptOutputError,
    ScriptResult,
    parse_script_output,
)
from infra.windows.script import Param, PsScript

__all__ = [
    "Param",
    "PsScript",
    "ScriptError",
    "ScriptFailedError",
    "ScriptOutputError",
    "ScriptResult",
    "parse_script_output",
]
