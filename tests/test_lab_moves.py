"""The lab moves a client to its second network, and the emulator's path watch notices.

Needs root (network namespaces). The move is what the MOBIKE suite relies on: the client's
old address gone, a new one from 203.0.113.0/24 and a route through the router of the new
network; the watch (emulator.net.pathwatch) must report the change and the new source.
"""

from __future__ import annotations

import ipaddress
import os
import select
from collections.abc import Iterator

import pytest

from emulator.net.pathwatch import PathWatch
from emulator.net.tun import TunDevice
from infra.lab.lab import Lab
from infra.lab.netns import run_in_namespace
from infra.lab.topology import Role, TopologyKind, plan

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture(params=[TopologyKind.DIRECT, TopologyKind.NAT], ids=lambda k: k.value)
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    with Lab.up(request.param, f"moves{os.getpid()}", "unit") as built:
        yield built


def _changed(watch: PathWatch, timeout: float = 2.0) -> bool:
    ready, _, _ = select.select([watch], [], [], timeout)
    return bool(ready) and watch.drain() > 0


def test_every_topology_has_a_second_network_in_the_documentation_range() -> None:
    for kind in TopologyKind:
        second = plan(kind).second_network
        assert second is not None
        assert second.new.ip in ipaddress.ip_network("203.0.113.0/24")
        assert second.router.ip in ipaddress.ip_network("203.0.113.0/24")
        assert second.old.ip == plan(kind).client_address


def test_a_move_is_noticed_and_the_new_source_address_used(lab: Lab) -> None:
    second = lab.plan.second_network
    assert second is not None
    gateway = lab.plan.gateway_outside
    watch = run_in_namespace(lab.ns(Role.CLIENT), PathWatch)
    try:
        assert watch.source_toward(gateway) == lab.plan.client_address
        lab.move_client()
        assert _changed(watch), "expected address and route notifications after the move"
        assert watch.source_toward(gateway) == second.new.ip
        lab.exec(Role.CLIENT, ["ping", "-c", "1", "-W", "2", str(gateway)])
    finally:
        watch.close()


def test_leaving_the_network_leaves_no_route_until_the_second_one_is_joined(lab: Lab) -> None:
    second = lab.plan.second_network
    assert second is not None
    gateway = lab.plan.gateway_outside
    watch = run_in_namespace(lab.ns(Role.CLIENT), PathWatch)
    try:
        lab.leave_network()
        assert _changed(watch)
        assert watch.source_toward(gateway) is None
        lab.join_second_network()
        assert _changed(watch)
        assert watch.source_toward(gateway) == second.new.ip
    finally:
        watch.close()


def test_the_full_tunnel_host_route_follows_the_client_to_its_second_network(lab: Lab) -> None:
    """Leaving the network flushes the host route to the gateway with the last address of
    wan0; after joining the second network it is put back via that network's router."""
    second = lab.plan.second_network
    assert second is not None
    gateway = lab.plan.gateway_outside
    vip = ipaddress.IPv4Address("198.19.3.1")
    tun = TunDevice.open(lab.ns(Role.CLIENT), "wotest0")
    watch = run_in_namespace(lab.ns(Role.CLIENT), PathWatch)
    try:
        tun.configure(server=gateway, ipv4=vip, ipv6=None, split_tunneling=False)
        assert tun.reroute_server(gateway) is None  # unchanged: nothing to do
        lab.leave_network()
        assert watch.source_toward(gateway) == vip  # only the tunnel's /1 routes are left
        assert tun.reroute_server(gateway) is None
        lab.join_second_network()
        route = tun.reroute_server(gateway)
        assert route == f"{gateway}/32 via {second.router_address} dev wan0"
        assert watch.source_toward(gateway) == second.new.ip
    finally:
        watch.close()
        tun.close()


def test_out_of_the_nat_the_gateway_sees_the_client_itself() -> None:
    """The NAT topology's second network is routed, not translated: a ping from the moved
    client reaches the gateway from 203.0.113.2 itself (counted in the gateway's input)."""
    with Lab.up(TopologyKind.NAT, f"unnat{os.getpid()}", "unit") as lab:
        second = lab.move_client_out_of_nat()
        gateway = str(lab.plan.gateway_outside)
        counter = (
            "table ip seen {\n  chain input {\n    type filter hook input priority 0;\n"
            f"    ip saddr {second.new.ip} counter\n  }}\n}}\n"
        )
        lab.exec(Role.GATEWAY, ["nft", "-f", "-"], input_text=counter)
        lab.exec(Role.CLIENT, ["ping", "-c", "1", "-W", "2", gateway])
        seen = lab.exec(Role.GATEWAY, ["nft", "list", "table", "ip", "seen"])
        assert "counter packets 1 " in seen, seen
