"""Find, validate and type the one JSON document a winterop PowerShell script prints.

Every script built by `infra.windows.script.build_script` ends by printing exactly one line
`{"ok": bool, "data": ..., "error": {...} | null}`. Transports may add noise around it
(warnings on SSH, banners, CLIXML fragments), so the parser looks for the line rather than
assuming the whole output is JSON, and it refuses ambiguous output: no document, a truncated
document (the transport dropped the tail) and two documents (two scripts' output mixed) are
all errors that name the script, because silently picking one would grade a test on the
wrong evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

_DOCUMENT_KEYS = frozenset({"ok", "data", "error"})
_ERROR_KEYS = frozenset({"message", "category", "hresult"})
_DOCUMENT_PREFIX = '{"ok":'
_PREVIEW = 300


class ScriptOutputError(Exception):
    """The output of a script holds no usable result document (missing, truncated, several)."""


@dataclass(frozen=True)
class ScriptError:
    """The PowerShell error that stopped a script: message, ErrorCategory name, HResult."""

    message: str
    category: str
    hresult: int | None


class ScriptFailedError(Exception):
    """A script ran and reported `ok: false`; carries the script name and its error."""

    def __init__(self, script: str, error: ScriptError) -> None:
        super().__init__(
            f"script {script!r} failed: {error.message} "
            f"(category {error.category}, hresult {error.hresult})"
        )
        self.script = script
        self.error = error


@dataclass(frozen=True)
class ScriptResult:
    """The validated result document of one script run."""

    script: str
    ok: bool
    data: JsonValue
    error: ScriptError | None

    def unwrap(self) -> JsonValue:
        """Return `data`, raising `ScriptFailedError` when the script reported a failure."""
        if not self.ok:
            assert self.error is not None  # guaranteed by parse_script_output
            raise ScriptFailedError(self.script, self.error)
        return self.data


def _preview(text: str) -> str:
    text = text.strip()
    if len(text) <= _PREVIEW:
        return repr(text)
    return repr(text[: _PREVIEW // 2]) + " ... " + repr(text[-_PREVIEW // 2 :])


def _parse_error(script: str, raw: Any) -> ScriptError:
    if not isinstance(raw, dict) or set(raw) != _ERROR_KEYS:
        raise ScriptOutputError(
            f"script {script!r}: 'error' must be an object with keys "
            f"{sorted(_ERROR_KEYS)}, got {raw!r}"
        )
    message, category, hresult = raw["message"], raw["category"], raw["hresult"]
    if not isinstance(message, str) or not isinstance(category, str):
        raise ScriptOutputError(f"script {script!r}: error message/category must be strings")
    if hresult is not None and (isinstance(hresult, bool) or not isinstance(hresult, int)):
        raise ScriptOutputError(f"script {script!r}: error hresult must be an integer or null")
    return ScriptError(message=message, category=category, hresult=hresult)


def _validate(script: str, doc: dict[str, Any]) -> ScriptResult:
    ok = doc["ok"]
    if not isinstance(ok, bool):
        raise ScriptOutputError(f"script {script!r}: 'ok' must be a boolean, got {ok!r}")
    raw_error = doc["error"]
    if ok and raw_error is not None:
        raise ScriptOutputError(f"script {script!r}: 'ok' is true but 'error' is set")
    if not ok and raw_error is None:
        raise ScriptOutputError(f"script {script!r}: 'ok' is false but 'error' is null")
    error = None if raw_error is None else _parse_error(script, raw_error)
    return ScriptResult(script=script, ok=ok, data=doc["data"], error=error)


def parse_script_output(stdout: str, *, script: str = "<unnamed script>") -> ScriptResult:
    """Return the single result document in `stdout` as a `ScriptResult`.

    `script` is the `PsScript.name`, used in every error message. Lines that are not the
    document are ignored; a line that starts like the document but does not parse is
    reported as truncated. Raises `ScriptOutputError` for anything but exactly one valid
    document.
    """
    documents: list[dict[str, Any]] = []
    broken: list[str] = []
    for line in stdout.splitlines():
        candidate = line.strip().lstrip("\ufeff").strip()
        if not candidate.startswith("{"):
            continue
        try:
            parsed = json.loads(candidate)
        except json.JSONDecodeError as exc:
            if candidate.replace(" ", "").startswith(_DOCUMENT_PREFIX):
                broken.append(f"{exc.msg} at column {exc.colno}")
            continue
        if isinstance(parsed, dict) and set(parsed) == _DOCUMENT_KEYS:
            documents.append(parsed)
    if len(documents) + len(broken) > 1:
        raise ScriptOutputError(
            f"script {script!r} printed {len(documents) + len(broken)} result documents "
            f"({len(broken)} of them unparsable), expected one: {_preview(stdout)}"
        )
    if not documents:
        if broken:
            raise ScriptOutputError(
                f"script {script!r}: result document is truncated or malformed "
                f"({broken[0]}): {_preview(stdout)}"
            )
        raise ScriptOutputError(f"script {script!r} printed no result document: {_preview(stdout)}")
    return _validate(script, documents[0])
