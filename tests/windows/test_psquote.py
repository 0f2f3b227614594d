"""PowerShell literal rendering: every string round-trips through a single-quote lexer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.windows.psquote import (
    PS_SINGLE_QUOTES,
    PsQuoteError,
    ps_array,
    ps_bool,
    ps_int,
    ps_literal,
    ps_str,
)
from tests.windows.pslex import lex

TYPOGRAPHIC = "\u2018\u2019\u201a\u201b"
printable_no_nul = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
)
quote_heavy = st.text(alphabet=st.sampled_from(list("'a$`\"\n;#(){}") + list(TYPOGRAPHIC)))


def _one_literal(rendered: str) -> str:
    tokens = lex(rendered)
    assert [t.kind for t in tokens] == ["single"], tokens
    assert tokens[0].text == rendered
    return tokens[0].value


@given(printable_no_nul)
def test_any_string_round_trips_as_one_single_quoted_literal(value: str) -> None:
    assert _one_literal(ps_str(value)) == value


@given(quote_heavy)
def test_quote_heavy_strings_round_trip(value: str) -> None:
    assert _one_literal(ps_str(value)) == value


@pytest.mark.parametrize("quote", sorted(PS_SINGLE_QUOTES))
def test_every_powershell_single_quote_is_doubled(quote: str) -> None:
    assert ps_str(f"a{quote}b") == f"'a{quote}{quote}b'"
    assert _one_literal(ps_str(quote * 3)) == quote * 3


def test_typographic_quotes_are_the_four_powershell_knows() -> None:
    assert frozenset("'" + TYPOGRAPHIC) == PS_SINGLE_QUOTES


@pytest.mark.parametrize(
    "value",
    ["$(Stop-Computer)", "${env:PATH}", "`$x`n", '"x"', "a;b", "line\nbreak", "@'\nx\n'@"],
)
def test_expansion_syntax_stays_literal(value: str) -> None:
    rendered = ps_str(value)
    assert rendered.startswith("'") and rendered.endswith("'")
    assert '"' not in rendered[:1] + rendered[-1:]
    assert _one_literal(rendered) == value


def test_nul_is_rejected() -> None:
    with pytest.raises(PsQuoteError, match="NUL"):
        ps_str("a\x00b")


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(PsQuoteError, match="UTF-8"):
        ps_str("a\ud800b")


def test_non_string_is_rejected() -> None:
    with pytest.raises(PsQuoteError):
        ps_str(5)  # type: ignore[arg-type]


def test_integers_are_decimal_and_bounded() -> None:
    assert ps_int(0) == "0"
    assert ps_int(-17) == "-17"
    assert ps_int(4294967295, minimum=0, maximum=4294967295) == "4294967295"
    with pytest.raises(PsQuoteError, match="below"):
        ps_int(-1, minimum=0)
    with pytest.raises(PsQuoteError, match="above"):
        ps_int(10, maximum=9)


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", None])
def test_integers_refuse_bools_and_other_types(bad: object) -> None:
    with pytest.raises(PsQuoteError):
        ps_int(bad)  # type: ignore[arg-type]


def test_booleans() -> None:
    assert ps_bool(True) == "$true"
    assert ps_bool(False) == "$false"
    with pytest.raises(PsQuoteError):
        ps_bool(1)  # type: ignore[arg-type]


def test_arrays_keep_one_element_arrays_and_quote_each_item() -> None:
    assert ps_array(()) == "@()"
    assert ps_array(("x",)) == "@('x')"
    assert ps_array(["it's", 3, True, None]) == "@('it''s', 3, $true, $null)"
    with pytest.raises(PsQuoteError):
        ps_array("abc")


def test_literal_dispatch() -> None:
    assert ps_literal(None) == "$null"
    assert ps_literal(True) == "$true"
    assert ps_literal(7) == "7"
    assert ps_literal("a") == "'a'"
    assert ps_literal((1, 2)) == "@(1, 2)"
    with pytest.raises(PsQuoteError):
        ps_literal(1.5)  # type: ignore[arg-type]
