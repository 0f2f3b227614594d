"""Address plans stay inside the documentation and benchmarking ranges."""

from __future__ import annotations

import ipaddress

import pytest

from infra.gateway.presets import INTERNAL_DNS, VIP_POOL4, VIP_POOL6
from infra.lab.topology import Role, TopologyKind, plan

ALLOWED = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "2001:db8::/32")
]


def allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in net for net in ALLOWED if net.version == address.version)


@pytest.mark.parametrize("kind", list(TopologyKind))
def test_every_address_is_in_an_allowed_range(kind: TopologyKind) -> None:
    p = plan(kind)
    addresses = [a.ip for link in p.links for end in (link.a, link.b) for a in end.addresses]
    addresses += [a.ip for a in p.protected]
    assert addresses and all(allowed(a) for a in addresses), addresses


def test_pools_and_dns_are_in_allowed_ranges() -> None:
    for net in (VIP_POOL4, VIP_POOL6):
        assert allowed(ipaddress.ip_network(net).network_address)
    assert allowed(ipaddress.ip_address(INTERNAL_DNS))


def test_nat_topology_routes_the_client_through_the_nat() -> None:
    p = plan(TopologyKind.NAT)
    assert p.roles == (Role.GATEWAY, Role.NAT, Role.CLIENT)
    assert p.nat_outside is not None and str(p.nat_outside) == "192.0.2.100"
    (route,) = p.routes
    assert route.role is Role.CLIENT and str(route.via) == "198.51.100.1"


def test_dual_stack_has_both_families_on_the_link() -> None:
    p = plan(TopologyKind.DUAL_STACK)
    versions = {a.version for link in p.links for end in (link.a, link.b) for a in end.addresses}
    assert versions == {4, 6} and p.ipv6
