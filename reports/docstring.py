"""A test's docstring split into summary, description and expectation (Autobahn's pair).

Suites write intent as: a one-line summary, free description paragraphs, and a paragraph
starting "Expectation:". The report shows them under their own headings, so a reader sees
what was tested and what would have counted as a pass before the verdict.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

_EXPECTATION = re.compile(r"^\s*Expectation\s*:\s*", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class DocText:
    summary: str
    description: str
    expectation: str


def split_docstring(doc: str | None) -> DocText:
    text = inspect.cleandoc(doc or "")
    if not text:
        return DocText("", "", "")
    head, _, rest = text.partition("\n")
    found = _EXPECTATION.search(rest)
    if found is None:
        return DocText(head.strip(), _paragraphs(rest), "")
    return DocText(
        head.strip(), _paragraphs(rest[: found.start()]), _paragraphs(rest[found.end() :])
    )


def _paragraphs(text: str) -> str:
    """Paragraphs separated by one blank line, each on one line (the template re-wraps)."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(b.split()) for b in blocks if b.strip())
