"""Traffic selector checks for the data path (RFC 4301 5.1, 5.2).

An outbound packet may use the CHILD SA only if its source is inside TSi and its
destination inside TSr; an inbound one only the other way round. The gateway's selectors
cover all ports here, so addresses and the IP protocol are what is checked; a packet
outside them is dropped, as the IPsec policy of a real host would.
"""

from __future__ import annotations

from collections.abc import Sequence

from emulator.codec import TrafficSelector, UnknownTrafficSelector

Selector = TrafficSelector | UnknownTrafficSelector


def packet_addresses(packet: bytes) -> tuple[int, bytes, bytes, int] | None:
    """(IP version, source, destination, protocol) of an IPv4/IPv6 packet, or None."""
    if len(packet) >= 20 and packet[0] >> 4 == 4:
        return 4, packet[12:16], packet[16:20], packet[9]
    if len(packet) >= 40 and packet[0] >> 4 == 6:
        return 6, packet[8:24], packet[24:40], packet[6]
    return None


def _inside(selectors: Sequence[Selector], version: int, address: bytes, protocol: int) -> bool:
    value = int.from_bytes(address, "big")
    for ts in selectors:
        if not isinstance(ts, TrafficSelector) or ts.start_address.version != version:
            continue
        if ts.ip_protocol not in (0, protocol):
            continue
        if int(ts.start_address) <= value <= int(ts.end_address):
            return True
    return False


def allowed(packet: bytes, sources: Sequence[Selector], destinations: Sequence[Selector]) -> bool:
    """Whether PACKET's source is in SOURCES and its destination in DESTINATIONS."""
    parsed = packet_addresses(packet)
    if parsed is None:
        return False
    version, source, destination, protocol = parsed
    return _inside(sources, version, source, protocol) and _inside(
        destinations, version, destination, protocol
    )
