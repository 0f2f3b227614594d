"""The libvirt VM pool as a lab inventory describes it: typed pool values, slots, reaping.

The inventory (infra/windows/inventory.py) is what an operator writes; the pool
(infra/windows/libvirt_pool/) takes typed values and never reads files. This module is the
one place that maps the first onto the second, following the table in vm-images/README.md:

    hypervisors[].name, uri, max_vms, virt_type -> HypervisorConfig name, uri, capacity, virt_type
    networks.management, networks.topologies   -> HypervisorNetworks (the same on every host)
    images[] (on the hypervisors it lists)      -> GoldenImage of that HypervisorConfig
    images[].uefi_loader + secure_boot          -> GoldenImage.uefi = UefiFirmware(...)
    images[].tpm: true                          -> GoldenImage.tpm = Tpm()
    images[].build 10.0.19045[.NNNN]            -> "10.0.19045" (the pool compares builds;
                                                   the revision changes with every update)

`os_variant` has no pool counterpart (the domain XML is the same for every Windows).
Anything the pool refuses raises InventoryMappingError naming the inventory field, e.g.
`lab.yaml: images[1].build: ...`.

`WorkerSlots` is the rule "one xdist worker holds one VM slot": on whichever hypervisor
holds the wanted golden image, preferring the one already held, spreading workers over
hosts, waiting for a slot only after every candidate host was tried.

`reap_vms(inventory)` runs the pool's reaper for every hypervisor of an inventory:
`python -m infra.windows.inventory_pool reap --inventory lab.yaml [--older-than S]`;
`... check --inventory lab.yaml` prints the mapping without contacting any host.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TextIO

from infra.windows import inventory as inv
from infra.windows.libvirt_pool.config import GoldenImage, HypervisorConfig
from infra.windows.libvirt_pool.errors import LeaseUnavailable, MissingResource, PoolError
from infra.windows.libvirt_pool.lease import preferred_slot
from infra.windows.libvirt_pool.naming import check_name
from infra.windows.libvirt_pool.networks import HypervisorNetworks
from infra.windows.libvirt_pool.owner import StalePredicate, older_than, owner_is_dead_here
from infra.windows.libvirt_pool.pool import WorkerVmSlot
from infra.windows.libvirt_pool.reaper import VmReapReport, reap_domains, reap_leases
from infra.windows.libvirt_pool.spec import VIRT_TYPES, Tpm, UefiFirmware
from infra.windows.libvirt_pool.virt import Hypervisor
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock, Deadline

_BUILD = re.compile(r"^(10\.0\.[0-9]{5})(?:\.[0-9]+)?$")


class InventoryMappingError(inv.InventoryError):
    """An inventory value the VM pool cannot use; names the inventory field."""


def _fail(inventory: inv.Inventory, field: str, message: str) -> InventoryMappingError:
    return InventoryMappingError(str(inventory.path), None, field, message)


def hypervisor_networks(inventory: inv.Inventory) -> HypervisorNetworks:
    """networks.management and networks.topologies (every hypervisor has the same names)."""
    return HypervisorNetworks(inventory.networks.management, dict(inventory.networks.topologies))


def golden_image(inventory: inv.Inventory, image: inv.GoldenImage) -> GoldenImage:
    """The pool's GoldenImage for one `images[]` entry of INVENTORY."""
    index = inventory.images.index(image)
    field = f"images[{index}]"
    match = _BUILD.match(image.build)
    if match is None:
        raise _fail(inventory, f"{field}.build", f"{image.build!r} is not like 10.0.19045")
    if not image.disk.startswith("/"):
        raise _fail(inventory, f"{field}.disk", "expected an absolute path on the hypervisor")
    machine = image.machine
    if (machine.uefi_loader is None) != (machine.vars_disk is None):
        raise _fail(inventory, f"{field}.uefi_loader", "UEFI needs both uefi_loader and vars_disk")
    if machine.secure_boot and machine.uefi_loader is None:
        raise _fail(inventory, f"{field}.secure_boot", "needs uefi_loader and vars_disk")
    uefi = (
        None
        if machine.uefi_loader is None
        else UefiFirmware(machine.uefi_loader, secure_boot=machine.secure_boot)
    )
    try:
        return GoldenImage(
            profile=image.profile,
            build=match.group(1),
            disk=image.disk,
            built=machine.built,
            uefi=uefi,
            vars_disk=machine.vars_disk,
            tpm=Tpm() if machine.tpm else None,
            memory_mib=machine.memory_mib,
            vcpus=machine.vcpus,
            max_age_days=machine.max_age_days,
        )
    except ValueError as exc:  # the pool's own checks (absolute disk path, ...)
        raise _fail(inventory, field, str(exc)) from None


def hypervisor_configs(
    inventory: inv.Inventory, *, lease_dir: Path | None = None
) -> tuple[HypervisorConfig, ...]:
    """One HypervisorConfig per `hypervisors[]` entry, holding the images that list it.

    LEASE_DIR is where the harness keeps slot leases (default: the pool's, under /tmp).
    """
    networks = hypervisor_networks(inventory)
    images = [(image, golden_image(inventory, image)) for image in inventory.images]
    configs = []
    for index, host in enumerate(inventory.hypervisors):
        field = f"hypervisors[{index}]"
        try:
            check_name("hypervisor name", host.name)
        except ValueError as exc:
            raise _fail(inventory, f"{field}.name", str(exc)) from None
        if host.max_vms < 1:
            raise _fail(inventory, f"{field}.max_vms", "the pool needs at least 1 VM slot")
        if host.virt_type not in VIRT_TYPES:
            raise _fail(inventory, f"{field}.virt_type", f"{host.virt_type!r} is not kvm or qemu")
        held = tuple(pool for image, pool in images if host.name in image.hypervisors)
        try:
            configs.append(
                HypervisorConfig(
                    name=host.name,
                    uri=host.uri,
                    capacity=host.max_vms,
                    networks=networks,
                    images=held,
                    virt_type=host.virt_type,
                    lease_dir=None if lease_dir is None else str(lease_dir),
                )
            )
        except ValueError as exc:
            raise _fail(inventory, field, str(exc)) from None
    return tuple(configs)


def describe_mapping(configs: Sequence[HypervisorConfig]) -> list[str]:
    """Human-readable lines: what each hypervisor offers the pool (for `check`)."""
    lines = []
    for c in configs:
        nets = ", ".join(f"{k.value}={v}" for k, v in c.networks.topologies.items())
        lines.append(
            f"{c.name}: {c.uri} capacity {c.capacity} ({c.virt_type}); "
            f"management {c.networks.management}; topologies {nets}"
        )
        for image in c.images:
            extras = [f"{image.memory_mib} MiB", f"{image.vcpus} vCPU"]
            if image.uefi is not None:
                boot = "UEFI+SecureBoot" if image.uefi.secure_boot else "UEFI"
                extras.append(f"{boot} {image.uefi.loader}, VARS {image.vars_disk}")
            if image.tpm is not None:
                extras.append("TPM 2.0")
            built = f"built {image.built}" if image.built else "no build date"
            lines.append(
                f"  {image.profile}: {image.disk} ({image.build}, {built}, "
                f"max {image.max_age_days} days; {', '.join(extras)})"
            )
        if not c.images:
            lines.append("  (no golden image lists this hypervisor)")
    return lines


class WorkerSlots:
    """The one VM slot an xdist worker holds, on a hypervisor that has the wanted image.

    Acquired lazily by `slot_for`; kept while the next profile is on the same host (so a
    worker's VMs come from one connection and one slot); given back before moving to
    another host, so a worker never holds more than one slot of the lab's capacity.
    """

    def __init__(
        self,
        configs: Sequence[HypervisorConfig],
        *,
        run_id: str,
        worker: str,
        lease_timeout: float = 1800.0,
        interval: float = 5.0,
        clock: Clock = REAL_CLOCK,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.configs = tuple(configs)
        self.run_id = run_id
        self.worker = worker
        self.lease_timeout = lease_timeout
        self.interval = interval
        self.clock = clock
        self.today = today
        self.held: WorkerVmSlot | None = None

    def candidates(self, profile: str) -> list[HypervisorConfig]:
        """Hypervisors holding PROFILE's image, starting at this worker's preferred one."""
        found = [c for c in self.configs if any(i.profile == profile for i in c.images)]
        if not found:
            offered = "; ".join(
                f"{c.name}: {', '.join(i.profile for i in c.images) or 'none'}"
                for c in self.configs
            )
            raise MissingResource(
                f"no hypervisor holds a golden image for profile {profile!r} ({offered})"
            )
        first = preferred_slot(self.worker, len(found))
        return found[first:] + found[:first]

    def slot_for(self, profile: str) -> WorkerVmSlot:
        """The held slot if its host has PROFILE's image, else a slot on a host that has.

        Every candidate host is tried without waiting first; only if all are full does
        it wait (up to lease_timeout) for one of them. Unreachable hosts are not retried.
        """
        order = self.candidates(profile)
        if self.held is not None:
            if any(c.name == self.held.config.name for c in order):
                return self.held
            self.release()
        problems: list[PoolError] = []
        full: dict[str, LeaseUnavailable] = {}
        deadline = Deadline(self.lease_timeout, self.clock)
        busy = order
        while True:
            for config in busy:
                try:
                    return self._acquire(config, 0)
                except LeaseUnavailable as exc:
                    full[config.name] = exc
                except PoolError as exc:
                    problems.append(exc)
            busy = [c for c in busy if c.name in full]
            if len(busy) == 1 and not problems:  # one host: its own wait names the holders
                return self._acquire(busy[0], deadline.remaining())
            if not busy or deadline.expired():
                break
            deadline.pause(self.interval)
        if busy:
            problems.append(
                LeaseUnavailable(
                    f"waited {self.lease_timeout:g} s for a free VM slot on "
                    f"{', '.join(c.name for c in busy)}: "
                    + "; ".join(str(full[c.name]) for c in busy)
                )
            )
        if len(problems) == 1:
            raise problems[0]
        raise PoolError(
            f"no hypervisor could give a VM slot for {profile}: "
            + "; ".join(str(p) for p in problems)
        )

    def _acquire(self, config: HypervisorConfig, timeout: float) -> WorkerVmSlot:
        self.held = WorkerVmSlot.acquire(
            config,
            run_id=self.run_id,
            worker=self.worker,
            lease_timeout=timeout,
            clock=self.clock,
            today=self.today,
        )
        return self.held

    def release(self) -> None:
        """Give the held slot back (discarding any VM still alive in it). Idempotent."""
        held, self.held = self.held, None
        if held is not None:
            held.release()


def reap_vms(
    inventory_path: str | Path,
    *,
    lease_dir: Path | None = None,
    stale: StalePredicate = owner_is_dead_here,
    connect: Callable[[str], AbstractContextManager[Hypervisor]] = Hypervisor.open,
) -> VmReapReport:
    """Remove what killed runs left on every hypervisor of the inventory at INVENTORY_PATH.

    First the stale slot lease records of those hypervisors (they also name overlays
    whose domain never started), then every domain whose owner tag STALE judges abandoned.
    Never raises for an unreachable host: the report's `errors` say which and why.
    Raises InventoryError for an unusable inventory.
    """
    inventory = inv.load_inventory(inventory_path)
    hypervisor_configs(inventory)  # the same validation a run does
    names = [h.name for h in inventory.hypervisors]
    report = reap_leases(lease_dir, connect=connect, hypervisors=names)
    for host in inventory.hypervisors:
        try:
            with connect(host.uri) as hv:
                one = reap_domains(hv, stale=stale)
        except PoolError as exc:
            report.errors.append(f"{host.name}: {exc}")
            continue
        report.domains += one.domains
        report.volumes += one.volumes
        report.skipped += one.skipped
        report.errors += [f"{host.name}: {e}" for e in one.errors]
    return report


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """`reap` (exit 1 if anything could not be reaped) or `check` (exit 2: bad inventory)."""
    stream = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m infra.windows.inventory_pool",
        description="The libvirt VM pool of a lab inventory.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    reap = commands.add_parser("reap", help="remove VMs and overlays of killed runs")
    check = commands.add_parser("check", help="show what the pool makes of the inventory")
    for sub in (reap, check):
        sub.add_argument("--inventory", required=True, type=Path, help="lab inventory file")
    reap.add_argument("--lease-dir", type=Path, default=None, help="slot lease directory")
    reap.add_argument(
        "--older-than",
        type=int,
        default=None,
        metavar="SECONDS",
        help="also reap VMs of other harness hosts created more than SECONDS ago",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            configs = hypervisor_configs(inv.load_inventory(args.inventory))
            print("\n".join(describe_mapping(configs)), file=stream)
            return 0
        stale = owner_is_dead_here if args.older_than is None else older_than(args.older_than)
        report = reap_vms(args.inventory, lease_dir=args.lease_dir, stale=stale)
    except inv.InventoryError as exc:
        print(f"error: {exc}", file=stream)
        return 2
    print(report.summary() if report else "nothing to reap", file=stream)
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
