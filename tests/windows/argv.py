"""The Microsoft C runtime's command-line splitting, re-implemented for tests.

Used to check that infra.windows.winargv produces command lines that split back into the
original arguments. Rules from "Parsing C command-line arguments" (learn.microsoft.com/cpp/
c-language/parsing-c-command-line-arguments), for arguments after the program name:

* space and tab separate arguments outside double quotes;
* 2n backslashes before `"` give n backslashes and the quote toggles quoting;
* 2n+1 backslashes before `"` give n backslashes and a literal `"`;
* backslashes not before `"` are literal;
* inside quotes, `""` gives a literal `"` (the post-2008 runtime behaviour).
"""

from __future__ import annotations


def split_windows_args(cmdline: str) -> list[str]:
    args: list[str] = []
    i = 0
    n = len(cmdline)
    while True:
        while i < n and cmdline[i] in " \t":
            i += 1
        if i >= n:
            return args
        current: list[str] = []
        quoted = False
        while i < n and (quoted or cmdline[i] not in " \t"):
            ch = cmdline[i]
            if ch == "\\":
                start = i
                while i < n and cmdline[i] == "\\":
                    i += 1
                count = i - start
                if i < n and cmdline[i] == '"':
                    current.append("\\" * (count // 2))
                    if count % 2:
                        current.append('"')
                        i += 1
                else:
                    current.append("\\" * count)
                continue
            if ch == '"':
                if quoted and i + 1 < n and cmdline[i + 1] == '"':
                    current.append('"')
                    i += 2
                    continue
                quoted = not quoted
                i += 1
                continue
            current.append(ch)
            i += 1
        args.append("".join(current))
