"""infra.lab.faults: the deterministic drop pattern and its nftables rule."""

from __future__ import annotations

import pytest

from infra.lab.faults import DropPattern


def test_pattern_describes_its_loss_and_writes_one_rule() -> None:
    pattern = DropPattern(10, frozenset({7, 1, 4}))
    assert pattern.loss == pytest.approx(0.3)
    assert "30 %" not in pattern.describe() and "30%" in pattern.describe()
    rules = pattern.ruleset()
    assert "numgen inc mod 10 { 1, 4, 7 } counter drop" in rules
    assert "udp dport { 500, 4500 }" in rules and "hook input" in rules


@pytest.mark.parametrize(
    ("modulus", "dropped"), [(1, {0}), (10, set()), (10, {10}), (3, {0, 1, 2})]
)
def test_invalid_patterns_are_refused(modulus: int, dropped: set[int]) -> None:
    with pytest.raises(ValueError):
        DropPattern(modulus, frozenset(dropped))
