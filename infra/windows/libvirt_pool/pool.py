"""A worker's VM slot on one hypervisor: lease it, boot throw-away VMs in it, clean up.

One xdist worker = one slot = one VM at a time (lease.py), over its own libvirt
connection (connections are not shared between processes, and one per worker keeps
events and errors apart). `boot` runs the whole recipe of windows-driving.md 10:

1. refuse an expired evaluation image (config.GoldenImage.check_fresh);
2. write the names about to be created into the slot's lease record (write-ahead);
3. qcow2 overlay (+ UEFI VARS copy) through the storage API (overlay.py);
4. a transient domain from typed data (domain_xml.py) with the owner tag in its
   metadata, started with AUTODESTROY so libvirt itself destroys it if the harness dies
   (drivers without the flag, like the TEST driver, fall back to the reaper);
5. the management NIC's address (discovery.py), the guest clock set to the host's,
   optionally the Windows build checked against the inventory, then the caller's
   readiness probe (readiness.py);

and on any failure saves evidence (if asked) and discards everything it created before
re-raising. `discard` is the same clean-up for a VM the test is done with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from infra.lab.topology import TopologyKind
from infra.windows.libvirt_pool.config import HypervisorConfig
from infra.windows.libvirt_pool.discovery import discover
from infra.windows.libvirt_pool.domain_xml import build_domain_xml, live_nics
from infra.windows.libvirt_pool.errors import (
    DomainGone,
    GuestAgentUnavailable,
    NotSupportedByDriver,
    PoolError,
)
from infra.windows.libvirt_pool.evidence import GuestLogCollector
from infra.windows.libvirt_pool.guest import check_build
from infra.windows.libvirt_pool.lease import SlotLease, acquire_slot
from infra.windows.libvirt_pool.naming import VmName
from infra.windows.libvirt_pool.networks import check_networks
from infra.windows.libvirt_pool.overlay import create_overlay, delete_volumes, locate_golden
from infra.windows.libvirt_pool.owner import OwnerTag, VolumeRef
from infra.windows.libvirt_pool.readiness import Probe, wait_ready
from infra.windows.libvirt_pool.reaper import VmReapReport, reap_record
from infra.windows.libvirt_pool.spec import Disk, DomainSpec, Nic, NicRole
from infra.windows.libvirt_pool.virt import Domain, Hypervisor
from infra.windows.libvirt_pool.vm import WindowsVm
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock


class WorkerVmSlot:
    """A leased slot plus an open connection. Use as a context manager (or call release)."""

    def __init__(
        self,
        config: HypervisorConfig,
        hv: Hypervisor,
        lease: SlotLease,
        *,
        run_id: str,
        worker: str,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.config = config
        self.hv = hv
        self.lease = lease
        self.run_id = run_id
        self.worker = worker
        self._today = today
        self._sequence = itertools.count(1)
        self._autodestroy = config.autodestroy
        self._notes_told = 0
        self.live: list[WindowsVm] = []
        self.notes: list[str] = []  # slot events; each also goes to the next VM's timeline

    @classmethod
    def acquire(
        cls,
        config: HypervisorConfig,
        *,
        run_id: str,
        worker: str,
        lease_dir: Path | None = None,
        lease_timeout: float = 1800.0,
        clock: Clock = REAL_CLOCK,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> WorkerVmSlot:
        """Lease a slot of CONFIG's hypervisor for WORKER, connect, and check its networks."""
        lease = acquire_slot(
            hypervisor=config.name,
            uri=config.uri,
            capacity=config.capacity,
            run_id=run_id,
            worker=worker,
            lease_dir=lease_dir or (Path(config.lease_dir) if config.lease_dir else None),
            timeout=lease_timeout,
            clock=clock,
        )
        try:
            hv = Hypervisor.open(config.uri)
        except BaseException:
            lease.release(keep_record=lease.predecessor is not None)
            raise
        slot = cls(config, hv, lease, run_id=run_id, worker=worker, today=today)
        try:
            slot._reap_predecessor()
            check_networks(hv, config.networks)
        except BaseException:
            slot.release()
            raise
        return slot

    def _reap_predecessor(self) -> None:
        record = self.lease.predecessor
        if record is None:
            return
        report = VmReapReport()
        if record.uri == self.config.uri:
            reap_record(self.hv, record, report)
        else:
            with Hypervisor.open(record.uri) as other:
                reap_record(other, record, report)
        if report.errors:  # the record stays for the reaper; the operator must look
            raise PoolError(f"cannot clean up slot {self.lease.slot}: {report.summary()}")
        self.notes.append(
            f"slot {self.lease.slot} was left by {record.describe()}: {report.summary()}"
        )
        self.lease.predecessor = None

    def boot(
        self,
        profile: str,
        topology: TopologyKind,
        *,
        probe: Probe | None = None,
        verify_build: bool = True,
        address_timeout: float = 300.0,
        ready_timeout: float = 900.0,
        poll_interval: float = 2.0,
        evidence_dir: Path | None = None,
        guest_logs: GuestLogCollector | None = None,
        clock: Clock = REAL_CLOCK,
    ) -> WindowsVm:
        """A fresh VM of PROFILE's golden image on TOPOLOGY's network, usable per PROBE."""
        vm = self._create(profile, topology)
        try:
            self._bring_up(
                vm, probe, verify_build, address_timeout, ready_timeout, poll_interval, clock
            )
        except BaseException:
            self.discard(vm, evidence_dir=evidence_dir, guest_logs=guest_logs)
            raise
        return vm

    def _create(self, profile: str, topology: TopologyKind) -> WindowsVm:
        """Overlay + running transient domain; on failure nothing of it is left behind."""
        image = self.config.image(profile)
        freshness = image.check_fresh(self._today())
        test_network = self.config.networks.for_topology(topology)
        golden = locate_golden(self.hv, image)
        name = VmName(self.run_id, self.worker, self.lease.slot, next(self._sequence))
        refs = golden.planned_refs(name)
        self.lease.note(domain=name.domain, volumes=refs)
        try:
            overlay = create_overlay(golden, name)
        except BaseException:
            self._forget(name.domain, refs)
            raise
        owner = OwnerTag(
            run_id=self.run_id,
            worker=self.worker,
            slot=self.lease.slot,
            hypervisor=self.config.name,
            profile=profile,
            harness=self.lease.record.harness,
            volumes=overlay.refs,
        )
        spec = DomainSpec(
            name=name.domain,
            disk=Disk(overlay.disk.pool, overlay.disk.name),
            nics=(
                Nic(self.config.networks.management, NicRole.MANAGEMENT),
                Nic(test_network, NicRole.TEST),
            ),
            owner=owner,
            virt_type=self.config.virt_type,
            memory_mib=image.memory_mib,
            vcpus=image.vcpus,
            uefi=image.uefi,
            nvram_path=overlay.nvram_path,
            tpm=image.tpm,
        )
        try:
            domain = self._start(build_domain_xml(spec))
            try:
                management_nic, test_nic = live_nics(domain.xml())[:2]
            except BaseException:
                with contextlib.suppress(PoolError):
                    domain.destroy()
                raise
        except BaseException:
            self._delete(overlay.refs)
            self._forget(name.domain, refs)
            raise
        vm = WindowsVm(
            name=name,
            domain=domain,
            image=image,
            topology=topology,
            overlay=overlay,
            owner=owner,
            management_mac=management_nic.mac,
            test_mac=test_nic.mac,
            test_network=test_nic.network,
        )
        self.live.append(vm)
        for line in self.notes[self._notes_told :]:
            vm.note(line)
        self._notes_told = len(self.notes)
        vm.note(f"started {name.domain} from {image.disk} ({image.build}) on {self.hv.uri}")
        vm.note(freshness)
        return vm

    def _start(self, xml: str) -> Domain:
        if not self._autodestroy:
            return self.hv.create_transient(xml, autodestroy=False)
        try:
            return self.hv.create_transient(xml, autodestroy=True)
        except NotSupportedByDriver as exc:
            self._autodestroy = False
            self.notes.append(f"AUTODESTROY refused ({exc}); the reaper is the only safety net")
            return self.hv.create_transient(xml, autodestroy=False)

    def _bring_up(
        self,
        vm: WindowsVm,
        probe: Probe | None,
        verify_build: bool,
        address_timeout: float,
        ready_timeout: float,
        interval: float,
        clock: Clock,
    ) -> None:
        vm.management = discover(
            vm.domain, vm.management_mac, timeout=address_timeout, interval=interval, clock=clock
        )
        vm.note(
            f"management NIC {vm.management_mac}: {vm.endpoint.host} ({vm.management.source.label})"
        )
        try:
            vm.resync_clock()
        except GuestAgentUnavailable as exc:
            vm.note(f"clock not resynced: {exc}")
        if verify_build:
            vm.note(f"guest runs Windows {check_build(vm.domain, vm.image.build)}")
        if probe is not None:
            result = wait_ready(
                probe, vm.endpoint, timeout=ready_timeout, interval=interval, clock=clock
            )
            vm.note(f"ready: {result.detail}")

    def discard(
        self,
        vm: WindowsVm,
        *,
        evidence_dir: Path | None = None,
        guest_logs: GuestLogCollector | None = None,
    ) -> list[Path]:
        """Save evidence (if EVIDENCE_DIR), destroy the domain, delete its volumes.

        Raises PoolError after doing all it can if a volume could not be deleted (a leak
        must not go unnoticed); the lease record keeps naming it for the reaper.
        """
        written: list[Path] = []
        if evidence_dir is not None:
            written = vm.collect_evidence(evidence_dir, guest_logs=guest_logs)
        try:
            if vm.domain.is_active():
                vm.domain.destroy()
        except DomainGone:
            pass
        if vm in self.live:
            self.live.remove(vm)
        problems = self._delete(vm.overlay.refs)
        self._forget(vm.name.domain, () if problems else vm.overlay.refs)
        if problems:
            raise PoolError(f"discarding {vm.name.domain} left volumes: {'; '.join(problems)}")
        return written

    def _delete(self, refs: tuple[VolumeRef, ...]) -> list[str]:
        return delete_volumes(self.hv, refs)[1]

    def _forget(self, domain: str, refs: tuple[VolumeRef, ...]) -> None:
        self.lease.forget(domain=domain, volumes=refs)

    def release(self) -> None:
        """Discard any VM still alive, close the connection, give the slot back."""
        problems = []
        for vm in list(self.live):
            try:
                self.discard(vm)
            except PoolError as exc:
                problems.append(str(exc))
        self.hv.close()
        self.lease.release(keep_record=bool(problems) or self.lease.predecessor is not None)
        if problems:
            raise PoolError("; ".join(problems))

    def __enter__(self) -> WorkerVmSlot:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
