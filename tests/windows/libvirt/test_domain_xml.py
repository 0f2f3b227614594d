"""Domain XML is generated from typed data, and the TEST driver accepts it as written.

The TEST driver parses domain XML with libvirt's own parser, so "accepted and read back"
here means the XML is valid libvirt XML; whether QEMU boots it is for the first real VM.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from infra.windows.libvirt_pool.domain_xml import build_domain_xml, has_agent_channel, live_nics
from infra.windows.libvirt_pool.owner import NAMESPACE, Harness, OwnerTag, VolumeRef
from infra.windows.libvirt_pool.reaper import read_owner
from infra.windows.libvirt_pool.spec import Disk, DomainSpec, Nic, NicRole, Tpm, UefiFirmware
from infra.windows.libvirt_pool.virt import Hypervisor

HARNESS = Harness("ci-host", "boot-1", 4242, 777)


def owner(**changes: object) -> OwnerTag:
    values: dict[str, object] = dict(
        run_id="r1",
        worker="gw0",
        slot=0,
        hypervisor="hv-test",
        profile="win11-23h2",
        harness=HARNESS,
        created=1700000000,
        volumes=(VolumeRef("wo-images", "wo-r1-gw0-s0-1.qcow2"),),
    )
    values.update(changes)
    return OwnerTag(**values)


def spec(**changes: object) -> DomainSpec:
    values: dict[str, object] = dict(
        name="wo-r1-gw0-s0-1",
        disk=Disk("wo-images", "wo-r1-gw0-s0-1.qcow2"),
        nics=(Nic("wo-mgmt", NicRole.MANAGEMENT), Nic("wo-nat", NicRole.TEST)),
        owner=owner(),
        virt_type="test",
    )
    values.update(changes)
    return DomainSpec(**values)


def test_windows_11_domain_has_the_devices_windows_needs() -> None:
    xml = build_domain_xml(
        spec(
            virt_type="kvm",
            uefi=UefiFirmware("/usr/share/OVMF/OVMF_CODE_4M.ms.fd", secure_boot=True),
            nvram_path="/var/lib/winterop/images/wo-r1-gw0-s0-1_VARS.fd",
            tpm=Tpm(),
        )
    )
    root = ET.fromstring(xml)
    assert root.get("type") == "kvm"
    os_type = root.find("./os/type")
    assert os_type is not None and os_type.attrib == {"arch": "x86_64", "machine": "q35"}
    loader = root.find("./os/loader")
    assert loader is not None and loader.get("secure") == "yes" and loader.get("type") == "pflash"
    assert root.findtext("./os/nvram") == "/var/lib/winterop/images/wo-r1-gw0-s0-1_VARS.fd"
    assert root.find("./features/smm[@state='on']") is not None
    assert root.find("./features/hyperv/spinlocks[@retries='8191']") is not None
    assert root.find("./cpu[@mode='host-passthrough']") is not None
    assert root.find("./clock[@offset='utc']") is not None
    disk = root.find("./devices/disk[@type='volume']")
    assert disk is not None
    assert disk.find("source").attrib == {"pool": "wo-images", "volume": "wo-r1-gw0-s0-1.qcow2"}
    assert disk.find("target").get("bus") == "virtio"
    nets = [i.find("source").get("network") for i in root.iterfind("./devices/interface")]
    assert nets == ["wo-mgmt", "wo-nat"]
    assert {m.get("type") for m in root.iterfind("./devices/interface/model")} == {"virtio"}
    assert has_agent_channel(xml)
    assert root.find("./devices/tpm/backend[@version='2.0']") is not None
    assert root.find("./devices/graphics").get("listen") == "127.0.0.1"


def test_bios_domain_without_agent_or_tpm() -> None:
    xml = build_domain_xml(spec(guest_agent=False, hyperv_enlightenments=False))
    root = ET.fromstring(xml)
    assert root.find("./os/loader") is None and root.find("./devices/tpm") is None
    assert root.find("./features/hyperv") is None and root.find("./cpu") is None
    assert not has_agent_channel(xml)


def test_owner_tag_round_trips_through_the_xml() -> None:
    tag = owner(volumes=(VolumeRef("p", "a.qcow2"), VolumeRef("p", "a_VARS.fd")))
    root = ET.fromstring(build_domain_xml(spec(owner=tag)))
    element = root.find(f"./metadata/{{{NAMESPACE}}}owner")
    assert element is not None
    assert OwnerTag.from_xml(ET.tostring(element, encoding="unicode")) == tag


def test_hostile_values_stay_data() -> None:
    hostile = "evil'\"><devices/><!--&"
    tag = owner(profile=hostile, harness=Harness(hostile, hostile, 1, 2))
    xml = build_domain_xml(spec(owner=tag, disk=Disk("wo-images", hostile)))
    root = ET.fromstring(xml)
    assert len(root.findall("./devices")) == 1
    assert root.find("./devices/disk/source").get("volume") == hostile
    element = root.find(f"./metadata/{{{NAMESPACE}}}owner")
    assert OwnerTag.from_xml(ET.tostring(element, encoding="unicode")) == tag


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"nics": (Nic("wo-nat", NicRole.TEST),)}, "exactly one management NIC"),
        (
            {"nics": (Nic("wo-nat", NicRole.TEST), Nic("wo-mgmt", NicRole.MANAGEMENT))},
            "listed first",
        ),
        ({"uefi": UefiFirmware("/x.fd")}, "UEFI firmware and an NVRAM path go together"),
        (
            {"uefi": UefiFirmware("/x.fd", secure_boot=True), "nvram_path": "/v", "machine": "pc"},
            "Secure Boot needs the q35",
        ),
        ({"virt_type": "xen"}, "virt_type 'xen'"),
        ({"memory_mib": 16}, "at least 256 MiB"),
    ],
)
def test_impossible_specs_are_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        spec(**changes)


def test_bad_mac_is_refused() -> None:
    with pytest.raises(ValueError, match="MAC address"):
        Nic("wo-mgmt", NicRole.MANAGEMENT, mac="52:54:00:XX:00:01")


def test_test_driver_accepts_the_xml_and_keeps_the_owner_tag(hv: Hypervisor) -> None:
    tag = owner(profile="win10-22h2")
    domain = hv.create_transient(
        build_domain_xml(
            spec(
                owner=tag,
                nics=(
                    Nic("wo-mgmt", NicRole.MANAGEMENT, mac="52:54:00:aa:00:01"),
                    Nic("wo-nat", NicRole.TEST),
                ),
            )
        ),
        autodestroy=False,
    )
    assert domain.name == "wo-r1-gw0-s0-1" and not domain.is_persistent()
    assert read_owner(domain) == tag
    nics = live_nics(domain.xml())
    assert [n.network for n in nics] == ["wo-mgmt", "wo-nat"]
    assert nics[0].mac == "52:54:00:aa:00:01"
    assert nics[1].mac.startswith("52:54:00:")  # generated by libvirt
    domain.destroy()
    assert hv.find_domain("wo-r1-gw0-s0-1") is None  # transient: gone once destroyed
