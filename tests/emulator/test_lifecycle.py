"""The Windows lifecycle timers (emulator.sa.lifecycle): deadlines on the scaled clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from emulator.profiles import load_profile
from emulator.sa.clock import WindowsClock
from emulator.sa.lifecycle import Due, Lifecycle

OPTIONS = load_profile("win10-22h2").options


def test_child_rekey_and_expiry_follow_the_scaled_clock() -> None:
    life = Lifecycle(OPTIONS, WindowsClock(600.0), behind_nat=False)
    start = life.child_created
    assert not life.due(start)
    rekey = start + 3526 / 600
    assert Due.CHILD_REKEY in life.due(rekey + 1e-6)
    assert Due.CHILD_EXPIRED not in life.due(rekey + 1e-6)
    assert Due.CHILD_EXPIRED in life.due(start + 3600 / 600 + 1e-6)


def test_a_rekey_renews_the_expiry_of_the_child_sa() -> None:
    life = Lifecycle(OPTIONS, WindowsClock(4656.0), behind_nat=False)
    late = life.child_created + 3600 / 4656 + 0.01  # both the rekey and the expiry are due
    assert {Due.CHILD_REKEY, Due.CHILD_EXPIRED} <= set(life.due(late))
    life.child_new(late)  # the rekey happened
    assert not life.is_due(Due.CHILD_EXPIRED, late)
    assert not life.is_due(Due.CHILD_REKEY, late)


def test_idle_check_moves_with_traffic_and_fires_after_the_idle_time() -> None:
    life = Lifecycle(OPTIONS, WindowsClock(100.0), behind_nat=False)
    start = life.child_created
    assert not life.idle_checked(last_traffic=start + 2.0, now=start + 3.0)
    assert life.is_due(Due.IDLE, start + 5.0 + 1e-6) and not life.is_due(Due.IDLE, start + 4.9)
    assert life.idle_checked(last_traffic=start + 2.0, now=start + 5.0)


def test_zero_means_never() -> None:
    options = replace(OPTIONS, child_rekey_after_s=0, ike_rekey_after_s=0, idle_child_delete_s=0)
    life = Lifecycle(options, WindowsClock(1.0), behind_nat=False)
    assert not life.is_due(Due.CHILD_REKEY, 1e12)
    assert not life.is_due(Due.IKE_REKEY, 1e12)
    assert not life.is_due(Due.IDLE, 1e12)


def test_keepalives_only_behind_a_nat() -> None:
    options = replace(OPTIONS, nat_keepalive_s=20.0)
    assert not Lifecycle(options, WindowsClock(1.0), behind_nat=False).is_due(Due.KEEPALIVE, 1e12)
    behind = Lifecycle(options, WindowsClock(1.0), behind_nat=True)
    assert behind.is_due(Due.KEEPALIVE, behind.child_created + 20.0)


def test_without_a_traffic_view_only_the_idle_timer_goes_off() -> None:
    life = Lifecycle(OPTIONS, WindowsClock(600.0), behind_nat=False)
    life.idle_off()
    assert not life.is_due(Due.IDLE, 1e12)
    assert life.is_due(Due.CHILD_REKEY, life.child_created + 3526 / 600 + 1e-6)


def test_an_outage_suspends_the_other_timers_for_the_outage_time() -> None:
    """Reference 6: without a network the IKE SA lives outage_time_s (1800 s Windows time)."""
    life = Lifecycle(OPTIONS, WindowsClock(600.0), behind_nat=False)
    start = life.child_created
    deadline = life.outage_began(start + 1.0)
    assert deadline == pytest.approx(start + 1.0 + 1800 / 600)
    assert life.in_outage and life.next_deadline() == deadline
    assert life.due(deadline - 0.01) == []
    longer = Lifecycle(replace(OPTIONS, outage_time_s=7200), WindowsClock(600.0), behind_nat=False)
    longer.outage_began(longer.child_created)
    late = longer.child_created + 3526 / 600 + 0.1  # the CHILD rekey would be due
    assert longer.due(late) == [] and not longer.is_due(Due.CHILD_REKEY, late)
    assert not life.is_due(Due.DPD, deadline - 0.01)
    assert life.outage_began(start + 2.0) == deadline  # a second loss keeps the first deadline
    assert life.due(deadline) == [Due.OUTAGE] and life.is_due(Due.OUTAGE, deadline)


def test_the_network_back_restarts_liveness_checks_and_releases_due_rekeys() -> None:
    life = Lifecycle(OPTIONS, WindowsClock(600.0), behind_nat=False)
    start = life.child_created
    life.outage_began(start)
    back = start + 3526 / 600 + 0.5
    life.outage_ended(back)
    assert not life.in_outage and not life.is_due(Due.OUTAGE, back + 100)
    assert Due.CHILD_REKEY in life.due(back)
    assert not life.is_due(Due.DPD, back) and life.is_due(Due.DPD, back + 9 / 600 + 1e-6)
