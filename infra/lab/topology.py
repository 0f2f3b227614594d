"""Address plans of the three lab topologies, as pure data.

Every address is from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32)
or the benchmarking range 198.18.0.0/15 and lives only inside winterop's own namespaces, so
identical plans can be used by every xdist worker at once.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TopologyKind(enum.StrEnum):
    """The topologies a suite can ask for; the value is the test-ID fragment."""

    DIRECT = "direct"
    NAT = "nat"
    DUAL_STACK = "dual-stack"


class Role(enum.StrEnum):
    """A namespace's role; the value is the suffix of its name."""

    GATEWAY = "gw"
    CLIENT = "cl"
    NAT = "nat"


@dataclass(frozen=True)
class LinkEnd:
    """One end of a veth pair: the namespace role, interface name and its addresses."""

    role: Role
    ifname: str
    addresses: tuple[IPInterface, ...]


@dataclass(frozen=True)
class Link:
    """A veth pair between two namespaces."""

    a: LinkEnd
    b: LinkEnd


@dataclass(frozen=True)
class Route:
    """A route inside one namespace (used for the client's default route through the NAT)."""

    role: Role
    destination: str
    via: IPAddress


@dataclass(frozen=True)
class SecondNetwork:
    """Where the client moves to (MOBIKE, RFC 4555): a second network on the client's link.

    A laptop leaving Wi-Fi for LTE, as the lab can make it: the client's link gets a new
    address from another documentation range (203.0.113.0/24) and loses its old one, and
    its traffic to the gateway now goes through a router on the upstream side of the link
    (an address added to the gateway's interface, or to the NAT's inside one). The new
    network is added at the move, not at bring-up, so every other test sees the plain plan.
    """

    client_ifname: str
    old: IPInterface
    new: IPInterface
    router_role: Role
    router_ifname: str
    router: IPInterface

    @property
    def router_address(self) -> IPAddress:
        return self.router.ip


@dataclass(frozen=True)
class TopologyPlan:
    """Everything needed to build a topology, and the addresses tests connect to."""

    kind: TopologyKind
    roles: tuple[Role, ...]
    links: tuple[Link, ...]
    routes: tuple[Route, ...]
    gateway_outside: IPAddress
    gateway_outside6: IPAddress | None
    client_address: IPAddress
    nat_outside: IPAddress | None
    second_network: SecondNetwork | None = None
    """The network the client can move to (Lab.move_client)."""
    gateway_second: IPInterface = field(default=ipaddress.ip_interface("192.0.2.10/24"))
    """A second gateway address on the gateway's outside interface, added on demand
    (Lab.add_gateway_address): where a redirect (RFC 5685) sends clients."""
    protected: tuple[IPInterface, ...] = field(
        default=(
            ipaddress.ip_interface("198.19.1.1/32"),
            ipaddress.ip_interface("2001:db8:19::1/128"),
        )
    )

    @property
    def protected_host(self) -> IPAddress:
        """An IPv4 address behind the gateway (on its loopback) to ping through the tunnel."""
        return self.protected[0].ip

    @property
    def protected_host6(self) -> IPAddress:
        return self.protected[1].ip

    @property
    def ipv6(self) -> bool:
        return self.gateway_outside6 is not None


def _if(text: str) -> IPInterface:
    return ipaddress.ip_interface(text)


SECOND_NETWORK_CLIENT = "203.0.113.2/24"
SECOND_NETWORK_ROUTER = "203.0.113.1/24"


def _second_network(old: str, router_role: Role, router_ifname: str) -> SecondNetwork:
    return SecondNetwork(
        client_ifname="wan0",
        old=_if(old),
        new=_if(SECOND_NETWORK_CLIENT),
        router_role=router_role,
        router_ifname=router_ifname,
        router=_if(SECOND_NETWORK_ROUTER),
    )


def plan(kind: TopologyKind) -> TopologyPlan:
    """The address plan of KIND. The gateway's outside address is 192.0.2.1 everywhere."""
    if kind is TopologyKind.DIRECT:
        return TopologyPlan(
            kind=kind,
            roles=(Role.GATEWAY, Role.CLIENT),
            links=(
                Link(
                    LinkEnd(Role.GATEWAY, "wan0", (_if("192.0.2.1/24"),)),
                    LinkEnd(Role.CLIENT, "wan0", (_if("192.0.2.2/24"),)),
                ),
            ),
            routes=(),
            gateway_outside=ipaddress.ip_address("192.0.2.1"),
            gateway_outside6=None,
            client_address=ipaddress.ip_address("192.0.2.2"),
            nat_outside=None,
            second_network=_second_network("192.0.2.2/24", Role.GATEWAY, "wan0"),
        )
    if kind is TopologyKind.DUAL_STACK:
        return TopologyPlan(
            kind=kind,
            roles=(Role.GATEWAY, Role.CLIENT),
            links=(
                Link(
                    LinkEnd(Role.GATEWAY, "wan0", (_if("192.0.2.1/24"), _if("2001:db8:1::1/64"))),
                    LinkEnd(Role.CLIENT, "wan0", (_if("192.0.2.2/24"), _if("2001:db8:1::2/64"))),
                ),
            ),
            routes=(),
            gateway_outside=ipaddress.ip_address("192.0.2.1"),
            gateway_outside6=ipaddress.ip_address("2001:db8:1::1"),
            client_address=ipaddress.ip_address("192.0.2.2"),
            nat_outside=None,
            second_network=_second_network("192.0.2.2/24", Role.GATEWAY, "wan0"),
        )
    return TopologyPlan(
        kind=kind,
        roles=(Role.GATEWAY, Role.NAT, Role.CLIENT),
        links=(
            Link(
                LinkEnd(Role.GATEWAY, "wan0", (_if("192.0.2.1/24"),)),
                LinkEnd(Role.NAT, "out0", (_if("192.0.2.100/24"),)),
            ),
            Link(
                LinkEnd(Role.NAT, "in0", (_if("198.51.100.1/24"),)),
                LinkEnd(Role.CLIENT, "wan0", (_if("198.51.100.2/24"),)),
            ),
        ),
        routes=(Route(Role.CLIENT, "default", ipaddress.ip_address("198.51.100.1")),),
        gateway_outside=ipaddress.ip_address("192.0.2.1"),
        gateway_outside6=None,
        client_address=ipaddress.ip_address("198.51.100.2"),
        nat_outside=ipaddress.ip_address("192.0.2.100"),
        second_network=_second_network("198.51.100.2/24", Role.NAT, "in0"),
    )


NAT_TABLE = "winterop_nat"
NAT_RULESET = """table ip winterop_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "out0" masquerade
  }
}
"""
"""nftables masquerade for the nat namespace (multi-line form: the one-line form is rejected)."""
