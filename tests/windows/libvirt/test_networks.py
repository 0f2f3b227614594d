"""Network XML per topology, defined on the TEST driver, and the inventory check.

The TEST driver parses and keeps network XML except libvirt's dnsmasq namespace (it has no
dnsmasq), so the no-default-route option is checked in the generated XML only.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from infra.lab.topology import TopologyKind
from infra.windows.libvirt_pool.errors import MissingResource
from infra.windows.libvirt_pool.networks import (
    DNSMASQ_NS,
    HypervisorNetworks,
    NetworkMode,
    NetworkSpec,
    check_networks,
    management_network,
    network_xml,
    serves_dhcp,
    topology_network,
)
from infra.windows.libvirt_pool.uri import node_file_uri
from infra.windows.libvirt_pool.virt import Hypervisor
from tests.windows.libvirt.node import write_node

LAB_RANGES = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "2001:db8::/32")
]


def test_management_network_is_isolated_with_dhcp_and_no_default_route() -> None:
    root = ET.fromstring(network_xml(management_network()))
    assert root.find("forward") is None
    assert root.find("bridge").get("name") == "wo-br-mgmt"
    ip = root.find("ip")
    assert ip.attrib == {"address": "198.18.250.1", "prefix": "24"}
    assert ip.find("dhcp/range").attrib == {"start": "198.18.250.100", "end": "198.18.250.199"}
    option = root.find(f"{{{DNSMASQ_NS}}}options/{{{DNSMASQ_NS}}}option")
    assert option is not None and option.get("value") == "dhcp-option=3"


def test_bridge_mode_topology_network_points_at_the_gateway_side_bridge() -> None:
    root = ET.fromstring(
        network_xml(topology_network(TopologyKind.NAT, name="wo-nat", bridge="wo-br-nat"))
    )
    assert root.find("forward").get("mode") == "bridge"
    assert root.find("bridge").get("name") == "wo-br-nat"
    assert root.find("ip") is None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (TopologyKind.DIRECT, [("192.0.2.254", "192.0.2.100", "192.0.2.199")]),
        (TopologyKind.NAT, [("198.51.100.254", "198.51.100.100", "198.51.100.199")]),
        (
            TopologyKind.DUAL_STACK,
            [
                ("192.0.2.254", "192.0.2.100", "192.0.2.199"),
                ("2001:db8:1::fe", "2001:db8:1::100", "2001:db8:1::1ff"),
            ],
        ),
    ],
)
def test_isolated_topology_networks_serve_the_lab_client_subnet(
    kind: TopologyKind, expected: list[tuple[str, str, str]]
) -> None:
    root = ET.fromstring(
        network_xml(topology_network(kind, name="n", bridge="b", mode=NetworkMode.ISOLATED))
    )
    seen = []
    for ip in root.iterfind("ip"):
        rng = ip.find("dhcp/range")
        seen.append((ip.get("address"), rng.get("start"), rng.get("end")))
        assert any(ipaddress.ip_address(ip.get("address")) in net for net in LAB_RANGES)
    assert seen == expected


def test_bridge_mode_cannot_carry_libvirt_addresses() -> None:
    with pytest.raises(ValueError, match="bridge-mode network has no libvirt IP"):
        NetworkSpec("x", "br", NetworkMode.BRIDGE, no_default_route=True)
    with pytest.raises(ValueError, match="exceeds 15"):
        NetworkSpec("x", "a-very-long-bridge-name", NetworkMode.ISOLATED)


def test_networks_define_on_the_test_driver(hv: Hypervisor) -> None:
    spec = topology_network(TopologyKind.DIRECT, name="wo-direct2", bridge="wo-br-d2")
    net = hv.define_network(network_xml(spec))
    assert net.is_active()
    assert ET.fromstring(net.xml()).find("forward").get("mode") == "bridge"
    assert serves_dhcp(hv, "wo-mgmt") and not serves_dhcp(hv, "wo-direct2")


def test_check_networks_passes_for_the_inventory_networks(hv: Hypervisor) -> None:
    check_networks(
        hv,
        HypervisorNetworks(
            "wo-mgmt", {TopologyKind.NAT: "wo-nat", TopologyKind.DIRECT: "wo-direct"}
        ),
    )


def test_check_networks_names_every_missing_or_inactive_network(tmp_path: Path) -> None:
    node = write_node(tmp_path / "node.xml")
    with Hypervisor.open(node_file_uri(node)) as hv:
        hv.define_network(
            network_xml(topology_network(TopologyKind.NAT, name="wo-idle", bridge="wo-br-idle")),
            start=False,
            autostart=False,
        )
        nets = HypervisorNetworks(
            "wo-mgmt", {TopologyKind.NAT: "wo-idle", TopologyKind.DIRECT: "wo-nowhere"}
        )
        with pytest.raises(MissingResource) as err:
            check_networks(hv, nets)
    assert str(err.value) == (
        f"libvirt networks on {node_file_uri(node)}: 'wo-idle' is defined but not active "
        "(virsh net-start wo-idle); 'wo-nowhere' is not defined (virsh net-define, see "
        "vm-images/README.md)"
    )


def test_unknown_topology_is_a_clear_inventory_error() -> None:
    with pytest.raises(MissingResource, match="no libvirt network for topology 'nat'"):
        HypervisorNetworks("wo-mgmt", {}).for_topology(TopologyKind.NAT)
