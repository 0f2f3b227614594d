"""Windows command lines built for rasdial/pktmon split back into the same arguments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.windows.winargv import join_windows_args, quote_windows_arg
from tests.windows.argv import split_windows_args

args_strategy = st.lists(
    st.text(alphabet=st.sampled_from([*"ab \t\\\"'/*%^&|", "\u00e9", "\n"]), max_size=12),
    max_size=5,
)


@given(args_strategy)
def test_join_then_split_is_identity(args: list[str]) -> None:
    assert split_windows_args(join_windows_args(args)) == args


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("plain", "plain"),
        ("", '""'),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("C:\\dir\\", "C:\\dir\\"),
        ("C:\\my dir\\", '"C:\\my dir\\\\"'),
        ('a\\"b', '"a\\\\\\"b"'),
    ],
)
def test_quoting_examples(arg: str, quoted: str) -> None:
    assert quote_windows_arg(arg) == quoted
    assert split_windows_args(quoted) == [arg]


def test_nul_is_rejected() -> None:
    with pytest.raises(ValueError, match="NUL"):
        quote_windows_arg("a\x00")


def test_a_single_string_is_not_an_argument_list() -> None:
    with pytest.raises(TypeError):
        join_windows_args("rasdial")
