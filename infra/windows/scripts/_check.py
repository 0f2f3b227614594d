"""Argument checks shared by the script builders.

A builder rejects a value in Python, with a message naming the parameter and the accepted
values, rather than letting the guest fail later with a localised PowerShell error that a
test would have to scrape. Quoting (infra.windows.psquote) makes any string *safe*; these
checks make values *meaningful*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

RAS_MAX_ENTRY_NAME = 256  # RAS_MaxEntryName in ras.h
_THUMBPRINT_RE = re.compile(r"^[0-9A-Fa-f]{40}$")
_OID_RE = re.compile(r"^[0-2](?:\.(?:0|[1-9][0-9]*))+$")


def choice(what: str, value: str, allowed: Iterable[str]) -> str:
    """Return `value` if it is one of `allowed` (exact spelling, as the docs list them)."""
    options = tuple(allowed)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{what} must be one of {', '.join(options)}; got {value!r}")
    return value


def text(what: str, value: str, *, max_len: int | None = None, single_line: bool = False) -> str:
    """Return a non-empty string, optionally bounded and free of control characters."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{what} must not be empty")
    if max_len is not None and len(value) > max_len:
        raise ValueError(f"{what} is longer than {max_len} characters")
    if single_line and any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError(f"{what} must not contain control characters (newline, tab, ...)")
    return value


def profile_name(value: str) -> str:
    """Check a VPN profile (phone-book entry) name.

    The phone book (rasphone.pbk) is an INI file whose section headers are entry names, so
    control characters are refused; a leading `/` would read as a rasdial switch.
    """
    text("VPN profile name", value, max_len=RAS_MAX_ENTRY_NAME, single_line=True)
    if value.startswith("/"):
        raise ValueError("VPN profile name must not start with '/' (rasdial reads it as a switch)")
    if value != value.strip():
        raise ValueError("VPN profile name must not start or end with whitespace")
    return value


def thumbprint(value: str) -> str:
    """Return a SHA-1 certificate thumbprint (40 hex digits) in the upper case Windows uses."""
    if not isinstance(value, str) or not _THUMBPRINT_RE.match(value):
        raise ValueError(f"a certificate thumbprint is 40 hex digits; got {value!r}")
    return value.upper()


def oid(value: str) -> str:
    """Return a dotted object identifier such as 1.3.6.1.5.5.7.3.2."""
    if not isinstance(value, str) or not _OID_RE.match(value):
        raise ValueError(f"expected a dotted OID such as 1.3.6.1.5.5.7.3.2; got {value!r}")
    return value


def integer(what: str, value: int, minimum: int, maximum: int) -> int:
    """Return an int (not a bool) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{what} must be between {minimum} and {maximum}; got {value}")
    return value


def flag(what: str, value: bool) -> bool:
    """Return a real bool; truthy stand-ins (1, 'yes') are refused."""
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be a bool, got {type(value).__name__}")
    return value
