"""Throw-away disks: a qcow2 overlay on the golden image, and a copy of its UEFI VARS.

Both are made through libvirt's storage API (a volume with a `<backingStore>`, and
virStorageVolCreateXMLFrom for the VARS), not with `qemu-img` on a local path, so the same
code works on a remote hypervisor over qemu+ssh:// where no harness path exists. The
overlay starts empty (allocation 0) and receives every write of the test, so the golden
image is never modified and discarding a VM is deleting two volumes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from infra.windows.libvirt_pool.config import GoldenImage
from infra.windows.libvirt_pool.errors import MissingResource, PoolError
from infra.windows.libvirt_pool.naming import VmName
from infra.windows.libvirt_pool.owner import VolumeRef
from infra.windows.libvirt_pool.virt import Hypervisor, StoragePool, Volume


@dataclass(frozen=True)
class Overlay:
    """The volumes one VM owns, with their paths on the hypervisor."""

    disk: VolumeRef
    disk_path: str
    nvram: VolumeRef | None = None
    nvram_path: str | None = None

    @property
    def refs(self) -> tuple[VolumeRef, ...]:
        return (self.disk,) if self.nvram is None else (self.disk, self.nvram)


@dataclass(frozen=True)
class Golden:
    """A golden image resolved on one hypervisor: its storage pool and volumes."""

    image: GoldenImage
    pool: StoragePool
    disk: Volume
    vars: Volume | None

    def planned_refs(self, vm: VmName) -> tuple[VolumeRef, ...]:
        """The volumes create_overlay will make (known before, for write-ahead records)."""
        disk = VolumeRef(self.pool.name, vm.overlay_volume)
        return (disk,) if self.vars is None else (disk, VolumeRef(self.pool.name, vm.nvram_volume))


def locate_golden(hv: Hypervisor, image: GoldenImage) -> Golden:
    """Find IMAGE's disk (and VARS) by path on HV; MissingResource says what is missing."""

    def lookup(path: str, what: str) -> Volume:
        try:
            return hv.volume_by_path(path)
        except MissingResource as exc:
            raise MissingResource(
                f"{what} {path} ({image.profile}) is not a volume of any storage pool on "
                f"{hv.uri}: upload it and refresh the pool (vm-images/README.md)",
                exc.fault,
            ) from exc

    disk = lookup(image.disk, "golden image")
    vars_volume = None if image.vars_disk is None else lookup(image.vars_disk, "UEFI VARS")
    return Golden(image, disk.pool(), disk, vars_volume)


def overlay_volume_xml(name: str, capacity: int, backing_path: str, backing_format: str) -> str:
    """`<volume>`: qcow2, same virtual size as the backing image, nothing allocated yet."""
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity", {"unit": "bytes"}).text = str(capacity)
    ET.SubElement(root, "allocation", {"unit": "bytes"}).text = "0"
    target = ET.SubElement(root, "target")
    ET.SubElement(target, "format", {"type": "qcow2"})
    backing = ET.SubElement(root, "backingStore")
    ET.SubElement(backing, "path").text = backing_path
    ET.SubElement(backing, "format", {"type": backing_format})
    return ET.tostring(root, encoding="unicode")


def raw_volume_xml(name: str, capacity: int) -> str:
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity", {"unit": "bytes"}).text = str(capacity)
    target = ET.SubElement(root, "target")
    ET.SubElement(target, "format", {"type": "raw"})
    return ET.tostring(root, encoding="unicode")


def volume_format(volume_xml: str) -> str:
    fmt = ET.fromstring(volume_xml).find("./target/format")
    return "raw" if fmt is None else fmt.get("type", "raw")


def create_overlay(golden: Golden, vm: VmName) -> Overlay:
    """Create VM's overlay (and VARS copy) in the golden image's storage pool."""
    pool = golden.pool
    disk = pool.create_volume(
        overlay_volume_xml(
            vm.overlay_volume,
            golden.disk.capacity,
            golden.disk.path,
            volume_format(golden.disk.xml()),
        )
    )
    if golden.vars is None:
        return Overlay(VolumeRef(pool.name, disk.name), disk.path)
    try:
        nvram = pool.clone_volume(
            raw_volume_xml(vm.nvram_volume, golden.vars.capacity), golden.vars
        )
    except BaseException:
        disk.delete()
        raise
    return Overlay(
        VolumeRef(pool.name, disk.name), disk.path, VolumeRef(pool.name, nvram.name), nvram.path
    )


def delete_volumes(
    hv: Hypervisor, refs: tuple[VolumeRef, ...]
) -> tuple[list[VolumeRef], list[str]]:
    """Delete REFS; one already gone is fine. Return (deleted, problems); never raise."""
    deleted, problems = [], []
    for ref in refs:
        try:
            hv.storage_pool(ref.pool).volume(ref.name).delete()
        except MissingResource:
            continue
        except PoolError as exc:
            problems.append(f"{ref.pool}/{ref.name}: {exc}")
            continue
        deleted.append(ref)
    return deleted, problems
