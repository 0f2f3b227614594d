"""Inventory -> LibvirtVmProvider -> a transient domain on libvirt's TEST driver -> a client.

Real: the inventory file (tests/windows/inventories/pool-test-driver.yaml.tmpl), its mapping
onto the pool, slot leases, overlays, domains, address discovery, snapshots and clean-up
on a TEST-driver node file private to each test. The double: the transport boundary
(ReplayOpener / ReplayTransport answer the readiness probe and the log collection).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from infra.clients.windows_factory import (
    StaticFirstVmProvider,
    WindowsClientFactory,
    default_provider,
    make_factory,
    windows_client_factory,
)
from infra.clients.windows_pool import (
    LeaseState,
    LibvirtLease,
    LibvirtVmProvider,
    PooledVmClient,
    run_id_from_lab,
)
from infra.clients.windows_provider import NoVmAvailable
from infra.clients.windows_static import StaticVmProvider
from infra.lab.topology import TopologyKind
from infra.windows.inventory import Inventory, StaticVm
from infra.windows.libvirt_pool.errors import DomainGone
from infra.windows.libvirt_pool.lease import acquire_slot
from infra.windows.libvirt_pool.pool import WorkerVmSlot
from infra.windows.libvirt_pool.reaper import read_owner
from infra.windows.libvirt_pool.virt import StoragePool
from infra.windows.transports import CredentialError
from tests.windows.libvirt.conftest import FakeClock
from tests.windows.libvirt.node import GOLDEN_VOLUMES, POOL, default_networks, write_node
from tests.windows.libvirt.pool_inventory import (
    DAY_AFTER_BUILD,
    ENV,
    FakeLab,
    ReplayOpener,
    cell,
    pool_inventory,
    write_inventory,
)

GOLDEN = {v.name for v in GOLDEN_VOLUMES}


@pytest.fixture
def inventory(node_file: Path, tmp_path: Path) -> Inventory:
    return pool_inventory(tmp_path, node_file)


def provider_for(
    inventory: Inventory, tmp_path: Path, clock: FakeClock, opener: ReplayOpener, **kwargs: Any
) -> LibvirtVmProvider:
    options: dict[str, Any] = {
        "worker": "gw0",
        "run_id": "t1",
        "environ": ENV,
        "opener": opener,
        "lease_dir": tmp_path / "leases",
        "evidence_root": tmp_path / "evidence",
        "clock": clock.clock,
        "today": lambda: DAY_AFTER_BUILD,
    }
    options.update(kwargs)
    return LibvirtVmProvider(inventory, **options)


def held_slot(provider: LibvirtVmProvider) -> WorkerVmSlot:
    assert provider.slots is not None and provider.slots.held is not None
    return provider.slots.held


def images_pool(provider: LibvirtVmProvider) -> StoragePool:
    """The storage pool over the provider's own connection (a new connection to the node
    file would see a fresh copy); the handle outlives the connection's close."""
    return held_slot(provider).hv.storage_pool(POOL)


def test_inventory_to_a_ready_client_on_a_transient_domain(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    opener = ReplayOpener(first_ikeext="Stopped")  # the boot probe needs two rounds
    provider = provider_for(inventory, tmp_path, fake_clock, opener)
    make = make_factory(inventory, provider, environ=ENV, opener=opener)
    client = make(cell(), FakeLab())  # type: ignore[arg-type]

    assert isinstance(client, PooledVmClient) and client.profile == "win10-22h2"
    lease = client.lease
    slot = held_slot(provider)
    assert (slot.config.name, slot.lease.slot, lease.name) == ("hv-test", 0, "wo-t1-gw0-s0-1")
    domain = slot.hv.domain(lease.name)
    assert domain.is_active() and not domain.is_persistent()
    xml = domain.xml()
    assert "<memory unit='KiB'>4194304</memory>" in xml and "<vcpu" in xml
    tag = read_owner(domain)
    assert tag is not None and (tag.run_id, tag.worker, tag.hypervisor, tag.profile) == (
        "t1",
        "gw0",
        "hv-test",
        "win10-22h2",
    )
    assert lease.address.startswith("198.18.250.")  # management network of the node
    assert lease.vm.test_network == "wo-nat"
    pool = images_pool(provider)
    assert set(pool.volume_names()) == GOLDEN | {"wo-t1-gw0-s0-1.qcow2"}
    # probe transport (closed after boot), then the client's admin and user transports
    assert [(o.kind, o.host) for o in opener.opened] == [("psrp", lease.address)] * 2 + [
        ("ssh", lease.address)
    ]
    probe = opener.opened[0].transport
    assert probe.names() == ["readiness-probe"] * 2 and probe.closed == 1
    assert opener.opened[0].credentials.password == "admin-secret"
    timeline = "\n".join(lease.vm.timeline)
    assert "ready: psrp psrp.invalid:0: Microsoft Windows 10" in timeline

    # the fixtures' order: close the client, then collect its logs
    client.close()
    assert lease.state is LeaseState.PARKED and domain.is_active()
    evidence = tmp_path / "evidence" / "test_x"
    written = {p.name for p in client.collect_logs(evidence)}
    assert {"client.log", "windows-logs.json", "vm-domain.xml", "vm-state.json"} <= written
    assert {"vm-addresses.json", "vm-timeline.log"} <= written
    assert "vm-screenshot.png" not in written  # the guest answered: no console image
    assert lease.state is LeaseState.DONE
    assert slot.hv.find_domain("wo-t1-gw0-s0-1") is None
    assert set(pool.volume_names()) == GOLDEN

    provider.close()
    assert not slot.lease.record_path.exists() and provider.slots is not None
    assert provider.slots.held is None


@pytest.mark.parametrize("always", [False, True])
def test_screenshot_when_the_guest_does_not_answer_or_always(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock, always: bool
) -> None:
    opener = ReplayOpener(answers_collect_logs=always)
    provider = provider_for(inventory, tmp_path, fake_clock, opener, always_screenshot=always)
    client = make_factory(inventory, provider, environ=ENV, opener=opener)(
        cell(),
        FakeLab(),  # type: ignore[arg-type]
    )
    written = {p.name for p in client.collect_logs(tmp_path / "ev")}
    assert "vm-screenshot.png" in written
    assert ("windows-logs.json" in written) is always
    if not always:
        assert "collect-logs failed" in (tmp_path / "ev" / "client.log").read_text()
    client.close()
    provider.close()


def test_windows_11_gets_uefi_vars_and_tpm_from_the_inventory(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    provider = provider_for(inventory, tmp_path, fake_clock, ReplayOpener(os_version="10.0.22631"))
    lease = provider.lease(
        inventory.image("win11-23h2-eval"),
        TopologyKind.DIRECT,
        FakeLab(),  # type: ignore[arg-type]
    )
    xml = lease.vm.domain.xml()
    assert "secure='yes'" in xml and "<tpm model='tpm-crb'>" in xml
    assert "/var/lib/winterop/images/wo-t1-gw0-s0-1_VARS.fd</nvram>" in xml
    assert "<memory unit='KiB'>8388608</memory>" in xml
    pool = images_pool(provider)
    assert set(pool.volume_names()) == GOLDEN | {"wo-t1-gw0-s0-1.qcow2", "wo-t1-gw0-s0-1_VARS.fd"}
    lease.release()  # no evidence asked for: parked until the session ends
    assert lease.state is LeaseState.PARKED
    provider.close()
    assert set(pool.volume_names()) == GOLDEN


def test_evidence_before_close_then_the_next_lease_is_a_new_vm(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    opener = ReplayOpener()
    provider = provider_for(inventory, tmp_path, fake_clock, opener)
    make = make_factory(inventory, provider, environ=ENV, opener=opener)
    first = make(cell(), FakeLab())  # type: ignore[arg-type]
    assert isinstance(first, PooledVmClient)
    first.collect_logs(tmp_path / "ev")
    assert first.lease.state is LeaseState.LEASED  # still in use
    first.close()  # evidence taken: discarded at once
    slot = held_slot(provider)
    assert first.lease.state is LeaseState.DONE and slot.hv.domains() == []

    second = provider.lease(
        inventory.image("win10-22h2-eval"),
        TopologyKind.DIRECT,
        FakeLab(),  # type: ignore[arg-type]
    )
    assert second.name == "wo-t1-gw0-s0-2" and held_slot(provider) is slot
    second.release()
    third = provider.lease(
        inventory.image("win10-22h2-eval"),
        TopologyKind.DIRECT,
        FakeLab(),  # type: ignore[arg-type]
    )
    assert second.state is LeaseState.DONE and third.name == "wo-t1-gw0-s0-3"
    assert [d.name for d in slot.hv.domains()] == ["wo-t1-gw0-s0-3"]
    assert any("discarded when parked" in line for line in second.vm.timeline)
    provider.close()
    assert third.state is LeaseState.DONE
    with pytest.raises(DomainGone):
        third.vm.domain.is_active()


def test_reuse_reverts_the_vm_for_the_same_image_and_topology(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    opener = ReplayOpener()
    provider = provider_for(inventory, tmp_path, fake_clock, opener, reuse=True)
    image, lab = inventory.image("win10-22h2-eval"), FakeLab()
    first = provider.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]
    assert first.checkpointed and first.vm.domain.snapshot_names() == ["winterop-clean"]
    first.collect_evidence(tmp_path / "ev1")
    first.release()
    assert first.state is LeaseState.IDLE and first.vm.domain.is_active()

    again = provider.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]
    assert again is not first and again.vm is first.vm and first.state is LeaseState.DONE
    assert again.vm.domain.state() == (1, 4)  # RUNNING, FROM_SNAPSHOT
    timeline = "\n".join(again.vm.timeline)
    assert "reverted to snapshot winterop-clean" in timeline and "reused from its clean" in timeline
    again.release()  # parked (no evidence); the next lease wants another topology
    other = provider.lease(image, TopologyKind.DIRECT, lab)  # type: ignore[arg-type]
    slot = held_slot(provider)
    assert other.name == "wo-t1-gw0-s0-2"
    assert [d.name for d in slot.hv.domains()] == ["wo-t1-gw0-s0-2"]
    provider.close()
    with pytest.raises(DomainGone):
        other.vm.domain.is_active()


def test_boot_that_never_gets_ready_saves_evidence_and_leaves_nothing(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    provider = provider_for(inventory, tmp_path, fake_clock, ReplayOpener(never_ready=True))
    folder = tmp_path / "evidence" / "vm-boot-failures" / "gw0-win10-22h2-nat-1"
    with pytest.raises(NoVmAvailable) as failure:
        provider.lease(
            inventory.image("win10-22h2-eval"),
            TopologyKind.NAT,
            FakeLab(),  # type: ignore[arg-type]
        )
    message = str(failure.value)
    assert message.startswith(f"{inventory.path}: the libvirt pool has no win10-22h2 VM on the")
    assert "not ready within 120 s" in message and "IKEEXT Stopped" in message
    assert message.endswith(f"(VM evidence: {folder})")
    names = {p.name for p in folder.iterdir()}
    assert {"vm-screenshot.png", "vm-domain.xml", "vm-guest-windows-logs.json"} <= names
    assert "vm-timeline.log" in names
    slot = held_slot(provider)
    assert slot.hv.domains() == [] and set(images_pool(provider).volume_names()) == GOLDEN
    provider.close()


def test_unknown_profile(inventory: Inventory, tmp_path: Path, fake_clock: FakeClock) -> None:
    opener = ReplayOpener()
    provider = provider_for(inventory, tmp_path, fake_clock, opener)
    make = make_factory(inventory, provider, environ=ENV, opener=opener)
    with pytest.raises(NoVmAvailable, match="no golden image serves client profile 'win7-sp1'"):
        make(cell("win7-sp1"), FakeLab())  # type: ignore[arg-type]
    stray = dataclasses.replace(inventory.image("win10-22h2-eval"), profile="win12-25h2")
    with pytest.raises(
        NoVmAvailable,
        match=r"no hypervisor holds a golden image for profile 'win12-25h2' "
        r"\(hv-test: win10-22h2, win11-23h2\)",
    ):
        provider.lease(stray, TopologyKind.NAT, FakeLab())  # type: ignore[arg-type]
    assert provider.slots is not None and provider.slots.held is None
    provider.close()


def test_no_capacity(node_file: Path, tmp_path: Path, fake_clock: FakeClock) -> None:
    inventory = pool_inventory(tmp_path, node_file, max_vms=1)
    leases = tmp_path / "leases"
    other = acquire_slot(
        hypervisor="hv-test",
        uri=inventory.hypervisors[0].uri,
        capacity=1,
        run_id="other",
        worker="gw7",
        lease_dir=leases,
        timeout=0,
    )
    other.note()  # its record names the holder
    provider = provider_for(inventory, tmp_path, fake_clock, ReplayOpener(), lease_timeout=60)
    try:
        with pytest.raises(
            NoVmAvailable,
            match=r"all 1 VM slot\(s\) of hypervisor hv-test stayed taken for 60 s "
            r"\(slot 0: run other worker gw7",
        ):
            provider.lease(
                inventory.image("win10-22h2-eval"),
                TopologyKind.NAT,
                FakeLab(),  # type: ignore[arg-type]
            )
        assert sum(fake_clock.sleeps) == pytest.approx(60)
    finally:
        other.release()
    lease = provider.lease(
        inventory.image("win10-22h2-eval"),
        TopologyKind.NAT,
        FakeLab(),  # type: ignore[arg-type]
    )
    assert lease.slot.lease.slot == 0
    provider.close()


def test_hypervisor_unreachable(tmp_path: Path, fake_clock: FakeClock) -> None:
    missing = tmp_path / "gone" / "node.xml"
    inventory = pool_inventory(tmp_path, missing)
    provider = provider_for(inventory, tmp_path, fake_clock, ReplayOpener())
    with pytest.raises(
        NoVmAvailable,
        match=rf"the libvirt pool has no win10-22h2 VM on the nat network: cannot reach "
        rf"hypervisor test://{missing}",
    ):
        provider.lease(
            inventory.image("win10-22h2-eval"),
            TopologyKind.NAT,
            FakeLab(),  # type: ignore[arg-type]
        )
    assert not any((tmp_path / "leases" / "hv-test").glob("slot-*.json"))
    provider.close()


def test_second_hypervisor_serves_when_the_first_is_unreachable(
    node_file: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    inventory = pool_inventory(tmp_path, node_file)
    good = inventory.hypervisors[0]
    dead = dataclasses.replace(good, name="hv-dead", uri=f"test://{tmp_path}/none.xml")
    both = dataclasses.replace(
        inventory,
        hypervisors=(dead, good),
        images=tuple(
            dataclasses.replace(i, hypervisors=("hv-dead", "hv-test")) for i in inventory.images
        ),
    )
    provider = provider_for(both, tmp_path, fake_clock, ReplayOpener())
    lease = provider.lease(
        both.image("win10-22h2-eval"),
        TopologyKind.NAT,
        FakeLab(),  # type: ignore[arg-type]
    )
    assert lease.slot.config.name == "hv-test"
    provider.close()

    only_dead = dataclasses.replace(both, hypervisors=(dead, dataclasses.replace(dead, name="x")))
    only_dead = dataclasses.replace(
        only_dead,
        images=tuple(dataclasses.replace(i, hypervisors=("hv-dead", "x")) for i in both.images),
    )
    provider = provider_for(only_dead, tmp_path, fake_clock, ReplayOpener())
    with pytest.raises(
        NoVmAvailable, match=r"no hypervisor could give a VM slot for win10-22h2: cannot reach"
    ):
        provider.lease(
            both.image("win10-22h2-eval"),
            TopologyKind.NAT,
            FakeLab(),  # type: ignore[arg-type]
        )
    provider.close()


def test_expired_image_missing_volume_and_network(
    inventory: Inventory, node_file: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    image = inventory.image("win10-22h2-eval")
    lab = FakeLab()
    late = provider_for(
        inventory,
        tmp_path,
        fake_clock,
        ReplayOpener(),
        today=lambda: DAY_AFTER_BUILD.replace(year=2027),
    )
    with pytest.raises(NoVmAvailable, match=r"over its 80-day limit: rebuild it"):
        late.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]
    late.close()

    moved = dataclasses.replace(
        inventory, images=(dataclasses.replace(image, disk="/srv/x.qcow2"),)
    )
    provider = provider_for(moved, tmp_path, fake_clock, ReplayOpener())
    with pytest.raises(NoVmAvailable, match=r"/srv/x.qcow2 .*is not a volume of any storage pool"):
        provider.lease(moved.images[0], TopologyKind.NAT, lab)  # type: ignore[arg-type]
    provider.close()

    no_dual = write_node(
        tmp_path / "no-dual.xml", networks=[n for n in default_networks() if n.name != "wo-dual"]
    )
    sparse = pool_inventory(tmp_path, no_dual)
    provider = provider_for(sparse, tmp_path, fake_clock, ReplayOpener())
    with pytest.raises(NoVmAvailable, match=r"'wo-dual' is not defined"):
        provider.lease(sparse.images[0], TopologyKind.NAT, lab)  # type: ignore[arg-type]
    provider.close()


def test_one_vm_per_worker_at_a_time(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    provider = provider_for(inventory, tmp_path, fake_clock, ReplayOpener())
    image, lab = inventory.image("win10-22h2-eval"), FakeLab()
    first = provider.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]
    with pytest.raises(NoVmAvailable, match=r"still uses VM wo-t1-gw0-s0-1 .* one VM at a time"):
        provider.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]
    provider.close()
    assert first.state is LeaseState.DONE
    first.release()  # after the session ended: nothing to do
    with pytest.raises(NoVmAvailable, match="closed"):
        provider.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]


def test_missing_credentials_fail_before_anything_boots(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    provider = provider_for(
        inventory, tmp_path, fake_clock, ReplayOpener(), environ={"WINTEROP_ADMIN_USER": "a"}
    )
    with pytest.raises(CredentialError, match="WINTEROP_ADMIN_PASSWORD"):
        provider.lease(
            inventory.image("win10-22h2-eval"),
            TopologyKind.NAT,
            FakeLab(),  # type: ignore[arg-type]
        )
    assert provider.slots is None
    provider.close()


def test_static_vms_first_then_the_pool(
    inventory: Inventory, tmp_path: Path, fake_clock: FakeClock
) -> None:
    with_vms = dataclasses.replace(
        inventory, vms=(StaticVm("win10-a", "win10-22h2-eval", "192.0.2.50", TopologyKind.DIRECT),)
    )
    assert isinstance(default_provider(with_vms), StaticFirstVmProvider)
    assert isinstance(default_provider(inventory), LibvirtVmProvider)
    pool = provider_for(with_vms, tmp_path, fake_clock, ReplayOpener())
    both = StaticFirstVmProvider(StaticVmProvider(with_vms, lock_dir=tmp_path / "locks"), pool)
    image, lab = with_vms.image("win10-22h2-eval"), FakeLab()
    static = both.lease(image, TopologyKind.DIRECT, lab)  # type: ignore[arg-type]
    assert (static.name, static.disposable) == ("win10-a", False)
    pooled = both.lease(image, TopologyKind.NAT, lab)  # type: ignore[arg-type]
    assert isinstance(pooled, LibvirtLease) and pooled.name == "wo-t1-gw0-s0-1"
    pooled.release()
    busy_static_then_pool = both.lease(image, TopologyKind.DIRECT, lab)  # type: ignore[arg-type]
    assert isinstance(busy_static_then_pool, LibvirtLease)
    static.release()
    both.close()
    assert busy_static_then_pool.state is LeaseState.DONE


class PytestConfigLike:
    """The parts of pytest.Config the factory reads: options, xdist's workerinput,
    rootpath and add_cleanup."""

    def __init__(self, inventory: Path, root: Path) -> None:
        self.options = {"--inventory": str(inventory), "--evidence-dir": "reports/evidence"}
        self.workerinput = {"workerid": "gw3", "winterop_run_id": "abc123"}
        self.rootpath = root
        self.cleanups: list[Any] = []

    def getoption(self, name: str) -> Any:
        return self.options[name]

    def add_cleanup(self, func: Any) -> None:
        self.cleanups.append(func)


def test_windows_client_factory_chooses_the_pool_for_an_inventory_without_vms(
    node_file: Path, tmp_path: Path
) -> None:
    config = PytestConfigLike(write_inventory(tmp_path, node_file), tmp_path)
    factory = windows_client_factory(config)
    assert isinstance(factory, WindowsClientFactory) and factory is windows_client_factory(config)
    provider = factory.provider
    assert isinstance(provider, LibvirtVmProvider) and factory.owns_provider
    assert (provider.worker, provider.run_id) == ("gw3", "abc123")
    assert provider.evidence_root == tmp_path / "reports" / "evidence"
    assert provider.slots is None  # nothing leased, nothing connected
    (cleanup,) = config.cleanups
    cleanup()
    with pytest.raises(NoVmAvailable, match="closed"):
        provider.lease(
            provider.inventory.images[0],
            TopologyKind.NAT,
            FakeLab(),  # type: ignore[arg-type]
        )


def test_run_id_from_the_lab_name() -> None:
    assert run_id_from_lab("4f2a9c-gw1-1234-7", "gw1") == "4f2a9c"
    assert run_id_from_lab("nightly-2026-11-29-main-99-1", "main") == "nightly-2026-11-29"
    assert run_id_from_lab("4f2a9c-gw1-1234-7", "gw0") is None
    assert run_id_from_lab("a b-gw1-1-1", "gw1") is None
