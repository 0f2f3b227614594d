"""What the pool needs to know about a hypervisor and its golden images.

These are the typed values the inventory (infra/windows/inventory.py, YAML) is parsed
into; the pool never reads files itself. vm-images/README.md describes the YAML fields
that map onto them.

Evaluation images stop working after their licence period (90 days, see
vm-images/README.md), so every golden image records its build date and the pool refuses
an image older than `max_age_days` with a message that says "rebuild", instead of letting
a test fail on a Windows that shuts itself down every hour.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from infra.windows.libvirt_pool.errors import ImageExpired, MissingResource
from infra.windows.libvirt_pool.naming import check_name
from infra.windows.libvirt_pool.networks import HypervisorNetworks
from infra.windows.libvirt_pool.spec import VIRT_TYPES, Tpm, UefiFirmware

_BUILD = re.compile(r"10\.0\.\d{5}")


@dataclass(frozen=True)
class GoldenImage:
    """One sysprepped Windows image on a hypervisor, named by its path there.

    The path is how the inventory names it (a file in a libvirt storage pool); the pool
    resolves it to a storage volume through libvirt and creates the overlay in the same
    storage pool, so nothing but libvirt API calls reaches a remote host.
    """

    profile: str  # winterop client profile, e.g. "win10-22h2"
    build: str  # Windows build, e.g. "10.0.19045"
    disk: str  # absolute path of the golden qcow2 on the hypervisor
    built: dt.date | None = None  # image build date (evaluation licence clock)
    uefi: UefiFirmware | None = None
    vars_disk: str | None = None  # OVMF VARS saved with the image (UEFI images)
    tpm: Tpm | None = None
    memory_mib: int = 4096
    vcpus: int = 2
    max_age_days: int = 80

    def __post_init__(self) -> None:
        if not _BUILD.fullmatch(self.build):
            raise ValueError(f"image {self.disk}: build {self.build!r} is not like 10.0.19045")
        if not self.disk.startswith("/"):
            raise ValueError(f"image disk {self.disk!r} must be an absolute path on the hypervisor")
        if (self.uefi is None) != (self.vars_disk is None):
            raise ValueError(f"image {self.disk}: UEFI needs vars_disk (and vice versa)")

    def check_fresh(self, today: dt.date) -> str:
        """Raise ImageExpired once the image is older than max_age_days; else say its age."""
        if self.built is None:
            return f"golden image {self.disk} has no build date: evaluation expiry unchecked"
        age = (today - self.built).days
        if age > self.max_age_days:
            raise ImageExpired(
                f"golden image {self.disk} ({self.profile}, built {self.built}) is {age} days "
                f"old, over its {self.max_age_days}-day limit: rebuild it (vm-images/README.md)"
            )
        return f"golden image {self.disk} is {age} day(s) old"


@dataclass(frozen=True)
class HypervisorConfig:
    """One libvirt host: how to reach it, how many VMs it runs at once, what it holds."""

    name: str
    uri: str
    capacity: int
    networks: HypervisorNetworks
    images: tuple[GoldenImage, ...] = ()
    virt_type: str = "kvm"
    autodestroy: bool = True
    lease_dir: str | None = None  # harness-side directory of slot leases (lease.py)

    def __post_init__(self) -> None:
        check_name("hypervisor name", self.name)
        if self.capacity < 1:
            raise ValueError(f"hypervisor {self.name}: capacity must be at least 1")
        if self.virt_type not in VIRT_TYPES:
            raise ValueError(f"hypervisor {self.name}: virt_type {self.virt_type!r} unknown")

    def image(self, profile: str) -> GoldenImage:
        for image in self.images:
            if image.profile == profile:
                return image
        known = ", ".join(sorted(i.profile for i in self.images)) or "none"
        raise MissingResource(
            f"hypervisor {self.name} has no golden image for profile {profile!r} (has: {known})"
        )
