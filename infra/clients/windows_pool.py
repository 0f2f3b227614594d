"""Throw-away VMs from the libvirt pool on the inventory's hypervisors, as a VmProvider.

The pool itself (infra/windows/libvirt_pool, mapped from the inventory by inventory_pool)
boots, snapshots and discards the VMs; this module holds one xdist worker's slot and
lease on it (LibvirtVmProvider, LibvirtLease), the guest shell that tells the pool when
a VM is ready and collects its logs, and the client that adds the host's view of the VM
to a test's evidence (PooledVmClient).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.clients.windows import WindowsVmClient
from infra.clients.windows_provider import NoVmAvailable, TransportOpener
from infra.lab.lab import Lab
from infra.lab.topology import TopologyKind
from infra.windows.inventory import GoldenImage, Inventory
from infra.windows.inventory_pool import WorkerSlots, hypervisor_configs
from infra.windows.libvirt_pool import readiness as pool_readiness
from infra.windows.libvirt_pool.errors import GuestAgentUnavailable, PoolError
from infra.windows.libvirt_pool.evidence import GuestLogCollector
from infra.windows.libvirt_pool.naming import check_component
from infra.windows.libvirt_pool.pool import WorkerVmSlot
from infra.windows.libvirt_pool.vm import WindowsVm
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock
from infra.windows.scripts.logs import collect_logs
from infra.windows.transports import Credentials, Transport, open_transport, resolve_credentials
from infra.windows.transports.probe import parse_facts, readiness_probe

log = logging.getLogger(__name__)

GUEST_LOGS_FILE = "windows-logs.json"
"""What WindowsVmClient.collect_logs writes when the guest answered the collect-logs script."""


class LeaseState(enum.Enum):
    LEASED = "leased"  # a client drives the VM
    PARKED = "parked"  # released, alive until its evidence is taken or the next lease
    IDLE = "idle"  # kept with its clean snapshot for the next lease of the same cell shape
    DONE = "done"  # discarded, or handed on to the next lease (reuse)


@dataclass(eq=False)
class LibvirtLease:
    """A pool VM held for one client (a VmLease). Disposable: it is discarded or reverted to
    its clean snapshot afterwards, so the client never has to undo what it did."""

    provider: LibvirtVmProvider = field(repr=False)
    slot: WorkerVmSlot = field(repr=False)
    vm: WindowsVm
    image: GoldenImage
    checkpointed: bool = False
    state: LeaseState = LeaseState.LEASED
    evidence_taken: bool = False
    disposable: bool = True

    @property
    def name(self) -> str:
        return self.vm.name.domain

    @property
    def address(self) -> str:
        return self.vm.endpoint.host

    def release(self) -> None:
        """Give the VM back: discarded once its evidence is taken (or at the next lease)."""
        self.provider.released(self)

    def collect_evidence(self, directory: Path, *, screenshot: bool = True) -> list[Path]:
        """The hypervisor's view of the VM into DIRECTORY: domain XML, state, addresses, the
        pool's timeline, the console screenshot if SCREENSHOT (files named vm-*)."""
        return self.provider.evidence(self, directory, screenshot=screenshot)


class PooledVmClient(WindowsVmClient):
    """A WindowsVmClient on a pool VM. Its logs also hold the host's view of the VM.

    The fixtures close the client before collecting its logs; the VM therefore stays alive
    after `close()` (its transports reconnect) until `collect_logs` has saved the guest's
    and the host's evidence, and is discarded then, or at the worker's next lease. The
    console screenshot (megabytes on QEMU) is taken when the guest's shell did not answer
    the log collection (a hung or crashed Windows), or always with the provider's
    `always_screenshot`.
    """

    def __init__(self, transport: Transport, *, lease: LibvirtLease, **kwargs: Any) -> None:
        super().__init__(transport, **kwargs)
        self.lease = lease

    def collect_logs(self, directory: Path) -> list[Path]:
        written = super().collect_logs(directory)
        answered = any(p.name == GUEST_LOGS_FILE for p in written)
        screenshot = self.lease.provider.always_screenshot or not answered
        return written + self.lease.collect_evidence(directory, screenshot=screenshot)


class GuestShell:
    """The admin transport to the address the pool discovered (readiness probe, guest logs)."""

    def __init__(self, open_admin: Callable[[str], Transport]) -> None:
        self._open = open_admin
        self._host: str | None = None
        self._transport: Transport | None = None

    def to(self, host: str) -> Transport:
        if self._transport is None or host != self._host:
            self.close()
            self._transport, self._host = self._open(host), host
        return self._transport

    def current(self) -> Transport:
        if self._transport is None:
            raise PoolError("the guest's management address was never found: no shell to ask")
        return self._transport

    def close(self) -> None:
        transport, self._transport, self._host = self._transport, None, None
        if transport is not None:
            transport.close()


def transport_probe(shell: GuestShell, timeout: float) -> pool_readiness.Probe:
    """The pool's readiness probe: the transport answers the readiness script and RasMan,
    IKEEXT, BFE and PolicyAgent run (a transport error is the pool's 'not yet')."""
    script = readiness_probe()

    def probe(endpoint: pool_readiness.GuestEndpoint) -> pool_readiness.ProbeResult:
        transport = shell.to(endpoint.host)
        facts = parse_facts(transport.run(script, timeout).parse().unwrap())
        return pool_readiness.ProbeResult(
            facts.ready, f"{transport.name} {transport.target}: {facts.describe()}"
        )

    return probe


def guest_log_collector(shell: GuestShell, since: dt.datetime, timeout: float) -> GuestLogCollector:
    """The pool's guest-log collector: the collect-logs script's document, as a file."""

    def collect() -> Mapping[str, bytes]:
        data = shell.current().run(collect_logs(since), timeout).parse().unwrap()
        return {GUEST_LOGS_FILE: json.dumps(data, indent=2, sort_keys=True).encode()}

    return collect


def run_id_from_lab(lab_name: str, worker: str) -> str | None:
    """The run id in a lab name `<run>-<worker>-<pid>-<n>` (infra.lab.Lab.up), if valid."""
    match = re.fullmatch(rf"(.+)-{re.escape(worker)}-\d+-\d+", lab_name)
    if match is None:
        return None
    try:
        return check_component("run id", match.group(1))
    except ValueError:
        return None


class LibvirtVmProvider:
    """VMs from the libvirt pool on the inventory's hypervisors, for one xdist worker.

    The worker's VM slot is taken on the first lease (on a hypervisor holding the image;
    inventory_pool.WorkerSlots) and given back by `close()` at session end. Each lease
    boots a fresh overlay + transient domain and waits until the inventory's transport
    answers with the VPN services running; or, with REUSE, the VM of the previous lease
    is reverted to the clean snapshot taken after its boot when the next lease asks for
    the same image and topology (consecutive tests of a module, in practice). Where the
    hypervisor cannot snapshot the VM (UEFI guests before libvirt 10.10), it is not reused.

    A failed boot saves the pool's evidence (and the guest's logs if its shell answered)
    under EVIDENCE_ROOT/vm-boot-failures/ and raises NoVmAvailable naming that folder.
    A test's evidence gets the host's view of its VM through PooledVmClient.collect_logs.
    """

    def __init__(
        self,
        inventory: Inventory,
        *,
        worker: str = "main",
        run_id: str | None = None,
        environ: Mapping[str, str] | None = None,
        opener: TransportOpener = open_transport,
        reuse: bool = False,
        lease_dir: Path | None = None,
        lease_timeout: float = 1800.0,
        poll_interval: float = 2.0,
        agent_build_check: bool = False,
        always_screenshot: bool = False,
        evidence_root: Path | None = None,
        clock: Clock = REAL_CLOCK,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.inventory = inventory
        self.configs = hypervisor_configs(inventory, lease_dir=lease_dir)
        self.worker = check_component("worker id", worker)
        self.run_id = None if run_id is None else check_component("run id", run_id)
        self.environ = os.environ if environ is None else environ
        self.opener = opener
        self.reuse = reuse
        self.lease_timeout = lease_timeout
        self.poll_interval = poll_interval
        # The build is checked from the transport probe's Win32_OperatingSystem (make_factory);
        # the guest agent's report is an extra check, off by default (its format on Windows is
        # not yet confirmed, windows-driving.md 15, and the TEST driver has no agent).
        self.agent_build_check = agent_build_check
        self.always_screenshot = always_screenshot
        self.evidence_root = evidence_root
        self.clock = clock
        self.today = today
        self.slots: WorkerSlots | None = None
        self.held: LibvirtLease | None = None
        self._boots = 0
        self._closed = False

    # --- VmProvider -----------------------------------------------------------------------

    def lease(self, image: GoldenImage, topology: TopologyKind, lab: Lab) -> LibvirtLease:
        if self._closed:
            raise NoVmAvailable("the libvirt VM provider is closed (the session is ending)")
        if self.held is not None and self.held.state is LeaseState.LEASED:
            raise NoVmAvailable(
                f"worker {self.worker} still uses VM {self.held.name} ({self.held.image.profile}):"
                " the pool gives each xdist worker one VM at a time (one slot of hypervisor "
                f"{self.held.slot.config.name}); close its client first"
            )
        admin = resolve_credentials(self.inventory.admin, self.environ)
        evidence: Path | None = None
        try:
            previous = self._take_back(want=(image.profile, topology))
            slot = self._worker_slots(lab).slot_for(image.profile)
            shell = GuestShell(lambda host: self._open_admin(host, admin))
            try:
                vm = None if previous is None else self._revive(previous, shell)
                checkpointed = previous is not None and vm is not None
                if vm is None:
                    evidence = self._boot_evidence_dir(image, topology)
                    vm = self._boot(slot, image, topology, shell, evidence)
                    checkpointed = self._checkpoint(vm)
            finally:
                shell.close()
        except PoolError as exc:
            where = (
                f" (VM evidence: {evidence})" if evidence is not None and evidence.exists() else ""
            )
            raise NoVmAvailable(
                f"{self.inventory.path}: the libvirt pool has no {image.profile} VM on the "
                f"{topology.value} network: {exc}{where}"
            ) from exc
        lease = LibvirtLease(self, slot, vm, image, checkpointed)
        self.held = lease
        log.info("leased pool VM %s (%s) for %s", lease.name, lease.address, lab.name)
        return lease

    def close(self) -> None:
        """Discard the VM still held, give the slot back (session end). Idempotent; raises
        PoolError after doing all it can if something was left for the reaper."""
        if self._closed:
            return
        self._closed = True
        problems = []
        held, self.held = self.held, None
        if held is not None and held.state is not LeaseState.DONE:
            held.state = LeaseState.DONE
            try:
                held.slot.discard(held.vm)
            except PoolError as exc:
                problems.append(str(exc))
        if self.slots is not None:
            try:
                self.slots.release()
            except PoolError as exc:
                problems.append(str(exc))
        if problems:
            raise PoolError("; ".join(problems))

    # --- called by LibvirtLease -----------------------------------------------------------

    def released(self, lease: LibvirtLease) -> None:
        if lease.state is not LeaseState.LEASED:
            return
        if lease.evidence_taken:
            self._finish(lease)
        else:
            lease.state = LeaseState.PARKED

    def evidence(self, lease: LibvirtLease, directory: Path, *, screenshot: bool) -> list[Path]:
        if lease.state is LeaseState.DONE or lease is not self.held:
            return []
        written = lease.vm.collect_evidence(directory, screenshot=screenshot)
        lease.evidence_taken = True
        if lease.state is LeaseState.PARKED:
            try:
                self._finish(lease)
            except PoolError as exc:  # the evidence must still be returned
                log.error("discarding %s: %s", lease.name, exc)
                problem = directory / "vm-discard-error.txt"
                problem.write_text(f"{exc}\n")
                written.append(problem)
        return written

    # --- internals ------------------------------------------------------------------------

    def _finish(self, lease: LibvirtLease) -> None:
        """A released VM whose evidence is taken: keep it for reuse, or discard it."""
        if self.reuse and lease.checkpointed:
            lease.state = LeaseState.IDLE
            return
        lease.state = LeaseState.DONE
        self.held = None
        lease.slot.discard(lease.vm)

    def _take_back(self, *, want: tuple[str, TopologyKind]) -> LibvirtLease | None:
        """End the previous lease's VM before the next lease; return it if it can serve
        WANT (reuse on, clean snapshot taken, same image and topology), else discard it."""
        held, self.held = self.held, None
        if held is None or held.state is LeaseState.DONE:
            return None
        state, held.state = held.state, LeaseState.DONE
        if self.reuse and held.checkpointed and want == (held.vm.image.profile, held.vm.topology):
            return held
        wanted = f"{want[0]} on {want[1].value}"
        held.vm.note(f"discarded when {state.value}: the next lease wants {wanted}")
        held.slot.discard(held.vm)
        return None

    def _worker_slots(self, lab: Lab) -> WorkerSlots:
        if self.slots is None:
            run_id = self.run_id or run_id_from_lab(lab.name, self.worker) or secrets.token_hex(3)
            self.slots = WorkerSlots(
                self.configs,
                run_id=run_id,
                worker=self.worker,
                lease_timeout=self.lease_timeout,
                interval=self.poll_interval,
                clock=self.clock,
                today=self.today,
            )
        return self.slots

    def _open_admin(self, host: str, admin: Credentials) -> Transport:
        choice = self.inventory.transport
        return self.opener(choice.kind, host, admin, wsman=choice.wsman, ssh=choice.ssh)

    def _boot_evidence_dir(self, image: GoldenImage, topology: TopologyKind) -> Path | None:
        self._boots += 1
        if self.evidence_root is None:
            return None
        name = f"{self.worker}-{image.profile}-{topology.value}-{self._boots}"
        return self.evidence_root / "vm-boot-failures" / name

    def _boot(
        self,
        slot: WorkerVmSlot,
        image: GoldenImage,
        topology: TopologyKind,
        shell: GuestShell,
        evidence: Path | None,
    ) -> WindowsVm:
        timeouts = self.inventory.timeouts
        return slot.boot(
            image.profile,
            topology,
            probe=transport_probe(shell, min(60.0, timeouts.script)),
            verify_build=self.agent_build_check,
            address_timeout=timeouts.ready,
            ready_timeout=timeouts.ready,
            poll_interval=self.poll_interval,
            evidence_dir=evidence,
            guest_logs=guest_log_collector(shell, dt.datetime.now(dt.UTC), timeouts.script),
            clock=self.clock,
        )

    def _checkpoint(self, vm: WindowsVm) -> bool:
        if not self.reuse:
            return False
        try:
            vm.checkpoint()
        except PoolError as exc:
            vm.note(f"no clean snapshot, so this VM is not reused: {exc}")
            return False
        return True

    def _revive(self, previous: LibvirtLease, shell: GuestShell) -> WindowsVm | None:
        """PREVIOUS's VM reverted to its clean snapshot and ready again; None (and the VM
        discarded) if that fails, so the caller boots a fresh one."""
        vm = previous.vm
        try:
            try:
                vm.restore()
            except GuestAgentUnavailable as exc:  # reverted; only the clock push failed
                vm.note(f"clock not resynced after the revert: {exc}")
            result = pool_readiness.wait_ready(
                transport_probe(shell, min(60.0, self.inventory.timeouts.script)),
                vm.endpoint,
                timeout=self.inventory.timeouts.ready,
                interval=self.poll_interval,
                clock=self.clock,
            )
        except PoolError as exc:
            vm.note(f"not reused, discarded: {exc}")
            previous.slot.discard(vm)
            return None
        vm.note(f"reused from its clean snapshot; ready: {result.detail}")
        return vm
