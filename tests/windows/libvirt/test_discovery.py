"""IP discovery: guest agent, then DHCP leases, then ARP, with a deadline.

On the TEST driver every source answers (with synthetic addresses from the network's
first `<ip>` range), so the fall-through from one source to the next is exercised the way
it happens on real hosts: the agent source is skipped for a domain without the agent
channel, the lease source for a network without libvirt DHCP. What the TEST driver cannot
do: report an IPv4 *and* an IPv6 address on one NIC (it uses the network's first `<ip>`),
and fail one source while another works.
"""

from __future__ import annotations

import ipaddress

import pytest

from infra.lab.topology import TopologyKind
from infra.windows.libvirt_pool.discovery import discover, usable
from infra.windows.libvirt_pool.errors import DomainGone, PoolError, TestDriverHazard, WaitTimeout
from infra.windows.libvirt_pool.networks import (
    IpPlan,
    NetworkMode,
    NetworkSpec,
    network_xml,
    topology_network,
)
from infra.windows.libvirt_pool.virt import AddressSource, Hypervisor
from tests.windows.libvirt.conftest import FakeClock
from tests.windows.libvirt.domains import MGMT_MAC, TEST_MAC, start

MGMT_NET = ipaddress.ip_network("198.18.250.0/24")


def test_guest_agent_is_asked_first(hv: Hypervisor, fake_clock: FakeClock) -> None:
    found = discover(start(hv), MGMT_MAC, clock=fake_clock.clock)
    assert found.source is AddressSource.AGENT and found.network == "wo-mgmt"
    address = found.first(4)
    assert address is not None and address.ip in MGMT_NET and address.network == MGMT_NET
    assert fake_clock.sleeps == []


def test_without_agent_channel_the_dhcp_lease_is_used(
    hv: Hypervisor, fake_clock: FakeClock
) -> None:
    found = discover(start(hv, guest_agent=False), MGMT_MAC, clock=fake_clock.clock)
    assert found.source is AddressSource.LEASE
    assert found.first(4).ip in MGMT_NET


def test_without_agent_or_libvirt_dhcp_arp_is_used(hv: Hypervisor, fake_clock: FakeClock) -> None:
    """A network with an address but no DHCP: leases cannot exist there."""
    static = IpPlan(ipaddress.ip_interface("203.0.113.1/24"))
    hv.define_network(
        network_xml(NetworkSpec("wo-static", "wo-br-st", NetworkMode.ISOLATED, (static,)))
    )
    domain = start(hv, guest_agent=False, test_network="wo-static")
    found = discover(domain, TEST_MAC, clock=fake_clock.clock)
    assert found.source is AddressSource.ARP and found.network == "wo-static"
    assert found.first(4).ip in ipaddress.ip_network("203.0.113.0/24")


def test_test_nic_on_the_topology_network(hv: Hypervisor, fake_clock: FakeClock) -> None:
    found = discover(start(hv), TEST_MAC, clock=fake_clock.clock)
    assert found.network == "wo-nat"
    assert found.first(4).ip in ipaddress.ip_network("198.51.100.0/24")


def test_timeout_says_what_each_source_last_saw(hv: Hypervisor, fake_clock: FakeClock) -> None:
    """Waiting for IPv6 where only IPv4 comes (the TEST driver's dual-stack limit)."""
    domain = start(hv, test_network="wo-dual")
    with pytest.raises(WaitTimeout) as err:
        discover(
            domain,
            TEST_MAC,
            versions=frozenset({4, 6}),
            timeout=10,
            interval=2,
            clock=fake_clock.clock,
        )
    message = str(err.value)
    assert message.startswith(
        f"no IPv4 and IPv6 address for NIC {TEST_MAC} on wo-dual of wo-r1-gw0-s0-1 within 10 s; "
        "last seen: agent: only 192.0.2."
    )
    assert "; lease: only 192.0.2." in message and "; arp: only 192.0.2." in message
    assert sum(fake_clock.sleeps) == 10


def test_skipped_sources_are_named_in_the_timeout(hv: Hypervisor, fake_clock: FakeClock) -> None:
    domain = start(hv, guest_agent=False)
    with pytest.raises(WaitTimeout, match="agent: skipped: no guest agent channel in the domain"):
        discover(domain, MGMT_MAC, versions=frozenset({6}), timeout=4, clock=fake_clock.clock)


def test_vanished_domain_ends_the_wait_at_once(hv: Hypervisor, fake_clock: FakeClock) -> None:
    domain = start(hv)
    domain.destroy()
    with pytest.raises(DomainGone):
        discover(domain, MGMT_MAC, timeout=300, clock=fake_clock.clock)
    assert fake_clock.sleeps == []


def test_unknown_mac_is_an_error_not_a_wait(hv: Hypervisor, fake_clock: FakeClock) -> None:
    with pytest.raises(PoolError, match="has no network NIC with MAC 52:54:00:ff:ff:ff"):
        discover(start(hv), "52:54:00:FF:FF:FF", clock=fake_clock.clock)


def test_bridge_network_is_refused_instead_of_crashing_the_test_driver(
    hv: Hypervisor, fake_clock: FakeClock
) -> None:
    """libvirt 9.0's TEST driver segfaults on interfaceAddresses for a NIC on a network
    without <ip>; the adapter refuses the call (a crash would kill the pytest worker)."""
    hv.define_network(
        network_xml(topology_network(TopologyKind.NAT, name="wo-bridged", bridge="wo-br-b"))
    )
    domain = start(hv, test_network="wo-bridged")
    with pytest.raises(
        TestDriverHazard, match="network 'wo-bridged' of wo-r1-gw0-s0-1 has no <ip>"
    ):
        discover(domain, MGMT_MAC, clock=fake_clock.clock)


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("198.18.250.100/24", True),
        ("169.254.12.7/16", False),  # APIPA: Windows' address when DHCP failed
        ("fe80::1/64", False),
        ("2001:db8:1::100/64", True),
    ],
)
def test_usable_addresses(address: str, ok: bool) -> None:
    assert usable(ipaddress.ip_interface(address)) is ok
