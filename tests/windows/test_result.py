"""parse_script_output: exactly one valid result document, or an error naming the script."""

from __future__ import annotations

import json

import pytest

from infra.windows.result import (
    ScriptError,
    ScriptFailedError,
    ScriptOutputError,
    ScriptResult,
    parse_script_output,
)
from infra.windows.script import Param, build_script

GOOD = '{"ok":true,"data":{"thumbprint":"AB12","n":[1,2]},"error":null}'
FAILED = (
    '{"ok":false,"data":null,"error":{"message":"Access is denied.",'
    '"category":"PermissionDenied","hresult":-2147024891}}'
)


def test_good_document() -> None:
    result = parse_script_output(GOOD, script="import-certificate")
    assert result == ScriptResult(
        script="import-certificate",
        ok=True,
        data={"thumbprint": "AB12", "n": [1, 2]},
        error=None,
    )
    assert result.unwrap() == {"thumbprint": "AB12", "n": [1, 2]}


def test_document_among_noise_lines() -> None:
    noise = "WARNING: something\r\n#< CLIXML\r\n{not json}\r\n" + GOOD + "\r\n\r\n"
    assert parse_script_output(noise).ok


def test_document_with_bom_and_padding() -> None:
    assert parse_script_output("\ufeff  " + GOOD + "  ").data == {
        "thumbprint": "AB12",
        "n": [1, 2],
    }


def test_escaped_non_ascii_is_decoded() -> None:
    doc = '{"ok":true,"data":"caf\\u00e9 \\ud83d\\ude00","error":null}'
    assert parse_script_output(doc).data == "caf\u00e9 \U0001f600"


def test_failure_document() -> None:
    result = parse_script_output(FAILED, script="import-pfx-user")
    assert not result.ok
    assert result.error == ScriptError("Access is denied.", "PermissionDenied", -2147024891)
    with pytest.raises(ScriptFailedError, match=r"import-pfx-user.*Access is denied") as info:
        result.unwrap()
    assert info.value.error.category == "PermissionDenied"


def test_missing_document_names_the_script() -> None:
    with pytest.raises(ScriptOutputError, match="'vpn-state' printed no result document"):
        parse_script_output("Connecting...\nsome text\n", script="vpn-state")


def test_empty_output() -> None:
    with pytest.raises(ScriptOutputError, match="no result document"):
        parse_script_output("", script="vpn-state")


def test_truncated_document() -> None:
    with pytest.raises(ScriptOutputError, match=r"'rasdial-connect'.*truncated"):
        parse_script_output(GOOD[:25], script="rasdial-connect")


def test_multiple_documents() -> None:
    with pytest.raises(ScriptOutputError, match="printed 2 result documents"):
        parse_script_output(GOOD + "\n" + FAILED, script="add-vpn-connection")


def test_document_plus_truncated_document_is_ambiguous() -> None:
    with pytest.raises(ScriptOutputError, match="2 result documents"):
        parse_script_output(GOOD + "\n" + GOOD[:20])


def test_two_documents_on_one_line_are_not_accepted() -> None:
    with pytest.raises(ScriptOutputError):
        parse_script_output(GOOD + GOOD)


def test_other_json_objects_are_not_documents() -> None:
    with pytest.raises(ScriptOutputError, match="no result document"):
        parse_script_output('{"ok":true,"data":1}\n{"status":"fine"}')


@pytest.mark.parametrize(
    "doc",
    [
        {"ok": "yes", "data": None, "error": None},
        {"ok": True, "data": None, "error": {"message": "x", "category": "y", "hresult": 1}},
        {"ok": False, "data": None, "error": None},
        {"ok": False, "data": None, "error": {"message": "x"}},
        {"ok": False, "data": None, "error": {"message": 1, "category": "y", "hresult": 1}},
        {"ok": False, "data": None, "error": {"message": "x", "category": "y", "hresult": "1"}},
        {"ok": False, "data": None, "error": {"message": "x", "category": "y", "hresult": True}},
    ],
)
def test_invalid_shapes(doc: dict[str, object]) -> None:
    with pytest.raises(ScriptOutputError, match="'s1'"):
        parse_script_output(json.dumps(doc, separators=(",", ":")), script="s1")


def test_null_hresult_is_allowed() -> None:
    doc = '{"ok":false,"data":null,"error":{"message":"m","category":"c","hresult":null}}'
    assert parse_script_output(doc).error == ScriptError("m", "c", None)


def test_psscript_parse_uses_its_name() -> None:
    script = build_script("demo-script", "{}", [Param("X", 1)], "$WinteropData = $X")
    with pytest.raises(ScriptOutputError, match="'demo-script'"):
        script.parse("nothing")
    assert script.parse(GOOD).script == "demo-script"
