"""Turn `--inventory lab.yaml` into a factory of `windows` clients, one per matrix cell.

`windows_client_factory(config)` loads and validates the inventory once and returns
`make(cell, lab) -> WindowsClient`, which finds the golden image for the cell's client
profile, leases a VM of it on the cell's topology network, opens the inventory's
transport with credentials from the environment, waits until the guest is ready
(RasMan, IKEEXT, BFE, PolicyAgent running; infra.windows.transports.probe) and checks the
guest's build against the image's. Whatever cannot be had raises `NoVmAvailable` with the
reason, so the fixture layer can report it.

Where VMs come from is a `VmProvider`. This module ships the one for `vms:` entries of the
inventory (pre-provisioned VMs, leased across xdist workers with a file lock each); the
libvirt pool (infra/windows/libvirt_pool*) provides throw-away VMs behind the same
protocol and is passed in as `provider=`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from infra.cell import Cell
from infra.clients.protocol import WindowsClient
from infra.clients.windows import WindowsVmClient
from infra.lab.lab import Lab
from infra.lab.topology import TopologyKind
from infra.windows.inventory import GoldenImage, Inventory, StaticVm, load_inventory
from infra.windows.transports import Transport, open_transport, resolve_credentials
from infra.windows.transports.probe import GuestFacts, wait_ready

log = logging.getLogger(__name__)

DEFAULT_LOCK_DIR = Path("/run/lock/winterop")
"""Lock files of leased static VMs (FHS /run/lock: cleared at boot, shared by workers)."""

ClientFactory = Callable[[Cell, Lab], WindowsClient]


class NoVmAvailable(RuntimeError):
    """No VM can serve a cell; the message says what was looked for and what exists."""


class OptionSource(Protocol):
    """What the factory needs of pytest.Config (kept structural: infra does not import pytest)."""

    def getoption(self, name: str) -> Any: ...


class VmLease(Protocol):
    """A VM held for one client: where to reach it and how to give it back."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str:
        """Management address the transports connect to."""
        ...

    @property
    def image(self) -> GoldenImage: ...

    @property
    def disposable(self) -> bool:
        """True when the VM is thrown away after release (no cleanup needed)."""
        ...

    def release(self) -> None: ...


class VmProvider(Protocol):
    def lease(self, image: GoldenImage, topology: TopologyKind, lab: Lab) -> VmLease:
        """A VM booted from IMAGE whose test NIC is on TOPOLOGY's network next to LAB's
        gateway; raise NoVmAvailable with the reason when there is none."""
        ...


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
                " and no libvirt pool was given to create one"
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


class WrongBuild(NoVmAvailable):
    """The leased VM runs another Windows build than its golden image says."""


def _check_build(image: GoldenImage, facts: GuestFacts, lease: VmLease) -> None:
    expected = image.build.split(".")[:3]
    seen = facts.os_version.split(".")[:3]
    if seen != expected:
        raise WrongBuild(
            f"VM {lease.name} ({lease.address}) runs Windows {facts.os_version} "
            f"({facts.caption}), but image {image.name!r} (profile {image.profile}) says "
            f"{image.build}: fix the inventory or rebuild the image"
        )


TransportOpener = Callable[..., Transport]


def make_factory(
    inventory: Inventory,
    provider: VmProvider | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    opener: TransportOpener = open_transport,
) -> ClientFactory:
    """The per-cell factory for an already loaded inventory (see module docstring).

    `opener` builds transports (`open_transport`'s signature); tests pass a double.
    """
    vms = provider or StaticVmProvider(inventory)
    env = os.environ if environ is None else environ

    def make(cell: Cell, lab: Lab) -> WindowsClient:
        image = inventory.image_for_profile(cell.profile)
        if image is None:
            profiles = ", ".join(i.profile for i in inventory.images)
            raise NoVmAvailable(
                f"{inventory.path}: no golden image serves client profile {cell.profile!r} "
                f"(images serve: {profiles})"
            )
        if cell.topology not in inventory.networks.topologies:
            raise NoVmAvailable(
                f"{inventory.path}: networks.topologies names no {cell.topology.value} network"
            )
        lease = vms.lease(image, cell.topology, lab)
        transports: list[Transport] = []
        try:
            admin = resolve_credentials(inventory.admin, env)
            choice = inventory.transport
            transport = opener(
                choice.kind, lease.address, admin, wsman=choice.wsman, ssh=choice.ssh
            )
            transports.append(transport)
            facts = wait_ready(transport, inventory.timeouts.ready)
            _check_build(image, facts, lease)
            user_transport = None
            test_user = None
            if inventory.test_user is not None:
                user_creds = resolve_credentials(inventory.test_user, env)
                test_user = user_creds.user
                if choice.user_kind is not None:
                    user_transport = opener(
                        choice.user_kind, lease.address, user_creds, ssh=choice.ssh
                    )
                    transports.append(user_transport)
            return WindowsVmClient(
                transport,
                profile=cell.profile,
                user_transport=user_transport,
                test_user=test_user,
                timeouts=inventory.timeouts,
                disposable=lease.disposable,
                on_close=lease.release,
            )
        except BaseException:
            for opened in transports:
                opened.close()
            lease.release()
            raise

    return make


_FACTORIES: weakref.WeakKeyDictionary[Any, ClientFactory] = weakref.WeakKeyDictionary()


def windows_client_factory(
    config: OptionSource,
    *,
    provider: VmProvider | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientFactory:
    """The factory for `pytest --clients windows --inventory FILE` (one per config).

    Raises InventoryError (file, line, field) for a bad inventory, ValueError without
    --inventory (the fixture layer skips the windows kind before calling this).
    """
    cached = _FACTORIES.get(config) if provider is None and environ is None else None
    if cached is not None:
        return cached
    path = config.getoption("--inventory")
    if path is None:
        raise ValueError("the windows client kind needs --inventory (a lab inventory file)")
    factory = make_factory(load_inventory(Path(str(path))), provider, environ=environ)
    if provider is None and environ is None:
        # An option source that cannot be weakly referenced is simply not cached.
        with contextlib.suppress(TypeError):
            _FACTORIES[config] = factory
    return factory
