"""The libvirt networks a Windows VM plugs into: one management network, one per topology.

Management: an isolated libvirt network (own bridge, libvirt's dnsmasq for DHCP, no
`<forward>`), on-link with the hypervisor host so WinRM/SSH survive a full-tunnel VPN in the
guest (windows-driving.md 10.4, 9). It hands out no default route (dnsmasq option 3 with
no value), so the only default route Windows ever gets is the VPN's or the test NIC's.

Topologies (direct, nat, dual-stack): in production a *bridge-mode* libvirt network
(`<forward mode='bridge'/>`) that points at a host bridge the gateway side is attached to
(the gateway namespace for direct/dual-stack, the NAT router's inside for nat): libvirt
serves no addresses there; the gateway side does (or the harness sets a static address),
and discovery finds them through the guest agent or ARP. An *isolated* variant with
libvirt DHCP on the client-side subnet of infra.lab.topology's plan exists for hosts
without that plumbing and for unit tests (the TEST driver needs an `<ip>` on every network
a queried NIC uses; see virt.Domain._refuse_test_driver_crash).

Addresses are documentation / benchmarking ranges only (DESIGN.md): management
198.18.250.0/24, topologies the lab plan's client subnets (192.0.2.0/24, 198.51.100.0/24,
2001:db8:1::/64).
"""

from __future__ import annotations

import enum
import ipaddress
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from infra.lab.topology import IPAddress, IPInterface, Role, TopologyKind, plan
from infra.windows.libvirt_pool.errors import MissingResource, PoolError
from infra.windows.libvirt_pool.virt import Hypervisor

DNSMASQ_NS = "http://libvirt.org/schemas/network/dnsmasq/1.0"
MANAGEMENT_SUBNET = ipaddress.ip_interface("198.18.250.1/24")


class NetworkMode(enum.StrEnum):
    ISOLATED = "isolated"
    BRIDGE = "bridge"


@dataclass(frozen=True)
class IpPlan:
    """The hypervisor's address on an isolated network, and libvirt's DHCP range."""

    interface: IPInterface
    dhcp: tuple[IPAddress, IPAddress] | None = None


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    bridge: str
    mode: NetworkMode
    ips: tuple[IpPlan, ...] = ()
    no_default_route: bool = False

    def __post_init__(self) -> None:
        if self.mode is NetworkMode.BRIDGE and (self.ips or self.no_default_route):
            raise ValueError(f"network {self.name}: a bridge-mode network has no libvirt IP/DHCP")
        if len(self.bridge) > 15:
            raise ValueError(f"network {self.name}: bridge name {self.bridge!r} exceeds 15 chars")


def network_xml(spec: NetworkSpec) -> str:
    """The `<network>` document for SPEC (for `virsh net-define` or Hypervisor.define_network)."""
    root = ET.Element("network")
    ET.SubElement(root, "name").text = spec.name
    if spec.mode is NetworkMode.BRIDGE:
        ET.SubElement(root, "forward", {"mode": "bridge"})
    ET.SubElement(root, "bridge", {"name": spec.bridge})
    for ip in spec.ips:
        attrs = {"address": str(ip.interface.ip), "prefix": str(ip.interface.network.prefixlen)}
        if ip.interface.version == 6:
            attrs["family"] = "ipv6"
        ip_el = ET.SubElement(root, "ip", attrs)
        if ip.dhcp is not None:
            dhcp = ET.SubElement(ip_el, "dhcp")
            ET.SubElement(dhcp, "range", {"start": str(ip.dhcp[0]), "end": str(ip.dhcp[1])})
    if spec.no_default_route:
        root.set("xmlns:dnsmasq", DNSMASQ_NS)
        options = ET.SubElement(root, "dnsmasq:options")
        ET.SubElement(options, "dnsmasq:option", {"value": "dhcp-option=3"})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _isolated_plan(interface: IPInterface) -> IpPlan:
    """Host side .254 (::fe), DHCP .100-.199 (::100-::1ff) in INTERFACE's subnet."""
    net = interface.network
    host = ipaddress.ip_interface(f"{net[0xFE]}/{net.prefixlen}")
    return IpPlan(
        host, (net[0x100 if net.version == 6 else 100], net[0x1FF if net.version == 6 else 199])
    )


def management_network(name: str = "wo-mgmt", bridge: str = "wo-br-mgmt") -> NetworkSpec:
    net = MANAGEMENT_SUBNET.network
    return NetworkSpec(
        name=name,
        bridge=bridge,
        mode=NetworkMode.ISOLATED,
        ips=(IpPlan(MANAGEMENT_SUBNET, (net[100], net[199])),),
        no_default_route=True,
    )


def topology_network(
    kind: TopologyKind, *, name: str, bridge: str, mode: NetworkMode = NetworkMode.BRIDGE
) -> NetworkSpec:
    """The test network for KIND; ISOLATED mode serves the lab plan's client subnet(s)."""
    if mode is NetworkMode.BRIDGE:
        return NetworkSpec(name=name, bridge=bridge, mode=mode)
    client_ends = [
        end for link in plan(kind).links for end in (link.a, link.b) if end.role is Role.CLIENT
    ]
    ips = tuple(_isolated_plan(address) for end in client_ends for address in end.addresses)
    return NetworkSpec(name=name, bridge=bridge, mode=mode, ips=ips)


@dataclass(frozen=True)
class HypervisorNetworks:
    """Names of the networks on one hypervisor, as the inventory gives them."""

    management: str
    topologies: Mapping[TopologyKind, str] = field(default_factory=dict)

    def for_topology(self, kind: TopologyKind) -> str:
        try:
            return self.topologies[kind]
        except KeyError:
            raise MissingResource(
                f"no libvirt network for topology {kind.value!r} in the inventory "
                f"(known: {', '.join(sorted(k.value for k in self.topologies)) or 'none'})"
            ) from None

    def names(self) -> list[str]:
        return [self.management, *self.topologies.values()]


def check_networks(hv: Hypervisor, networks: HypervisorNetworks) -> None:
    """Raise MissingResource naming every inventory network that is absent or inactive."""
    problems = []
    for name in networks.names():
        try:
            if not hv.network(name).is_active():
                problems.append(f"{name!r} is defined but not active (virsh net-start {name})")
        except MissingResource:
            problems.append(f"{name!r} is not defined (virsh net-define, see vm-images/README.md)")
    if problems:
        raise MissingResource(f"libvirt networks on {hv.uri}: " + "; ".join(problems))


def serves_dhcp(hv: Hypervisor, network: str) -> bool:
    """True if libvirt itself hands out leases on NETWORK (so a lease lookup can succeed)."""
    try:
        root = ET.fromstring(hv.network(network).xml())
    except PoolError:
        return False
    return root.find("./ip/dhcp") is not None
