"""A test double for the transport boundary only: replays recorded result documents.

The windows client is tested without a VM by giving it this object instead of a real
transport. It answers each script with the next JSON document recorded for that script's
name (tests/windows/recordings/client/*.json, written by hand in the shape each script's
`expects` declares) and keeps every script it was asked to run, in order, so tests check
both what the client asked for and how it read the answers. Everything above the
transport (script builders, result parsing, rasdial parsing, outcome mapping) is real.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from pathlib import Path

from infra.windows.script import PsScript
from infra.windows.transports.base import TransportResult

CLIENT_RECORDINGS = Path(__file__).resolve().parent / "recordings" / "client"


def load_documents(name: str, **values: str) -> dict[str, list[object]]:
    """A recording file: script name -> documents in order; `${x}` filled from VALUES."""
    text = (CLIENT_RECORDINGS / f"{name}.json").read_text()
    return dict(json.loads(string.Template(text).safe_substitute(values)))


class ReplayTransport:
    """Transport test double: replays recorded documents keyed by script name."""

    def __init__(self, documents: Mapping[str, list[object]], *, name: str = "replay") -> None:
        self.name = name
        self.target = f"{name}.invalid:0"
        self._documents = {k: list(v) for k, v in documents.items()}
        self.requested: list[PsScript] = []
        self.timeouts: list[float] = []
        self.closed = 0

    def run(self, script: PsScript, timeout: float) -> TransportResult:
        self.requested.append(script)
        self.timeouts.append(timeout)
        queue = self._documents.get(script.name)
        if not queue:
            raise AssertionError(f"no recorded document left for script {script.name!r}")
        document = queue.pop(0)
        return TransportResult(
            script=script.name,
            transport=self.name,
            stdout=json.dumps(document, separators=(",", ":")) + "\r\n",
            stderr="",
            errors=(),
            exit_code=0,
            duration=0.01,
        )

    def close(self) -> None:
        self.closed += 1

    def names(self) -> list[str]:
        return [s.name for s in self.requested]

    def unused(self) -> dict[str, int]:
        return {k: len(v) for k, v in self._documents.items() if v}


def value_block(script: PsScript) -> dict[str, object]:
    """The `$Name = literal` assignments of a script's value block (strings, ints, bools,
    $null and arrays of those), read back from the text the transport would send."""
    text = script.text
    start = text.index("\n", text.index("# Values from the harness")) + 1
    values: dict[str, object] = {}
    pos = start
    assignment = re.compile(r"\$([A-Za-z0-9]+) = ")
    while (match := assignment.match(text, pos)) is not None:
        value, pos = _literal(text, match.end())
        values[match.group(1)] = value
        pos = text.index("\n", pos) + 1
    return values


def _literal(text: str, pos: int) -> tuple[object, int]:
    if text.startswith("'", pos):
        end = pos + 1
        while True:
            end = text.index("'", end)
            if text.startswith("''", end):
                end += 2
                continue
            return text[pos + 1 : end].replace("''", "'"), end + 1
    if text.startswith("@(", pos):
        items: list[object] = []
        pos += 2
        while not text.startswith(")", pos):
            item, pos = _literal(text, pos)
            items.append(item)
            if text.startswith(", ", pos):
                pos += 2
        return items, pos + 1
    word = re.compile(r"\$true|\$false|\$null|-?[0-9]+").match(text, pos)
    assert word is not None, text[pos : pos + 40]
    token = word.group(0)
    value: object = {"$true": True, "$false": False, "$null": None}.get(token)
    if token not in ("$true", "$false", "$null"):
        value = int(token)
    return value, word.end()
