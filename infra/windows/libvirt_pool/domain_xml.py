"""DomainSpec -> libvirt domain XML with xml.etree, and the few facts read back from it.

Built with ElementTree, never by formatting strings: names, paths and the owner tag are
data that end up as escaped text or attributes, whatever characters they contain.

The device set is what a Windows guest on QEMU/KVM needs for this suite: q35, optional
OVMF (+ SMM for Secure Boot) and TPM 2.0, Hyper-V enlightenments (Windows runs markedly
better with them), a UTC clock (the image sets RealTimeIsUniversal so the guest agrees),
a virtio disk and virtio NICs (drivers come from virtio-win in the image), the
qemu-guest-agent channel, and VGA + VNC on localhost so virDomainScreenshot has a console.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from infra.windows.libvirt_pool.spec import DomainSpec, Nic

AGENT_CHANNEL = "org.qemu.guest_agent.0"
_HYPERV: tuple[tuple[str, dict[str, str]], ...] = (
    ("relaxed", {}),
    ("vapic", {}),
    ("spinlocks", {"retries": "8191"}),
    ("vpindex", {}),
    ("synic", {}),
    ("stimer", {}),
    ("reset", {}),
    ("frequencies", {}),
)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def build_domain_xml(spec: DomainSpec) -> str:
    """The complete `<domain>` document for SPEC."""
    root = ET.Element("domain", {"type": spec.virt_type})
    _sub(root, "name", spec.name)
    metadata = _sub(root, "metadata")
    metadata.append(spec.owner.to_element())
    _sub(root, "memory", str(spec.memory_mib), unit="MiB")
    _sub(root, "vcpu", str(spec.vcpus))
    _os(root, spec)
    _features(root, spec)
    if spec.virt_type == "kvm":
        _sub(root, "cpu", mode="host-passthrough", check="none")
    _clock(root, spec)
    _sub(root, "on_poweroff", "destroy")
    _sub(root, "on_reboot", "restart")
    _sub(root, "on_crash", "destroy")
    _devices(root, spec)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _os(root: ET.Element, spec: DomainSpec) -> None:
    os_el = _sub(root, "os")
    _sub(os_el, "type", "hvm", arch=spec.arch, machine=spec.machine)
    if spec.uefi is not None and spec.nvram_path is not None:
        loader_attrs = {"readonly": "yes", "type": "pflash"}
        if spec.uefi.secure_boot:
            loader_attrs["secure"] = "yes"
        _sub(os_el, "loader", spec.uefi.loader, **loader_attrs)
        _sub(os_el, "nvram", spec.nvram_path)
    _sub(os_el, "boot", dev="hd")


def _features(root: ET.Element, spec: DomainSpec) -> None:
    features = _sub(root, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if spec.uefi is not None and spec.uefi.secure_boot:
        _sub(features, "smm", state="on")
    if spec.hyperv_enlightenments:
        hyperv = _sub(features, "hyperv", mode="custom")
        for name, extra in _HYPERV:
            _sub(hyperv, name, state="on", **extra)


def _clock(root: ET.Element, spec: DomainSpec) -> None:
    clock = _sub(root, "clock", offset="utc")
    _sub(clock, "timer", name="rtc", tickpolicy="catchup")
    _sub(clock, "timer", name="pit", tickpolicy="delay")
    _sub(clock, "timer", name="hpet", present="no")
    if spec.hyperv_enlightenments:
        _sub(clock, "timer", name="hypervclock", present="yes")


def _devices(root: ET.Element, spec: DomainSpec) -> None:
    devices = _sub(root, "devices")
    disk = _sub(devices, "disk", type="volume", device="disk")
    _sub(disk, "driver", name="qemu", type=spec.disk.format, discard="unmap")
    _sub(disk, "source", pool=spec.disk.pool, volume=spec.disk.volume)
    _sub(disk, "target", dev=spec.disk.target, bus=spec.disk.bus)
    for nic in spec.nics:
        _nic(devices, nic)
    if spec.guest_agent:
        channel = _sub(devices, "channel", type="unix")
        _sub(channel, "source", mode="bind")
        _sub(channel, "target", type="virtio", name=AGENT_CHANNEL)
    if spec.tpm is not None:
        tpm = _sub(devices, "tpm", model=spec.tpm.model)
        _sub(tpm, "backend", type="emulator", version=spec.tpm.version)
    _sub(devices, "input", type="tablet", bus="usb")
    _sub(devices, "graphics", type="vnc", autoport="yes", listen="127.0.0.1")
    video = _sub(devices, "video")
    _sub(video, "model", type=spec.video)
    _sub(devices, "memballoon", model="virtio")


def _nic(devices: ET.Element, nic: Nic) -> None:
    iface = _sub(devices, "interface", type="network")
    if nic.mac is not None:
        _sub(iface, "mac", address=nic.mac)
    _sub(iface, "source", network=nic.network)
    _sub(iface, "model", type=nic.model)


@dataclass(frozen=True)
class LiveNic:
    """A NIC as the running domain's XML shows it (libvirt fills in generated MACs)."""

    network: str
    mac: str


def live_nics(domain_xml: str) -> list[LiveNic]:
    """The network NICs of a domain XML, in device order."""
    nics = []
    for iface in ET.fromstring(domain_xml).iterfind("./devices/interface[@type='network']"):
        source, mac = iface.find("source"), iface.find("mac")
        if source is not None and mac is not None:
            nics.append(LiveNic(source.get("network", ""), mac.get("address", "").lower()))
    return nics


def has_agent_channel(domain_xml: str) -> bool:
    """True if the domain has the virtio-serial channel the QEMU guest agent listens on."""
    return any(
        target.get("name") == AGENT_CHANNEL
        for target in ET.fromstring(domain_xml).iterfind("./devices/channel/target")
    )
