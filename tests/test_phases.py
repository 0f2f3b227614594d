"""Phase timing: the clock sums per name, and the bench reads the phases of records."""

from __future__ import annotations

import dataclasses

from bench.bench_phases import OTHER, phase_sums, table
from infra.phases import PhaseClock
from reports.loader import load_result_set
from tests.reports.conftest import CURRENT


def test_phases_accumulate_in_first_run_order_and_merge() -> None:
    clock = PhaseClock()
    with clock.phase("connect"):
        pass
    clock.add("decode", 0.5)
    clock.add("connect", 0.25)
    assert list(clock.seconds) == ["connect", "decode"] and clock.seconds["connect"] >= 0.25
    other = PhaseClock()
    other.add("decode", 0.5)
    assert clock.merged(other).seconds["decode"] == 1.0


def test_the_bench_splits_each_record_into_phases_and_the_rest() -> None:
    records = [item.record for item in load_result_set(CURRENT).records]
    # Records long enough to hold the invented phases (the rest is clamped at 0 otherwise).
    ran = [r for r in records if r.outcome.value != "skipped" and r.durations.total > 0.15]
    timed = [dataclasses.replace(r, phases={"decode": 0.1, "connect": 0.05}) for r in ran]
    per_phase, total = phase_sums(timed)
    assert len(per_phase["decode"]) == len(ran)
    assert abs(sum(map(sum, per_phase.values())) - total) < 1e-6
    assert OTHER in per_phase and "vs base" in table(timed, timed)
