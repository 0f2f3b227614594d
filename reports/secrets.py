"""Finding and removing secrets before anything is published.

DESIGN.md: EAP passwords, private keys and WinRM credentials never appear in reports or logs
beyond the per-test key table that exists to decrypt captures. Two lines of defence use this
module: the pytest plugin, which knows the run's EAP passwords, removes them from the evidence
and the record when a test ends (`scrub`); the report builder, which knows no password, refuses
to publish a file in which `findings` sees a private key or a credential-shaped assignment.

What is deliberately not a finding: IKE SA keys (the ikev2_decryption_table rows, and the
"Sk_ei secret => ..." dumps in charon's log they are derived from). They are generated per
test, protect nothing but a throwaway lab connection, and are what makes a pcap readable.
"""

from __future__ import annotations

import re
from pathlib import Path

REDACTED = "<redacted>"

_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    # (name, lower-case words one of which must be in the text, pattern): the words spare
    # the regular expressions most of the megabytes of logs a site holds.
    ("PEM private key", ("private key",), re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    (
        "PuTTY/OpenSSH private key",
        ("putty", "openssh"),
        re.compile(r"PuTTY-User-Key-File|OPENSSH PRIVATE KEY"),
    ),
    (
        "credential assignment",
        ("pass", "pwd", "credential"),
        re.compile(
            r"""(?ix)
            \b(password|passwd|pwd|winrm_password|ansible_password|credential)s?
            ["']?\s*(?:[:=](?!>)|\bis\b)\s*["']?(?!<redacted>|<hidden>|\*)[^\s"',;)}]{4,}
            """
        ),
    ),
    (
        "HTTP authorization header",
        ("authorization",),
        re.compile(r"(?i)\bAuthorization:\s*(Basic|Negotiate|NTLM)\s"),
    ),
    (
        "PowerShell plain-text secure string",
        ("securestring",),
        re.compile(r"(?i)ConvertTo-SecureString\s+\S+"),
    ),
)


def findings(text: str, literals: tuple[str, ...] = ()) -> list[str]:
    """What in TEXT looks like a secret: names of the patterns found, and of LITERALS found."""
    lower = text.lower()
    found = [
        name
        for name, hints, pattern in _PATTERNS
        if any(h in lower for h in hints) and pattern.search(text)
    ]
    found += [f"secret literal #{i}" for i, s in enumerate(literals, 1) if s and s in text]
    return found


def scrub(text: str, literals: tuple[str, ...]) -> str:
    """TEXT with every occurrence of each literal secret replaced by REDACTED."""
    for secret in sorted((s for s in literals if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def scrub_file(path: Path, literals: tuple[str, ...]) -> bool:
    """Scrub a text file in place; True when something was removed. Binary files (a pcap)
    are only checked: they cannot be edited without breaking them, so the caller is told."""
    data = path.read_bytes()
    needles = [s.encode() for s in literals if s]
    if not any(n in data for n in needles):
        return False
    text = data.decode("utf-8", errors="surrogateescape")
    if "\x00" in text[:4096]:
        raise SecretInBinary(path)
    path.write_bytes(scrub(text, literals).encode("utf-8", errors="surrogateescape"))
    return True


class SecretInBinary(RuntimeError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path.name} contains a secret and is binary; it was not scrubbed")
        self.path = path
