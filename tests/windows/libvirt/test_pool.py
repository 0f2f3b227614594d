"""The whole VM lifecycle on libvirt's TEST driver: lease, boot, use, discard, release.

Exercised for real on the TEST driver: overlay and VARS volumes, transient domain with
owner tag, the AUTODESTROY fallback (the TEST driver refuses that flag), management and
test NIC addresses, clock resync, snapshot checkpoint/restore, screenshot evidence and
clean-up. Not available there: the guest agent's build check (virDomainGetGuestInfo),
so boots pass verify_build=False except in the test that shows the classified failure
and the clean-up it triggers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from infra.lab.topology import TopologyKind
from infra.windows.libvirt_pool.config import HypervisorConfig
from infra.windows.libvirt_pool.errors import (
    DomainGone,
    GuestAgentUnavailable,
    ImageExpired,
    MissingResource,
    WaitTimeout,
)
from infra.windows.libvirt_pool.pool import WorkerVmSlot
from infra.windows.libvirt_pool.readiness import GuestEndpoint, ProbeResult
from infra.windows.libvirt_pool.reaper import read_owner
from tests.windows.libvirt.conftest import FakeClock
from tests.windows.libvirt.node import GOLDEN_VOLUMES, POOL

GOLDEN = {v.name for v in GOLDEN_VOLUMES}


def acquire(config: HypervisorConfig, worker: str = "gw0", **kwargs: object) -> WorkerVmSlot:
    return WorkerVmSlot.acquire(config, run_id="r1", worker=worker, **kwargs)


def volumes(slot: WorkerVmSlot) -> set[str]:
    return set(slot.hv.storage_pool(POOL).volume_names())


def record(slot: WorkerVmSlot) -> dict[str, object]:
    return json.loads(slot.lease.record_path.read_text())


def test_boot_and_discard_a_windows_10_vm(config: HypervisorConfig, fake_clock: FakeClock) -> None:
    probes: list[GuestEndpoint] = []

    def probe(endpoint: GuestEndpoint) -> ProbeResult:
        probes.append(endpoint)
        return ProbeResult(len(probes) >= 2, f"attempt {len(probes)}")

    with acquire(config) as slot:
        vm = slot.boot(
            "win10-22h2", TopologyKind.NAT, probe=probe, verify_build=False, clock=fake_clock.clock
        )
        assert vm.name.domain == "wo-r1-gw0-s0-1"
        assert vm.endpoint.host.startswith("198.18.250.") and probes[-1] == vm.endpoint
        assert vm.test_network == "wo-nat"
        assert str(vm.test_addresses(clock=fake_clock.clock).first(4).ip).startswith("198.51.100.")
        domain = slot.hv.domain("wo-r1-gw0-s0-1")
        assert domain.is_active() and not domain.is_persistent()
        tag = read_owner(domain)
        assert tag is not None and (tag.run_id, tag.worker, tag.slot, tag.profile) == (
            "r1",
            "gw0",
            0,
            "win10-22h2",
        )
        assert tag.volumes == vm.overlay.refs
        assert volumes(slot) == GOLDEN | {"wo-r1-gw0-s0-1.qcow2"}
        assert record(slot)["domains"] == ["wo-r1-gw0-s0-1"]
        timeline = "\n".join(vm.timeline)
        assert "AUTODESTROY refused" in timeline and "clock resynced" in timeline
        assert "ready: attempt 2" in timeline

        slot.discard(vm)

        assert slot.hv.find_domain("wo-r1-gw0-s0-1") is None
        assert volumes(slot) == GOLDEN
        assert record(slot)["domains"] == [] and record(slot)["volumes"] == []
        assert slot.live == []
    assert not slot.lease.record_path.exists()


def test_windows_11_gets_uefi_vars_and_tpm(config: HypervisorConfig, fake_clock: FakeClock) -> None:
    with acquire(config, "gw1") as slot:
        vm = slot.boot(
            "win11-23h2", TopologyKind.DIRECT, verify_build=False, clock=fake_clock.clock
        )
        assert slot.lease.slot == 1 and vm.name.domain == "wo-r1-gw1-s1-1"
        xml = vm.domain.xml()
        assert "<tpm model='tpm-crb'>" in xml and "secure='yes'" in xml
        assert "/var/lib/winterop/images/wo-r1-gw1-s1-1_VARS.fd</nvram>" in xml
        assert volumes(slot) == GOLDEN | {"wo-r1-gw1-s1-1.qcow2", "wo-r1-gw1-s1-1_VARS.fd"}
        slot.discard(vm)
        assert volumes(slot) == GOLDEN


def test_successive_vms_get_new_names(config: HypervisorConfig, fake_clock: FakeClock) -> None:
    with acquire(config) as slot:
        first = slot.boot(
            "win10-22h2", TopologyKind.DIRECT, verify_build=False, clock=fake_clock.clock
        )
        slot.discard(first)
        second = slot.boot(
            "win10-22h2", TopologyKind.DIRECT, verify_build=False, clock=fake_clock.clock
        )
        assert (first.name.domain, second.name.domain) == ("wo-r1-gw0-s0-1", "wo-r1-gw0-s0-2")
        assert any("AUTODESTROY refused" in line for line in first.timeline)
        assert not any("AUTODESTROY" in line for line in second.timeline)  # asked once
        slot.discard(second)


def test_module_scope_reuse_by_snapshot(config: HypervisorConfig, fake_clock: FakeClock) -> None:
    with acquire(config) as slot:
        vm = slot.boot("win10-22h2", TopologyKind.NAT, verify_build=False, clock=fake_clock.clock)
        vm.checkpoint()
        assert vm.domain.snapshot_names() == ["winterop-clean"]
        sync = vm.restore()
        assert vm.domain.state() == (1, 4)  # RUNNING, FROM_SNAPSHOT
        assert vm.domain.get_time() == sync.set_to
        slot.discard(vm)


def test_failed_boot_saves_evidence_and_leaves_nothing(
    config: HypervisorConfig, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """verify_build needs the guest agent (virDomainGetGuestInfo), which the TEST driver
    lacks: the boot fails with the classified message, after saving evidence."""
    evidence = tmp_path / "evidence" / "test_x"
    with acquire(config) as slot:
        with pytest.raises(
            GuestAgentUnavailable, match=r"^guest agent not available in the test driver"
        ):
            slot.boot("win10-22h2", TopologyKind.NAT, evidence_dir=evidence, clock=fake_clock.clock)
        assert slot.hv.find_domain("wo-r1-gw0-s0-1") is None
        assert volumes(slot) == GOLDEN
        assert record(slot)["domains"] == [] and record(slot)["volumes"] == []
    names = {p.name for p in evidence.iterdir()}
    assert {"vm-screenshot.png", "vm-domain.xml", "vm-state.json", "vm-timeline.log"} <= names
    assert "management NIC" in (evidence / "vm-timeline.log").read_text()


def test_readiness_timeout_discards_the_vm(config: HypervisorConfig, fake_clock: FakeClock) -> None:
    with acquire(config) as slot:
        with pytest.raises(
            WaitTimeout, match=r"not ready within 60 s after .* last: IKEEXT=Stopped"
        ):
            slot.boot(
                "win10-22h2",
                TopologyKind.NAT,
                probe=lambda _e: ProbeResult(False, "IKEEXT=Stopped"),
                verify_build=False,
                ready_timeout=60,
                clock=fake_clock.clock,
            )
        assert slot.hv.domains() == [] and volumes(slot) == GOLDEN


def test_expired_image_is_refused_before_anything_exists(config: HypervisorConfig) -> None:
    later = dt.date.today() + dt.timedelta(days=81)
    with acquire(config, today=lambda: later) as slot:
        with pytest.raises(
            ImageExpired, match=r"is 81 days old, over its 80-day limit: rebuild it"
        ):
            slot.boot("win10-22h2", TopologyKind.NAT)
        assert slot.hv.domains() == [] and volumes(slot) == GOLDEN


def test_unknown_profile_and_topology(config: HypervisorConfig) -> None:
    with (
        acquire(config) as slot,
        pytest.raises(MissingResource, match="no golden image for profile 'win7'"),
    ):
        slot.boot("win7", TopologyKind.NAT)
    no_nat = dataclasses.replace(
        config,
        networks=dataclasses.replace(
            config.networks, topologies={TopologyKind.DIRECT: "wo-direct"}
        ),
    )
    with acquire(no_nat) as slot, pytest.raises(MissingResource, match="topology 'nat'"):
        slot.boot("win10-22h2", TopologyKind.NAT)


def test_missing_network_fails_at_acquire_and_frees_the_slot(config: HypervisorConfig) -> None:
    broken = dataclasses.replace(
        config, networks=dataclasses.replace(config.networks, management="wo-absent")
    )
    with pytest.raises(MissingResource, match="'wo-absent' is not defined"):
        acquire(broken)
    with acquire(config) as slot:  # the slot was given back
        assert slot.lease.slot == 0


def test_release_discards_vms_still_alive(config: HypervisorConfig, fake_clock: FakeClock) -> None:
    slot = acquire(config)
    vm = slot.boot("win10-22h2", TopologyKind.NAT, verify_build=False, clock=fake_clock.clock)
    pool = slot.hv.storage_pool(POOL)  # libvirt objects keep the closed connection alive
    assert "wo-r1-gw0-s0-1.qcow2" in pool.volume_names()
    slot.release()
    assert slot.live == [] and not slot.lease.record_path.exists()
    assert set(pool.volume_names()) == GOLDEN
    with pytest.raises(DomainGone):
        vm.domain.is_active()
