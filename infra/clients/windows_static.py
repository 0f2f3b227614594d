"""The inventory's pre-provisioned VMs (`vms:`) as a VmProvider, shared by xdist workers.

A static VM is not thrown away after a test, so it is leased whole: one client at a
time, across every worker of the run, through a file lock per VM.
"""

from __future__ import annotations

import fcntl
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from infra.clients.windows_provider import NoVmAvailable
from infra.lab.lab import Lab
from infra.lab.topology import TopologyKind
from infra.windows.inventory import GoldenImage, Inventory, StaticVm

log = logging.getLogger(__name__)

DEFAULT_LOCK_DIR = Path("/run/lock/winterop")
"""Lock files of leased static VMs (FHS /run/lock: cleared at boot, shared by workers)."""


@dataclass
class StaticLease:
    """A static VM held through an exclusive lock on its lock file."""

    vm: StaticVm
    image: GoldenImage
    lock: IO[str] = field(repr=False)
    disposable: bool = False

    @property
    def name(self) -> str:
        return self.vm.name

    @property
    def address(self) -> str:
        return self.vm.address

    def release(self) -> None:
        if not self.lock.closed:
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            self.lock.close()


class StaticVmProvider:
    """Leases the inventory's pre-provisioned VMs: first free one of the image and topology.

    A VM is busy while some process (any xdist worker) holds the flock(2) on its lock file;
    the kernel drops the lock when that process dies, so a killed run frees its VMs.
    """

    def __init__(self, inventory: Inventory, lock_dir: Path = DEFAULT_LOCK_DIR) -> None:
        self.inventory = inventory
        self.lock_dir = lock_dir

    def lease(self, image: GoldenImage, topology: TopologyKind, lab: Lab) -> StaticLease:
        candidates = [
            vm for vm in self.inventory.vms if vm.image == image.name and vm.topology is topology
        ]
        if not candidates:
            raise NoVmAvailable(
                f"{self.inventory.path}: no VM of image {image.name!r} on the {topology.value} "
                f"network among vms: ({', '.join(v.name for v in self.inventory.vms) or 'none'})"
            )
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        for vm in candidates:
            lock = (self.lock_dir / f"{vm.name}.lock").open("a")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            log.info("leased static VM %s (%s) for %s", vm.name, vm.address, lab.name)
            return StaticLease(vm=vm, image=image, lock=lock)
        raise NoVmAvailable(
            f"every VM of image {image.name!r} on the {topology.value} network is in use "
            f"({', '.join(v.name for v in candidates)}); run fewer xdist workers or add VMs"
        )
