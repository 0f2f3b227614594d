"""Typed description of one Windows test VM, validated before any XML exists.

The domain XML (domain_xml.py) is generated from these values only, so an impossible
combination (Secure Boot without UEFI, no management NIC) fails here with a sentence,
not later as a libvirt XML error or a VM that never boots.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from infra.windows.libvirt_pool.owner import OwnerTag

_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
VIRT_TYPES = frozenset({"kvm", "qemu", "test"})


class NicRole(enum.StrEnum):
    """What a NIC is for: the harness talks over MANAGEMENT, IKE/ESP flows over TEST."""

    MANAGEMENT = "management"
    TEST = "test"


@dataclass(frozen=True)
class UefiFirmware:
    """OVMF: the read-only CODE image on the hypervisor, and the per-VM VARS copy.

    `loader` is a path on the hypervisor host (the same on every host by convention);
    the VARS file is a storage volume cloned from the golden image's VARS (overlay.py),
    so Secure Boot keys enrolled at image build time come along.
    """

    loader: str
    secure_boot: bool = False


@dataclass(frozen=True)
class Tpm:
    """An emulated TPM 2.0 (swtpm) for Windows 11; state is per domain and thrown away."""

    model: str = "tpm-crb"
    version: str = "2.0"


@dataclass(frozen=True)
class Disk:
    """The system disk: a volume in a storage pool (`<disk type='volume'>`)."""

    pool: str
    volume: str
    format: str = "qcow2"
    bus: str = "virtio"
    target: str = "vda"


@dataclass(frozen=True)
class Nic:
    """One NIC on a libvirt network. MAC None lets libvirt choose (read back from XML)."""

    network: str
    role: NicRole
    model: str = "virtio"
    mac: str | None = None

    def __post_init__(self) -> None:
        if self.mac is not None and not _MAC.fullmatch(self.mac):
            raise ValueError(f"MAC address {self.mac!r} must be lower-case aa:bb:cc:dd:ee:ff")


@dataclass(frozen=True)
class DomainSpec:
    """A whole transient Windows domain."""

    name: str
    disk: Disk
    nics: tuple[Nic, ...]
    owner: OwnerTag
    virt_type: str = "kvm"
    memory_mib: int = 4096
    vcpus: int = 2
    machine: str = "q35"
    arch: str = "x86_64"
    uefi: UefiFirmware | None = None
    nvram_path: str | None = None
    tpm: Tpm | None = None
    guest_agent: bool = True
    hyperv_enlightenments: bool = True
    video: str = "vga"

    def __post_init__(self) -> None:
        problems = []
        if self.virt_type not in VIRT_TYPES:
            problems.append(f"virt_type {self.virt_type!r} is not one of {sorted(VIRT_TYPES)}")
        if self.memory_mib < 256 or self.vcpus < 1:
            problems.append("needs at least 256 MiB and 1 vCPU")
        roles = [nic.role for nic in self.nics]
        if roles.count(NicRole.MANAGEMENT) != 1 or roles[:1] != [NicRole.MANAGEMENT]:
            problems.append("needs exactly one management NIC, listed first")
        if (self.uefi is None) != (self.nvram_path is None):
            problems.append("UEFI firmware and an NVRAM path go together")
        if self.uefi is not None and self.uefi.secure_boot and self.machine != "q35":
            problems.append("Secure Boot needs the q35 machine type (SMM)")
        if problems:
            raise ValueError(f"domain {self.name}: " + "; ".join(problems))

    def nics_with(self, role: NicRole) -> tuple[Nic, ...]:
        return tuple(nic for nic in self.nics if nic.role is role)
