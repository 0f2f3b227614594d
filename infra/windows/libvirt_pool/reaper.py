"""Remove the VMs and overlays of killed runs, by owner tag only.

Two sources of truth, both written by the pool itself:

* the owner tag in each domain's `<metadata>` (owner.py): a domain is removed only if it
  carries winterop's tag and the tag's owner is stale (default: the owning process ran on
  this harness host, this boot, and is gone; `owner.older_than` for other hosts' runs).
  Its volumes are the ones the tag lists. Domains without the tag are never touched,
  whatever their name;
* the write-ahead lease records (lease.py): a record whose slot lock nobody holds names
  the domains and volumes a killed holder had created or was about to create, including
  an overlay whose domain never started. A named domain is removed only if its own tag
  says it belongs to that same holder.

Either way a volume is deleted only if its name is one the pool gives volumes (`wo-`
prefix, overlay or VARS suffix), so a corrupt tag cannot reach a golden image.

Command line: `python -m infra.windows.libvirt_pool.reaper --uri qemu+ssh://... [--older-than S]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from infra.windows.libvirt_pool.errors import DomainGone, PoolError
from infra.windows.libvirt_pool.lease import LeaseRecord, default_lease_dir, stale_slots
from infra.windows.libvirt_pool.naming import is_pool_volume_name
from infra.windows.libvirt_pool.overlay import delete_volumes
from infra.windows.libvirt_pool.owner import (
    NAMESPACE,
    OwnerTag,
    StalePredicate,
    VolumeRef,
    older_than,
    owner_is_dead_here,
)
from infra.windows.libvirt_pool.virt import Domain, Hypervisor


@dataclass
class VmReapReport:
    """What one reaper pass removed or refused, for a log line."""

    domains: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    records: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.domains or self.volumes or self.records or self.errors)

    def summary(self) -> str:
        text = (
            f"reaped {len(self.domains)} VM(s), {len(self.volumes)} volume(s), "
            f"{len(self.records)} lease record(s)"
        )
        if self.skipped:
            text += f"; left alone: {'; '.join(self.skipped)}"
        if self.errors:
            text += f"; errors: {'; '.join(self.errors)}"
        return text


def read_owner(domain: Domain) -> OwnerTag | None:
    """DOMAIN's winterop owner tag, or None if it has none (or an unreadable one)."""
    try:
        text = domain.metadata_element(NAMESPACE)
        return None if text is None else OwnerTag.from_xml(text)
    except (ValueError, DomainGone):
        return None


def remove_domain(domain: Domain) -> None:
    """Destroy DOMAIN if running, undefine it if persistent; already gone is fine."""
    try:
        if domain.is_active():
            domain.destroy()
        if domain.is_persistent():
            domain.undefine()
    except DomainGone:
        pass


def _delete_pool_volumes(hv: Hypervisor, refs: Sequence[VolumeRef], report: VmReapReport) -> None:
    ours = tuple(r for r in refs if is_pool_volume_name(r.name))
    report.skipped.extend(
        f"volume {r.pool}/{r.name} (not a pool name)" for r in refs if r not in ours
    )
    deleted, problems = delete_volumes(hv, ours)
    report.errors.extend(problems)
    report.volumes.extend(f"{r.pool}/{r.name}" for r in deleted)


def reap_domains(hv: Hypervisor, *, stale: StalePredicate = owner_is_dead_here) -> VmReapReport:
    """Remove every domain on HV whose owner tag STALE judges abandoned, and its volumes."""
    report = VmReapReport()
    for domain in hv.domains():
        tag = read_owner(domain)
        if tag is None or not stale(tag):
            continue
        try:
            remove_domain(domain)
        except PoolError as exc:
            report.errors.append(f"{domain.name}: {exc}")
            continue
        report.domains.append(domain.name)
        _delete_pool_volumes(hv, tag.volumes, report)
    return report


def reap_record(hv: Hypervisor, record: LeaseRecord, report: VmReapReport) -> None:
    """Remove what a dead lease holder's RECORD names (domains only if their tag agrees)."""
    for name in record.domains:
        domain = hv.find_domain(name)
        if domain is None:
            continue
        tag = read_owner(domain)
        if tag is None or (tag.run_id, tag.worker, tag.harness) != (
            record.run_id,
            record.worker,
            record.harness,
        ):
            report.skipped.append(f"domain {name} (its owner tag is not the record's holder)")
            continue
        remove_domain(domain)
        report.domains.append(name)
    _delete_pool_volumes(hv, record.volumes, report)


def reap_leases(
    lease_dir: Path | None = None,
    *,
    connect: Callable[[str], AbstractContextManager[Hypervisor]] = Hypervisor.open,
    hypervisors: Collection[str] | None = None,
) -> VmReapReport:
    """Reap every stale lease record under LEASE_DIR (all hypervisors, or only those named
    in HYPERVISORS: one inventory's, so another lab's unreachable host is not contacted).

    CONNECT opens the record's URI as a context manager (default: a new connection).
    """
    report = VmReapReport()
    root = lease_dir or default_lease_dir()
    for directory in sorted(p for p in root.glob("*") if p.is_dir()):
        if hypervisors is not None and directory.name not in hypervisors:
            continue
        for lease in stale_slots(directory):
            record = lease.predecessor
            assert record is not None
            try:
                with connect(record.uri) as hv:
                    reap_record(hv, record, report)
            except PoolError as exc:
                report.errors.append(f"{lease.record_path}: {exc}")
                lease.release(keep_record=True)
                continue
            report.records.append(lease.record_path)
            lease.release()
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", action="append", default=[], help="hypervisor URI (repeatable)")
    parser.add_argument("--lease-dir", type=Path, default=None, help="slot lease directory")
    parser.add_argument(
        "--older-than",
        type=int,
        default=None,
        metavar="SECONDS",
        help="also reap VMs of other harness hosts created more than SECONDS ago",
    )
    args = parser.parse_args(argv)
    stale = owner_is_dead_here if args.older_than is None else older_than(args.older_than)
    report = reap_leases(args.lease_dir)
    for uri in args.uri:
        try:
            with Hypervisor.open(uri) as hv:
                one = reap_domains(hv, stale=stale)
        except PoolError as exc:
            report.errors.append(str(exc))
            continue
        report.domains += one.domains
        report.volumes += one.volumes
        report.skipped += one.skipped
        report.errors += one.errors
    print(report.summary() if report else "nothing to reap")
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
