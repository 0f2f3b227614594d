"""The owner tag: who created a VM, kept in the domain's own `<metadata>`.

A transient domain outlives the harness that created it if the harness is killed (unless
libvirt's AUTODESTROY could be used), and a hypervisor is shared by runs from several
harness hosts. So every domain the pool creates carries, in its metadata under winterop's
own XML namespace, the run id, the xdist worker, the slot, the harness host (hostname and
boot id) with the PID and start time of the owning process, and the volumes made for it.
The reaper (reaper.py) decides from this tag alone; a domain without it is never touched.

Why PID *and* start time: PIDs are reused (see infra.proc); why the boot id: a PID from
an earlier boot of the same host means nothing.
"""

from __future__ import annotations

import os
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from infra.proc import ProcessId

NAMESPACE = "urn:x-winterop:libvirt-owner:1"
XML_PREFIX = "winterop"
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class VolumeRef:
    """A storage volume by pool and name (no file paths: they differ across hosts)."""

    pool: str
    name: str


@dataclass(frozen=True)
class Harness:
    """The process that owns a VM: host, boot, PID and PID start time."""

    host: str
    boot_id: str
    pid: int
    start_time: int

    @classmethod
    def current(cls) -> Harness:
        me = ProcessId.of(os.getpid())
        assert me is not None, "own /proc entry must exist"
        return cls(socket.gethostname(), boot_id(), me.pid, me.start_time)

    def is_local(self) -> bool:
        """True if this record was written on this host during this boot."""
        return self.host == socket.gethostname() and self.boot_id == boot_id()

    def alive(self) -> bool:
        """True while the owning process still runs (only meaningful when is_local())."""
        return ProcessId(self.pid, self.start_time).alive()


def boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return "unknown"


@dataclass(frozen=True)
class OwnerTag:
    """Everything the reaper needs to know about one VM, and nothing secret."""

    run_id: str
    worker: str
    slot: int
    hypervisor: str
    profile: str
    harness: Harness
    created: int = field(default_factory=lambda: int(time.time()))
    volumes: tuple[VolumeRef, ...] = ()

    def to_element(self) -> ET.Element:
        """The `<winterop:owner>` element for the domain's `<metadata>`."""
        root = ET.Element(f"{XML_PREFIX}:owner", {f"xmlns:{XML_PREFIX}": NAMESPACE})
        ET.SubElement(
            root,
            f"{XML_PREFIX}:run",
            {"id": self.run_id, "worker": self.worker, "slot": str(self.slot)},
        )
        ET.SubElement(
            root, f"{XML_PREFIX}:image", {"hypervisor": self.hypervisor, "profile": self.profile}
        )
        ET.SubElement(
            root,
            f"{XML_PREFIX}:harness",
            {
                "host": self.harness.host,
                "boot": self.harness.boot_id,
                "pid": str(self.harness.pid),
                "start": str(self.harness.start_time),
                "created": str(self.created),
            },
        )
        for vol in self.volumes:
            ET.SubElement(root, f"{XML_PREFIX}:volume", {"pool": vol.pool, "name": vol.name})
        return root

    @classmethod
    def from_xml(cls, text: str) -> OwnerTag:
        """Parse the element (as virDomainGetMetadata or the domain XML gives it).

        Raises ValueError for anything that is not a complete winterop owner tag.
        """
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise ValueError(f"owner tag is not XML: {exc}") from exc
        if _local(root.tag) != "owner":
            raise ValueError(f"not an owner tag: <{root.tag}>")
        parts = {_local(child.tag): child for child in root}
        try:
            run, image, harness = parts["run"], parts["image"], parts["harness"]
            return cls(
                run_id=run.attrib["id"],
                worker=run.attrib["worker"],
                slot=int(run.attrib["slot"]),
                hypervisor=image.attrib["hypervisor"],
                profile=image.attrib["profile"],
                harness=Harness(
                    host=harness.attrib["host"],
                    boot_id=harness.attrib["boot"],
                    pid=int(harness.attrib["pid"]),
                    start_time=int(harness.attrib["start"]),
                ),
                created=int(harness.attrib["created"]),
                volumes=tuple(
                    VolumeRef(c.attrib["pool"], c.attrib["name"])
                    for c in root
                    if _local(c.tag) == "volume"
                ),
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"incomplete owner tag ({exc!r}): {text[:200]}") from exc


def _local(tag: str) -> str:
    """Tag name without '{namespace}' or 'prefix:'."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


StalePredicate = Callable[[OwnerTag], bool]


def owner_is_dead_here(tag: OwnerTag) -> bool:
    """Default reaper rule: the owner ran on this host, this boot, and is gone."""
    return tag.harness.is_local() and not tag.harness.alive()


def older_than(seconds: int, *, now: Callable[[], float] = time.time) -> StalePredicate:
    """Operator rule for VMs of other harness hosts: created more than SECONDS ago."""

    def stale(tag: OwnerTag) -> bool:
        return owner_is_dead_here(tag) or (
            not tag.harness.is_local() and now() - tag.created > seconds
        )

    return stale
