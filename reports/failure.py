"""A failed cell explained: expected vs observed, the frames involved, what Windows said.

The suites word every failure as "expected X; observed Y" and name frames ("in frame 14",
"frame 5: IKE_AUTH response ..."), so the explanation is recovered from the message rather
than from a second channel; a message that does not follow the convention is shown whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reports.schema import Record

_SPLIT = re.compile(r";\s*(?:observed|saw|it does)\b:?\s*", re.IGNORECASE)
_EXCEPTION_NAME = re.compile(r"^[A-Za-z_][\w.]*: (?=expected\b)")
"""A message's exception class ("expectations.IdealNotMet: expected ..."), dropped when the
words after it follow the suites' convention."""
_FRAME = re.compile(r"\bframes?\s+\[?(\d+(?:\s*,\s*\d+)*)")


@dataclass(frozen=True)
class Explanation:
    expected: str
    observed: str
    message: str
    frames: tuple[int, ...]
    windows: str


def explain(record: Record) -> Explanation | None:
    """None for outcomes that need no explanation (passed, skipped, xfailed...)."""
    if not record.outcome.bad and not record.message:
        return None
    message = _EXCEPTION_NAME.sub("", record.message or record.reason)
    expected, observed = "", ""
    parts = _SPLIT.split(message, maxsplit=1)
    if len(parts) == 2 and parts[0].lower().startswith("expected"):
        expected = parts[0][len("expected") :].strip()
        observed = parts[1].strip()
    windows = ""
    if record.windows is not None and record.windows.error is not None:
        w = record.windows
        windows = f"{w.error} {w.symbol}: {w.text}"
    return Explanation(expected, observed, message, frames_in(message), windows)


def frames_in(text: str) -> tuple[int, ...]:
    """Frame numbers a message points at, in order, each once."""
    found: dict[int, None] = {}
    for match in _FRAME.finditer(text):
        for number in re.findall(r"\d+", match.group(1)):
            found.setdefault(int(number))
    return tuple(found)
