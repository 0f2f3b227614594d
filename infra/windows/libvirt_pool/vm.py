"""One booted Windows VM: where to reach it and what can be done to it while it lives.

Created only by WorkerVmSlot.boot (pool.py) and thrown away by WorkerVmSlot.discard. For
module-scoped reuse a suite can `checkpoint()` the freshly booted VM and `restore()` it
between tests; restoring resyncs the guest clock, which jumps back with the snapshot.
(On QEMU, internal snapshots of UEFI guests need libvirt >= 10.10 for revert; older
hypervisors report it and such suites fall back to a fresh VM per test.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from infra.lab.topology import TopologyKind
from infra.windows.libvirt_pool.config import GoldenImage
from infra.windows.libvirt_pool.discovery import DEFAULT_ORDER, FoundAddresses, discover
from infra.windows.libvirt_pool.errors import PoolError
from infra.windows.libvirt_pool.evidence import GuestLogCollector, collect_evidence
from infra.windows.libvirt_pool.guest import ClockSync, resync_clock
from infra.windows.libvirt_pool.naming import VmName
from infra.windows.libvirt_pool.overlay import Overlay
from infra.windows.libvirt_pool.owner import OwnerTag
from infra.windows.libvirt_pool.readiness import GuestEndpoint
from infra.windows.libvirt_pool.virt import AddressSource, Domain
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock

CLEAN_SNAPSHOT = "winterop-clean"


@dataclass
class WindowsVm:
    name: VmName
    domain: Domain
    image: GoldenImage
    topology: TopologyKind
    overlay: Overlay
    owner: OwnerTag
    management_mac: str
    test_mac: str
    test_network: str
    management: FoundAddresses | None = None  # set once discovery found it
    timeline: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> GuestEndpoint:
        """Where the harness reaches the VM (PoolError before its address is known)."""
        if self.management is None:
            raise PoolError(f"{self.name.domain}: management address not discovered yet")
        return GuestEndpoint(self.name.domain, self.management)

    def note(self, text: str) -> None:
        """Add a timestamped line to the VM's timeline (saved with the evidence)."""
        self.timeline.append(f"{time.strftime('%H:%M:%S')} {text}")

    def test_addresses(
        self,
        *,
        versions: frozenset[int] = frozenset({4}),
        order: Sequence[AddressSource] = DEFAULT_ORDER,
        timeout: float = 120.0,
        interval: float = 2.0,
        clock: Clock = REAL_CLOCK,
    ) -> FoundAddresses:
        """The addresses Windows has on the test NIC (ask for {4, 6} on dual-stack)."""
        found = discover(
            self.domain,
            self.test_mac,
            versions=versions,
            order=order,
            timeout=timeout,
            interval=interval,
            clock=clock,
        )
        self.note(
            f"test NIC {found.mac}: {', '.join(map(str, found.addresses))} ({found.source.label})"
        )
        return found

    def resync_clock(self) -> ClockSync:
        sync = resync_clock(self.domain)
        self.note(f"clock resynced, guest was {sync.skew_seconds:+.1f} s off")
        return sync

    def checkpoint(self, name: str = CLEAN_SNAPSHOT) -> None:
        """Snapshot the running VM (module-scoped reuse)."""
        self.domain.create_snapshot(name, f"clean state of {self.name.domain}")
        self.note(f"snapshot {name} taken")

    def restore(self, name: str = CLEAN_SNAPSHOT) -> ClockSync:
        """Revert to snapshot NAME, running, and put the clock right again."""
        self.domain.revert_snapshot(name)
        self.note(f"reverted to snapshot {name}")
        return self.resync_clock()

    def collect_evidence(
        self, dest: Path, *, guest_logs: GuestLogCollector | None = None, screenshot: bool = True
    ) -> list[Path]:
        return collect_evidence(
            self.domain,
            dest,
            timeline=self.timeline,
            guest_logs=guest_logs,
            screenshot=screenshot,
        )
