"""VM slot leases: one xdist worker, one slot; flock'ed files; write-ahead records.

Real files and real processes: a second process holding a slot is a real Python process,
killed with SIGKILL to show that the kernel frees its slot and its record stays behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.windows.libvirt_pool.errors import LeaseUnavailable
from infra.windows.libvirt_pool.lease import acquire_slot, preferred_slot, stale_slots
from infra.windows.libvirt_pool.owner import Harness, VolumeRef
from tests.windows.libvirt.conftest import FakeClock
from tests.windows.libvirt.victim import spawn

URI = "test:///nowhere/node.xml"


def lease(
    tmp_path: Path,
    worker: str,
    *,
    capacity: int = 2,
    clock: FakeClock | None = None,
    timeout: float = 0,
):
    return acquire_slot(
        hypervisor="hv-test",
        uri=URI,
        capacity=capacity,
        run_id="r1",
        worker=worker,
        lease_dir=tmp_path,
        timeout=timeout,
        **({"clock": clock.clock} if clock else {}),
    )


@pytest.mark.parametrize(
    ("worker", "capacity", "slot"),
    [("gw0", 2, 0), ("gw1", 2, 1), ("gw5", 2, 1), ("gw3", 4, 3), ("main", 3, 0), ("gw12", 1, 0)],
)
def test_preferred_slot(worker: str, capacity: int, slot: int) -> None:
    assert preferred_slot(worker, capacity) == slot


def test_each_worker_gets_its_own_slot(tmp_path: Path) -> None:
    with lease(tmp_path, "gw1") as a, lease(tmp_path, "gw0") as b:
        assert (a.slot, b.slot) == (1, 0)
        assert a.lock_path == tmp_path / "hv-test" / "slot-1.lock"


def test_a_taken_preferred_slot_falls_back_to_a_free_one(tmp_path: Path) -> None:
    with lease(tmp_path, "gw0", capacity=3) as a, lease(tmp_path, "gw3", capacity=3) as b:
        assert (a.slot, b.slot) == (0, 1)


def test_full_hypervisor_times_out_naming_the_holders(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    with lease(tmp_path, "gw0") as a, lease(tmp_path, "gw1") as b:
        a.note(domain="wo-r1-gw0-s0-1")
        with pytest.raises(LeaseUnavailable) as err:
            lease(tmp_path, "gw2", clock=fake_clock, timeout=30)
        assert b.slot == 1
    me = Harness.current()
    assert str(err.value) == (
        f"all 2 VM slot(s) of hypervisor hv-test stayed taken for 30 s (slot 0: run r1 worker "
        f"gw0 (pid {me.pid} on {me.host}); slot 1: holder unknown); "
        f"lease dir {tmp_path / 'hv-test'}"
    )
    assert sum(fake_clock.sleeps) == 30


def test_release_frees_the_slot_and_removes_the_record(tmp_path: Path) -> None:
    first = lease(tmp_path, "gw0", capacity=1)
    first.note(domain="wo-r1-gw0-s0-1")
    assert first.record_path.exists()
    first.release()
    first.release()  # idempotent
    assert not first.record_path.exists()
    with lease(tmp_path, "gw0", capacity=1) as again:
        assert again.slot == 0 and again.predecessor is None


def test_record_is_written_ahead_and_trimmed(tmp_path: Path) -> None:
    refs = (
        VolumeRef("wo-images", "wo-r1-gw0-s0-1.qcow2"),
        VolumeRef("wo-images", "wo-r1-gw0-s0-1_VARS.fd"),
    )
    with lease(tmp_path, "gw0") as held:
        held.note(domain="wo-r1-gw0-s0-1", volumes=refs)
        doc = json.loads(held.record_path.read_text())
        assert doc["domains"] == ["wo-r1-gw0-s0-1"] and doc["uri"] == URI and doc["slot"] == 0
        assert doc["volumes"] == [
            ["wo-images", "wo-r1-gw0-s0-1.qcow2"],
            ["wo-images", "wo-r1-gw0-s0-1_VARS.fd"],
        ]
        held.forget(domain="wo-r1-gw0-s0-1", volumes=refs)
        doc = json.loads(held.record_path.read_text())
        assert doc["domains"] == [] and doc["volumes"] == []


def test_a_live_holder_in_another_process_keeps_its_slot(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    victim = spawn(URI, tmp_path)
    try:
        with pytest.raises(
            LeaseUnavailable, match=f"slot 0: run dead1 worker gw0 \\(pid {victim.pid} "
        ):
            lease(tmp_path, "gw0", capacity=1, clock=fake_clock, timeout=5)
        assert stale_slots(tmp_path / "hv-test") == []
    finally:
        victim.kill()


def test_a_killed_holder_frees_its_slot_and_leaves_its_record(tmp_path: Path) -> None:
    victim = spawn(URI, tmp_path)
    victim.kill()
    with lease(tmp_path, "gw0", capacity=1) as taken:
        record = taken.predecessor
        assert record is not None
        assert record.run_id == "dead1" and record.domains == [victim.domain]
        assert (record.harness.pid, record.harness.start_time) == (victim.pid, victim.start_time)
        assert not record.harness.alive()


def test_stale_slots_lists_only_dead_holders(tmp_path: Path) -> None:
    dead = spawn(URI, tmp_path, capacity=2, run_id="dead1")
    alive = spawn(URI, tmp_path, capacity=2, run_id="alive1")
    try:
        dead.kill()
        stale = stale_slots(tmp_path / "hv-test")
        assert [(s.slot, s.predecessor.run_id) for s in stale] == [(dead.slot, "dead1")]
        stale[0].release()
        assert not (tmp_path / "hv-test" / f"slot-{dead.slot}.json").exists()
    finally:
        alive.kill()
