"""How a script reaches powershell.exe over a channel with a command line (WinRM, SSH).

A command line is limited: cmd.exe refuses more than 8191 characters (Microsoft, "Command
prompt (Cmd.exe) command-line string limitation", learn.microsoft.com/troubleshoot/
windows-client/shell-experience/command-line-string-limitation), and both WinRS (pywinrm,
`powershell -encodedcommand` through cmd.exe; pywinrm #184, #87) and Windows OpenSSH
(DefaultShell cmd.exe) go through it. A certificate script carries a base64 PFX and is far
longer than that. So the command line is a constant, short *bootstrap* and the script
travels on standard input, the pattern Ansible's WinRM plugin uses (bootstrap_wrapper.ps1
reads `$input` under `-EncodedCommand`; the WinRS command is started with
WINRS_CONSOLEMODE_STDIN false so stdin is a pipe).

The bootstrap reads all of stdin, decodes it from base64 (so no console code page can alter
a character), and runs it as one script block. One script block rather than
`-Command -`: with `-Command -` powershell.exe executes stdin "as though typed at the
prompt" (about_PowerShell_exe), line by line, where a multi-line statement needs a blank
line to end it.

docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Core/About/about_PowerShell_exe.md
(-EncodedCommand takes base64 of UTF-16LE; -NoProfile; -NonInteractive; -ExecutionPolicy
sets the policy for this session only).
"""

from __future__ import annotations

import base64

from infra.windows.script import PsScript

CMD_EXE_LIMIT = 8191
"""Longest command line cmd.exe accepts (the Microsoft article above)."""

POWERSHELL = "powershell"
"""Resolved by cmd.exe (PATHEXT) or PowerShell on the guest; `powershell.exe` 5.1."""

# $input enumerates the lines of the redirected standard input; whitespace (line breaks
# between chunks) is removed before decoding. [scriptblock]::Create parses the whole text
# at once. docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Core/About/
# about_Automatic_Variables.md ($input), .NET System.Convert.FromBase64String,
# System.Text.Encoding.UTF8, System.Management.Automation.ScriptBlock.Create.
BOOTSTRAP = """\
$ErrorActionPreference = 'Stop'
$WinteropPayload = (@($input) -join '') -replace '\\s', ''
$WinteropBytes = [System.Convert]::FromBase64String($WinteropPayload)
$WinteropText = [System.Text.Encoding]::UTF8.GetString($WinteropBytes)
& ([scriptblock]::Create($WinteropText))
"""

PAYLOAD_CHUNK = 65536
"""Base64 characters per stdin chunk; a WinRS Send envelope then stays near 90 KB, under
the 150 KB MaxEnvelopeSize older Windows listeners accept."""


def encode_command(text: str) -> str:
    """TEXT as -EncodedCommand wants it: base64 of its UTF-16LE encoding."""
    return base64.b64encode(text.encode("utf-16-le")).decode("ascii")


def powershell_arguments() -> list[str]:
    """Arguments of powershell.exe that run the bootstrap (without the program name)."""
    return [
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
        encode_command(BOOTSTRAP),
    ]


def command_line() -> str:
    """The whole command line, checked against cmd.exe's limit (it is constant and short)."""
    line = " ".join([POWERSHELL, *powershell_arguments()])
    if len(line) >= CMD_EXE_LIMIT:  # pragma: no cover - a guard for future edits
        raise AssertionError(f"bootstrap command line is {len(line)} characters")
    return line


def payload(script: PsScript) -> str:
    """The script as the bootstrap reads it: base64 of its UTF-8 text."""
    return base64.b64encode(script.text.encode("utf-8")).decode("ascii")


def payload_chunks(script: PsScript, size: int = PAYLOAD_CHUNK) -> list[bytes]:
    """The payload cut into stdin writes, each a whole line (CRLF-terminated)."""
    text = payload(script)
    return [(text[i : i + size] + "\r\n").encode("ascii") for i in range(0, len(text), size)]
