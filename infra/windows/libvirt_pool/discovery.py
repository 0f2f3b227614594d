"""Find a guest NIC's IP addresses: guest agent, then DHCP leases, then ARP, with a deadline.

Order matters (windows-driving.md 10.2): the guest agent knows every address Windows has
configured, including static and IPv6 ones, but starts late in boot; libvirt's DHCP leases
exist only on networks where libvirt's own dnsmasq serves addresses (the management
network); ARP only knows IPv4 neighbours the hypervisor has talked to. A source that
cannot apply is skipped up front with the reason (no agent channel in the domain XML; a
network without libvirt DHCP), so a timeout message lists what each source last said.

Windows assigns an APIPA address (169.254/16) when DHCP fails and always has an IPv6
link-local address; neither is reachable from the harness, so neither counts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from infra.windows.libvirt_pool.domain_xml import has_agent_channel, live_nics
from infra.windows.libvirt_pool.errors import (
    GuestAgentUnavailable,
    NotSupportedByDriver,
    PoolError,
    WaitTimeout,
)
from infra.windows.libvirt_pool.networks import serves_dhcp
from infra.windows.libvirt_pool.virt import AddressSource, Domain, IPInterface
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock, Deadline

DEFAULT_ORDER = (AddressSource.AGENT, AddressSource.LEASE, AddressSource.ARP)
_APIPA = ipaddress.ip_network("169.254.0.0/16")


@dataclass(frozen=True)
class FoundAddresses:
    """The usable addresses of one NIC and the source that reported them."""

    mac: str
    network: str
    source: AddressSource
    addresses: tuple[IPInterface, ...]

    def first(self, version: int) -> IPInterface | None:
        return next((a for a in self.addresses if a.version == version), None)


def usable(address: IPInterface) -> bool:
    """False for APIPA and link-local addresses, which the harness cannot reach."""
    return not (address.ip.is_link_local or address.ip in _APIPA)


def applicable_sources(
    domain: Domain, mac: str, order: Sequence[AddressSource] = DEFAULT_ORDER
) -> tuple[str, list[AddressSource], dict[str, str]]:
    """(network of MAC, sources worth asking in ORDER, {source: why skipped})."""
    xml = domain.xml()
    nic = next((n for n in live_nics(xml) if n.mac == mac.lower()), None)
    if nic is None:
        raise PoolError(f"domain {domain.name} has no network NIC with MAC {mac}")
    skipped: dict[str, str] = {}
    if AddressSource.AGENT in order and not has_agent_channel(xml):
        skipped[AddressSource.AGENT.label] = "skipped: no guest agent channel in the domain"
    if AddressSource.LEASE in order and not serves_dhcp(domain.hypervisor, nic.network):
        skipped[AddressSource.LEASE.label] = f"skipped: network {nic.network} has no libvirt DHCP"
    return nic.network, [s for s in order if s.label not in skipped], skipped


def discover(
    domain: Domain,
    mac: str,
    *,
    versions: frozenset[int] = frozenset({4}),
    order: Sequence[AddressSource] = DEFAULT_ORDER,
    timeout: float = 300.0,
    interval: float = 2.0,
    clock: Clock = REAL_CLOCK,
) -> FoundAddresses:
    """Poll the sources in ORDER until one reports usable addresses of every IP VERSIONS.

    A vanished or stopped domain and an unreachable hypervisor end the wait at once; a
    silent guest agent only moves on to the next source.
    """
    mac = mac.lower()
    network, sources, last = applicable_sources(domain, mac, order)
    deadline = Deadline(timeout, clock)
    while True:
        for source in sources:
            try:
                interfaces = domain.interface_addresses(source)
            except (GuestAgentUnavailable, NotSupportedByDriver) as exc:
                last[source.label] = str(exc)
                continue
            seen = tuple(
                a for i in interfaces if i.hwaddr.lower() == mac for a in i.addresses if usable(a)
            )
            if versions <= {a.version for a in seen}:
                return FoundAddresses(mac, network, source, seen)
            last[source.label] = (
                f"only {', '.join(map(str, seen))}" if seen else f"nothing for {mac}"
            )
        if deadline.expired():
            break
        deadline.pause(interval)
    wanted = " and ".join(f"IPv{v}" for v in sorted(versions))
    said = "; ".join(f"{label}: {text}" for label, text in last.items())
    raise WaitTimeout(
        f"no {wanted} address for NIC {mac} on {network} of {domain.name} within "
        f"{timeout:g} s; last seen: {said}"
    )
