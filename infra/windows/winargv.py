"""Join arguments into one Windows command line that the C runtime splits back unchanged.

Native programs such as rasdial.exe and pktmon.exe receive a single command-line string and
split it with the Microsoft C runtime rules (the same as CommandLineToArgvW). Windows
PowerShell 5.1 does not escape embedded double quotes when it builds that string itself, so
a password containing `"` would reach rasdial split in the wrong place. winterop therefore
builds the command line here, in Python where it is unit-tested, and the script hands it to
`System.Diagnostics.ProcessStartInfo.Arguments` untouched. No shell (cmd.exe) is involved,
so `^`, `%`, `&` and `|` are ordinary characters.

Rules: Microsoft C runtime "Parsing C command-line arguments"
(learn.microsoft.com/cpp/c-language/parsing-c-command-line-arguments).
"""

from __future__ import annotations

from collections.abc import Sequence

_NEEDS_QUOTES = frozenset(' \t\n\v"')


def quote_windows_arg(arg: str) -> str:
    """Quote one argument so the C runtime parses it back to exactly `arg`."""
    if "\x00" in arg:
        raise ValueError("NUL characters cannot appear in a Windows command line")
    if arg and not any(ch in _NEEDS_QUOTES for ch in arg):
        return arg
    out = ['"']
    backslashes = 0
    for ch in arg:
        if ch == "\\":
            backslashes += 1
        elif ch == '"':
            # 2n+1 backslashes before a quote yield n backslashes and a literal quote.
            out.append("\\" * (2 * backslashes + 1) + '"')
            backslashes = 0
        else:
            out.append("\\" * backslashes + ch)
            backslashes = 0
    # Backslashes before the closing quote are doubled so they stay literal.
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def join_windows_args(args: Sequence[str]) -> str:
    """Join arguments (without the program name) into one command-line string."""
    if isinstance(args, str):
        raise TypeError("pass a sequence of arguments, not one string")
    return " ".join(quote_windows_arg(a) for a in args)
