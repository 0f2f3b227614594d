"""Invariants every generated script keeps, checked on every representative case.

These are the properties the transport and the parser rely on and that a golden diff might
not make obvious: values only in the value block, no expandable strings anywhere, one JSON
document, ASCII-only constant text, no parameter clobbered by the body, and a documentation
pointer for each cmdlet whose parameters carry meaning for the tests.
"""

from __future__ import annotations

import re

import pytest

from infra.windows.script import Param, build_script
from infra.windows.scripts import _dial_methods
from tests.windows.cases import CASES, LAB_PASSWORD
from tests.windows.pslex import lex, single_quoted_values, skeleton

VALUE_BLOCK_MARKER = "# Values from the harness; the rest of the script is constant text.\n"
_ASSIGNMENT = re.compile(r"^\$([A-Za-z][A-Za-z0-9]*) = (.*)$")
_SCALAR = re.compile(r"^(\$true|\$false|\$null|-?[0-9]+|'.*'|@\(.*\))$", re.DOTALL)
_CMDLET = re.compile(r"(?<![\w-])([A-Z][a-z]+-[A-Z][A-Za-z0-9]+)(?![\w-])")
# Generic plumbing cmdlets, documented in PowerShell-Docs Microsoft.PowerShell.Core /
# .Management / .Utility; the docs-comment rule covers cmdlets whose parameters the tests
# depend on.
PLUMBING = frozenset(
    {
        "ConvertFrom-Json",
        "ForEach-Object",
        "Get-ChildItem",
        "Get-Date",
        "Get-Item",
        "Get-Service",
        "Join-Path",
        "Move-Item",
        "New-Item",
        "New-TimeSpan",
        "Remove-Item",
        "Set-StrictMode",
        "Sort-Object",
        "Start-Sleep",
        "Test-Path",
        "Where-Object",
    }
)

case_names = sorted(CASES)


def _split(text: str) -> tuple[str, list[str], str]:
    """Header, value-block lines, rest."""
    head, _, rest = text.partition(VALUE_BLOCK_MARKER)
    assert rest, "value block marker missing"
    lines = rest.split("\n")
    values: list[str] = []
    # Value lines start with $Name = ; a multi-line literal continues until it lexes.
    i = 0
    while i < len(lines) and _ASSIGNMENT.match(lines[i]) and not lines[i].startswith("$Winterop"):
        chunk = lines[i]
        while True:
            try:
                lex(chunk)
                break
            except ValueError:
                i += 1
                chunk += "\n" + lines[i]
        values.append(chunk)
        i += 1
    return head, values, "\n".join(lines[i:])


@pytest.mark.parametrize("case", case_names)
def test_lexes_with_single_quoted_literals_only(case: str) -> None:
    script = CASES[case]()
    tokens = lex(script.text)
    assert not [t for t in tokens if t.kind == "double"], "double-quoted strings expand values"
    code = "".join(t.text for t in tokens if t.kind == "code")
    assert "`" not in code, "backtick escapes in code"


@pytest.mark.parametrize("case", case_names)
def test_value_block_holds_only_literals(case: str) -> None:
    _, values, rest = _split(CASES[case]().text)
    assert values, "no value block"
    for line in values:
        match = _ASSIGNMENT.match(line.split("\n")[0])
        assert match
        literal = line.split(" = ", 1)[1]
        assert _SCALAR.match(literal), line
    # No literal in the rest of the script is a harness value: the rest is constant text.
    assert rest.startswith(("function ", "$WinteropOk"))


@pytest.mark.parametrize("case", case_names)
def test_constant_text_is_ascii(case: str) -> None:
    _, _, rest = _split(CASES[case]().text)
    assert rest.isascii()


@pytest.mark.parametrize("case", case_names)
def test_prints_exactly_one_json_document(case: str) -> None:
    text = CASES[case]().text
    assert text.count("$WinteropJson = ConvertTo-Json -InputObject $WinteropDocument") == 1
    assert text.count("$null = . {") == 1
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    assert last == "[regex]::Replace($WinteropJson, '[^\\x00-\\x7F]', $WinteropEscape)"
    assert "$ErrorActionPreference = 'Stop'" in text.split("$WinteropOk = $false")[0]


@pytest.mark.parametrize("case", case_names)
def test_body_does_not_clobber_a_value(case: str) -> None:
    # PowerShell variable names are case-insensitive: `$since = ...` overwrites `$Since`.
    text = CASES[case]().text
    _, values, _ = _split(text)
    names = {line.split(" = ", 1)[0][1:].lower() for line in values}
    body = skeleton(text).split("$null = . {", 1)[1].split("$WinteropOk = $true", 1)[0]
    assigned = {m.lower() for m in re.findall(r"\$([A-Za-z]\w*)\s*(?:\+)?=(?!=)", body)}
    assert not names & assigned, f"body reassigns {sorted(names & assigned)}"


@pytest.mark.parametrize("case", case_names)
def test_each_meaningful_cmdlet_names_its_doc_page(case: str) -> None:
    tokens = lex(CASES[case]().text)
    code = "".join(t.text for t in tokens if t.kind == "code")
    comments = "\n".join(t.text for t in tokens if t.kind == "comment")
    defined = set(re.findall(r"function ([A-Za-z]+-[A-Za-z]+)", code))
    used = set(_CMDLET.findall(code)) - defined - PLUMBING
    missing = sorted(c for c in used if f"{c}.md" not in comments)
    assert not missing, f"cmdlets without a '# docs: ...{{cmdlet}}.md' comment: {missing}"


@pytest.mark.parametrize("case", case_names)
def test_log_text_has_the_same_structure_and_no_secret(case: str) -> None:
    script = CASES[case]()
    assert skeleton(script.log_text) == skeleton(script.text)
    assert LAB_PASSWORD not in script.log_text
    assert not any(LAB_PASSWORD in v for v in single_quoted_values(script.log_text))
    assert LAB_PASSWORD not in repr(script)


def test_secrets_are_present_in_the_runnable_text() -> None:
    script = CASES["rasdial-connect-eap-with-fallbacks"]()
    assert f"$Password = '{LAB_PASSWORD}'" in script.text
    assert "$Password = '<redacted>'" in script.log_text
    assert "$RasdialArguments = '<redacted>'" in script.log_text


def test_task_script_written_to_disk_is_ascii_and_lexes() -> None:
    # Windows PowerShell 5.1 reads a BOM-less .ps1 in the ANSI code page: keep it ASCII.
    task_script = _dial_methods._TASK_SCRIPT
    assert task_script.isascii()
    assert not [t for t in lex(task_script) if t.kind == "double"]


def test_build_script_rejects_bad_names_and_missing_data() -> None:
    with pytest.raises(ValueError, match="kebab-case"):
        build_script("Bad_Name", "{}", [], "$WinteropData = 1")
    with pytest.raises(ValueError, match="never assigns"):
        build_script("ok-name", "{}", [], "$x = 1")
    with pytest.raises(ValueError, match="duplicate"):
        build_script("ok-name", "{}", [Param("Ab", 1), Param("AB", 2)], "$WinteropData = 1")


@pytest.mark.parametrize("name", ["1abc", "a-b", "Input", "PSItem", "args", "WinteropData", ""])
def test_param_rejects_reserved_or_bad_variable_names(name: str) -> None:
    with pytest.raises(ValueError):
        Param(name, 1)
