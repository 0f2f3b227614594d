"""Render Python values as PowerShell literals that cannot change the script around them.

Every value winterop sends to a Windows guest (profile names, server addresses, EAP
passwords, certificate blobs) reaches PowerShell through this module and nowhere else.
Strings become *single-quoted* literals, the only PowerShell string form without
expansion: no `$var`, no `$(...)`, no backtick escapes. The one character that ends such a
literal is a single quote, and PowerShell counts five code points as single quotes
(ASCII ' plus the typographic U+2018, U+2019, U+201A, U+201B); each is escaped by doubling
it. Double-quoted strings are never produced.

Reference: PowerShell language specification, section 2.3.5.2 (string literals), and
`about_Quoting_Rules` (MicrosoftDocs/PowerShell-Docs).
"""

from __future__ import annotations

from collections.abc import Sequence

# Characters PowerShell's tokenizer treats as a single quote (SpecialChars.IsSingleQuote).
PS_SINGLE_QUOTES: frozenset[str] = frozenset("'\u2018\u2019\u201a\u201b")

# The scalar types a literal can carry; arrays are tuples or lists of these.
PsScalar = str | int | bool | None
PsValue = PsScalar | tuple[PsScalar, ...] | list[PsScalar]


class PsQuoteError(ValueError):
    """A value cannot be rendered as a PowerShell literal without changing its meaning."""


def ps_str(value: str) -> str:
    """Return `value` as a PowerShell single-quoted string literal.

    NUL is rejected because Windows APIs truncate at it, so the guest would act on a
    different string than the one the test asked for. Lone surrogates are rejected because
    the script travels as UTF-8/UTF-16 and they would be replaced in transit.
    """
    if not isinstance(value, str):
        raise PsQuoteError(f"expected str, got {type(value).__name__}")
    if "\x00" in value:
        raise PsQuoteError("NUL characters cannot be passed to PowerShell")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PsQuoteError(f"string is not encodable as UTF-8: {exc.reason}") from None
    escaped = "".join(ch + ch if ch in PS_SINGLE_QUOTES else ch for ch in value)
    return "'" + escaped + "'"


def ps_int(value: int, *, minimum: int | None = None, maximum: int | None = None) -> str:
    """Return `value` as a decimal PowerShell integer literal, checked against bounds.

    `bool` is refused even though it is an `int` subclass: `True` rendered as `1` would hide
    a caller's mistake (a switch passed where a number was meant).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise PsQuoteError(f"expected int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise PsQuoteError(f"{value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise PsQuoteError(f"{value} is above the maximum {maximum}")
    return str(value)


def ps_bool(value: bool) -> str:
    """Return `$true` or `$false`; anything but a real bool is refused (no truthiness)."""
    if not isinstance(value, bool):
        raise PsQuoteError(f"expected bool, got {type(value).__name__}")
    return "$true" if value else "$false"


def ps_scalar(value: PsScalar) -> str:
    """Render one scalar: str, int, bool or None (`$null`)."""
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return ps_bool(value)
    if isinstance(value, int):
        return ps_int(value)
    if isinstance(value, str):
        return ps_str(value)
    raise PsQuoteError(f"unsupported value type {type(value).__name__}")


def ps_array(values: Sequence[PsScalar]) -> str:
    """Return `@(a, b, ...)`; `@(...)` keeps a one-element array an array in PowerShell."""
    if isinstance(values, str):
        raise PsQuoteError("a str is not an array; wrap it in a tuple")
    return "@(" + ", ".join(ps_scalar(v) for v in values) + ")"


def ps_literal(value: PsValue) -> str:
    """Render any supported value: scalars as themselves, tuples and lists as arrays."""
    if isinstance(value, tuple | list):
        return ps_array(value)
    return ps_scalar(value)
