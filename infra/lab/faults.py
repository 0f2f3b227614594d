"""Faults on the lab's links: IKE and ESP datagrams the gateway never receives, and IP
fragments that never arrive.

Why nftables and not `tc netem`: this machine's kernel has no sch_netem (`tc qdisc add ...
netem` fails with "Specified qdisc kind is unknown"), and a random loss makes a verdict
depend on luck. A DropPattern drops, in the gateway's namespace, the Nth UDP datagram to
ports 500/4500 whenever N mod MODULUS is in DROPPED: a fixed share of the traffic, lost in
the same places on every run. tcpdump taps the interface before netfilter's input hook, so
the capture still shows every datagram the client sent, dropped ones included: the
retransmission timing is measured on the wire. The table lives in the lab's namespace and
goes with it.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE = "winterop_faults"
FRAGMENT_TABLE = "winterop_fragments"


@dataclass(frozen=True)
class DropPattern:
    modulus: int
    dropped: frozenset[int]

    def __post_init__(self) -> None:
        if (
            self.modulus < 2
            or not self.dropped
            or not all(0 <= n < self.modulus for n in self.dropped)
        ):
            raise ValueError(f"drop pattern {sorted(self.dropped)} mod {self.modulus} is invalid")
        if len(self.dropped) == self.modulus:
            raise ValueError("a pattern that drops everything is a cut link: use Lab.isolate")

    @property
    def loss(self) -> float:
        return len(self.dropped) / self.modulus

    def describe(self) -> str:
        return (
            f"{self.loss:.0%} of the IKE/ESP datagrams to the gateway dropped (numbers "
            f"{', '.join(map(str, sorted(self.dropped)))} of every {self.modulus})"
        )

    def ruleset(self) -> str:
        """The nft script that installs the pattern (input hook, before charon's sockets)."""
        members = ", ".join(str(n) for n in sorted(self.dropped))
        return (
            f"table inet {TABLE} {{\n"
            "  chain input {\n"
            "    type filter hook input priority filter - 10; policy accept;\n"
            f"    udp dport {{ 500, 4500 }} numgen inc mod {self.modulus} {{ {members} }} "
            "counter drop\n"
            "  }\n"
            "}\n"
        )


NON_FIRST_FRAGMENT_DROP = (
    f"table inet {FRAGMENT_TABLE} {{\n"
    "  chain prerouting {\n"
    "    type filter hook prerouting priority -450; policy accept;\n"
    "    ip frag-off & 0x1fff != 0 counter drop\n"
    "    frag frag-off != 0 counter drop\n"
    "  }\n"
    "}\n"
)
"""Drop every non-first IP fragment (IPv4 offset != 0, IPv6 Fragment header offset != 0)
arriving in a namespace, as many NATs and firewalls do: the first fragment (with the UDP
header) passes, the datagram can never be reassembled, and the receiver's socket never
sees it. Why priority -450: the hook must run before netfilter's own defragmentation (-400,
active wherever conntrack is, e.g. the NAT namespace), or it would only ever see whole
datagrams. Installed in the gateway and the client namespaces (their ingress, both
directions of the path), tcpdump still records every fragment sent (AF_PACKET taps before
netfilter), so the capture shows what was lost."""


RESPONSE_TABLE = "winterop_responses"


def response_drop(exchange: int) -> str:
    """nft script dropping every IKE response of EXCHANGE the gateway sends on port 4500.

    The IKE header follows the UDP header (8 bytes) and the non-ESP marker (4): its exchange
    type is byte 18 of it and its flags byte 19, i.e. bits 240 and 248 of the transport
    header. The output hook runs before tcpdump's tap on egress, so the capture shows none
    of them: to the client the gateway answered nothing, which is what a gateway that dies
    in the middle of the exchange does (suites/test_crashes.py)."""
    if not 0 < exchange < 256:
        raise ValueError(f"exchange type {exchange} is not one octet")
    return (
        f"table inet {RESPONSE_TABLE} {{\n"
        "  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        f"    udp sport 4500 @th,240,8 {exchange} @th,250,1 1 counter drop\n"
        "  }\n"
        "}\n"
    )
