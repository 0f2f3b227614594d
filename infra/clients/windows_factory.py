"""Turn `--inventory lab.yaml` into a factory of `windows` clients, one per matrix cell.

`windows_client_factory(config)` loads and validates the inventory once and returns
`make(cell, lab) -> WindowsClient`, which finds the golden image for the cell's client
profile, leases a VM of it on the cell's topology network, opens the inventory's
transport with credentials from the environment, waits until the guest is ready
(RasMan, IKEEXT, BFE, PolicyAgent running; infra.windows.transports.probe) and checks the
guest's build against the image's. Whatever cannot be had raises `NoVmAvailable` with the
reason, so the fixture layer can report it.

Where VMs come from is a `VmProvider`:

* `LibvirtVmProvider` (the default): throw-away VMs from the libvirt pool on the
  inventory's hypervisors (infra/windows/libvirt_pool, mapped by inventory_pool). One VM
  slot per xdist worker, taken on first use and given back when the session ends; a
  fresh overlay and transient domain per test, or, with `reuse=True`, the same VM
  reverted to its clean snapshot for the next test of the same image and topology
  (per module, in practice) where the hypervisor can snapshot it.
* `StaticVmProvider` (windows_static): the inventory's `vms:` (pre-provisioned VMs,
  leased across xdist workers with a file lock each). An inventory that lists `vms:` gets
  those first and the pool for whatever they do not serve (`StaticFirstVmProvider`).

The provider contract (VmProvider, VmLease, NoVmAvailable) is in windows_provider; the
pool's provider, lease and client in windows_pool.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from infra.cell import Cell
from infra.clients.protocol import WindowsClient
from infra.clients.windows import WindowsVmClient
from infra.clients.windows_pool import LibvirtLease, LibvirtVmProvider, PooledVmClient
from infra.clients.windows_provider import NoVmAvailable, TransportOpener, VmLease, VmProvider
from infra.clients.windows_static import StaticVmProvider
from infra.lab.lab import Lab
from infra.lab.topology import TopologyKind
from infra.windows.inventory import GoldenImage, Inventory, load_inventory
from infra.windows.transports import Transport, open_transport, resolve_credentials
from infra.windows.transports.probe import GuestFacts, wait_ready

log = logging.getLogger(__name__)

ClientFactory = Callable[[Cell, Lab], WindowsClient]


class OptionSource(Protocol):
    """What the factory needs of pytest.Config (kept structural: infra does not import pytest)."""

    def getoption(self, name: str) -> Any: ...


@runtime_checkable
class ClosableProvider(Protocol):
    def close(self) -> None: ...


class StaticFirstVmProvider:
    """An inventory with `vms:`: its static VMs first, the libvirt pool for the rest."""

    def __init__(self, static: StaticVmProvider, pool: LibvirtVmProvider) -> None:
        self.static = static
        self.pool = pool

    def lease(self, image: GoldenImage, topology: TopologyKind, lab: Lab) -> VmLease:
        try:
            return self.static.lease(image, topology, lab)
        except NoVmAvailable as static_reason:
            try:
                return self.pool.lease(image, topology, lab)
            except NoVmAvailable as pool_reason:
                raise NoVmAvailable(f"{static_reason}; and {pool_reason}") from pool_reason

    def close(self) -> None:
        self.pool.close()


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


def default_provider(
    inventory: Inventory,
    *,
    environ: Mapping[str, str] | None = None,
    opener: TransportOpener = open_transport,
    worker: str = "main",
    run_id: str | None = None,
    evidence_root: Path | None = None,
) -> LibvirtVmProvider | StaticFirstVmProvider:
    """The libvirt pool on the inventory's hypervisors; static `vms:` first if it lists any."""
    pool = LibvirtVmProvider(
        inventory,
        worker=worker,
        run_id=run_id,
        environ=environ,
        opener=opener,
        evidence_root=evidence_root,
    )
    if not inventory.vms:
        return pool
    return StaticFirstVmProvider(StaticVmProvider(inventory), pool)


class WindowsClientFactory:
    """`factory(cell, lab) -> WindowsClient` (see module docstring); `close()` at session end
    gives back what the provider holds if the factory made it."""

    def __init__(
        self,
        inventory: Inventory,
        provider: VmProvider,
        *,
        environ: Mapping[str, str],
        opener: TransportOpener,
        owns_provider: bool,
    ) -> None:
        self.inventory = inventory
        self.provider = provider
        self.environ = environ
        self.opener = opener
        self.owns_provider = owns_provider

    def __call__(self, cell: Cell, lab: Lab) -> WindowsClient:
        inventory = self.inventory
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
        lease = self.provider.lease(image, cell.topology, lab)
        transports: list[Transport] = []
        try:
            admin = resolve_credentials(inventory.admin, self.environ)
            choice = inventory.transport
            transport = self.opener(
                choice.kind, lease.address, admin, wsman=choice.wsman, ssh=choice.ssh
            )
            transports.append(transport)
            facts = wait_ready(transport, inventory.timeouts.ready)
            _check_build(image, facts, lease)
            user_transport = None
            test_user = None
            if inventory.test_user is not None:
                user_creds = resolve_credentials(inventory.test_user, self.environ)
                test_user = user_creds.user
                if choice.user_kind is not None:
                    user_transport = self.opener(
                        choice.user_kind, lease.address, user_creds, ssh=choice.ssh
                    )
                    transports.append(user_transport)
            if isinstance(lease, LibvirtLease):
                return PooledVmClient(
                    transport,
                    lease=lease,
                    profile=cell.profile,
                    user_transport=user_transport,
                    test_user=test_user,
                    timeouts=inventory.timeouts,
                    disposable=True,
                    on_close=lease.release,
                )
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

    def close(self) -> None:
        if self.owns_provider and isinstance(self.provider, ClosableProvider):
            self.provider.close()


def make_factory(
    inventory: Inventory,
    provider: VmProvider | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    opener: TransportOpener = open_transport,
    worker: str = "main",
    run_id: str | None = None,
    evidence_root: Path | None = None,
) -> WindowsClientFactory:
    """The per-cell factory for an already loaded inventory (see module docstring).

    Without PROVIDER the factory makes (and owns) `default_provider`'s; WORKER, RUN_ID and
    EVIDENCE_ROOT go to it. `opener` builds transports (`open_transport`'s signature);
    tests pass a double.
    """
    env = os.environ if environ is None else environ
    owns = provider is None
    vms = provider or default_provider(
        inventory,
        environ=env,
        opener=opener,
        worker=worker,
        run_id=run_id,
        evidence_root=evidence_root,
    )
    return WindowsClientFactory(inventory, vms, environ=env, opener=opener, owns_provider=owns)


_FACTORIES: weakref.WeakKeyDictionary[Any, ClientFactory] = weakref.WeakKeyDictionary()


def run_identity(config: OptionSource) -> tuple[str, str | None]:
    """(xdist worker id or 'main', the run id if the config carries one).

    Workers get the run id from xdist's workerinput (fixtures/options.py puts it there);
    a run without xdist has it in WINTEROP_RUN_ID or else in its labs' names.
    """
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, Mapping):
        run_id = workerinput.get("winterop_run_id")
        return str(workerinput.get("workerid", "main")), None if run_id is None else str(run_id)
    return "main", os.environ.get("WINTEROP_RUN_ID") or None


def evidence_root(config: OptionSource) -> Path | None:
    """--evidence-dir, resolved against the pytest root as fixtures/evidence.py does."""
    rootpath = getattr(config, "rootpath", None)
    if not isinstance(rootpath, Path):
        return None
    try:
        option = config.getoption("--evidence-dir")
    except ValueError:  # pytest: no such option (winterop's plugin not loaded)
        return None
    if option is None:
        return None
    root = Path(str(option))
    return root if root.is_absolute() else rootpath / root


def _close_at_session_end(config: OptionSource, factory: WindowsClientFactory) -> None:
    """Give the worker's VM slot back when pytest unconfigures (atexit otherwise)."""

    def close() -> None:
        try:
            factory.close()
        except Exception as exc:  # the session is over; the reaper gets what is left
            log.error(
                "giving back the windows VMs of %s failed: %s; run `python -m "
                "infra.windows.inventory_pool reap --inventory %s`",
                factory.inventory.path,
                exc,
                factory.inventory.path,
            )

    add_cleanup = getattr(config, "add_cleanup", None)
    if callable(add_cleanup):
        add_cleanup(close)
    else:
        atexit.register(close)


def windows_client_factory(
    config: OptionSource,
    *,
    provider: VmProvider | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientFactory:
    """The factory for `pytest --clients windows --inventory FILE` (one per config).

    Raises InventoryError (file, line, field) for a bad inventory, ValueError without
    --inventory (the fixture layer skips the windows kind before calling this). The VMs it
    leases are given back when the config is cleaned up (pytest unconfigure).
    """
    cached = _FACTORIES.get(config) if provider is None and environ is None else None
    if cached is not None:
        return cached
    path = config.getoption("--inventory")
    if path is None:
        raise ValueError("the windows client kind needs --inventory (a lab inventory file)")
    worker, run_id = run_identity(config)
    factory = make_factory(
        load_inventory(Path(str(path))),
        provider,
        environ=environ,
        worker=worker,
        run_id=run_id,
        evidence_root=evidence_root(config),
    )
    if provider is None:
        _close_at_session_end(config, factory)
    if provider is None and environ is None:
        # An option source that cannot be weakly referenced is simply not cached.
        with contextlib.suppress(TypeError):
            _FACTORIES[config] = factory
    return factory
