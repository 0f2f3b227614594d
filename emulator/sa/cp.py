"""The CP request Windows sends and what the client takes from the CP reply.

Request attributes, in Windows' order (windows-client-behavior.md 2.3): INTERNAL_IP4_ADDRESS,
[P_CSCF_IP4], INTERNAL_IP4_DNS, INTERNAL_IP4_NBNS, Microsoft's INTERNAL_IP4_SERVER (23456),
INTERNAL_IP6_ADDRESS, [P_CSCF_IP6], INTERNAL_IP6_DNS, INTERNAL_IP6_SERVER (23457), each
group only when that address family is enabled. strongSwan recognises Windows clients by
the two private SERVER attributes. From the reply the client keeps the first virtual
address of each family, at most two DNS and two NBNS servers per family, and ignores
attributes of the wrong length, as the reverse-engineered client code does.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from emulator.codec import ConfigAttribute, CpPayload
from emulator.const import CfgType
from emulator.const import ConfigAttributeType as A

IPv4 = ipaddress.IPv4Address
IPv6 = ipaddress.IPv6Address


def cp_request(
    *,
    ipv4: bool,
    ipv6: bool,
    pcscf: bool,
    previous_ipv4: IPv4 | None = None,
    previous_ipv6: IPv6 | None = None,
) -> CpPayload:
    """The CFG_REQUEST of the first IKE_AUTH (previous addresses re-requested if given)."""
    attributes: list[ConfigAttribute] = []
    if ipv4:
        attributes.append(
            ConfigAttribute(A.INTERNAL_IP4_ADDRESS, previous_ipv4.packed if previous_ipv4 else b"")
        )
        if pcscf:
            attributes.append(ConfigAttribute(A.P_CSCF_IP4_ADDRESS))
        attributes += [
            ConfigAttribute(A.INTERNAL_IP4_DNS),
            ConfigAttribute(A.INTERNAL_IP4_NBNS),
            ConfigAttribute(A.INTERNAL_IP4_SERVER),
        ]
    if ipv6:
        value = previous_ipv6.packed + bytes([128]) if previous_ipv6 else b""
        attributes.append(ConfigAttribute(A.INTERNAL_IP6_ADDRESS, value))
        if pcscf:
            attributes.append(ConfigAttribute(A.P_CSCF_IP6_ADDRESS))
        attributes += [ConfigAttribute(A.INTERNAL_IP6_DNS), ConfigAttribute(A.INTERNAL_IP6_SERVER)]
    return CpPayload(CfgType.REQUEST, tuple(attributes))


@dataclass(frozen=True)
class ConfigReply:
    """What the client installs from the gateway's CFG_REPLY."""

    ipv4: IPv4 | None = None
    ipv6: IPv6 | None = None
    ipv6_prefix: int = 128
    dns4: tuple[IPv4, ...] = ()
    dns6: tuple[IPv6, ...] = ()
    nbns: tuple[IPv4, ...] = ()
    server4: IPv4 | None = None
    server6: IPv6 | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(str(a) for a in (self.ipv4, self.ipv6) if a is not None)


def parse_reply(cp: CpPayload | None) -> ConfigReply:
    """The usable content of a CFG_REPLY (an absent or non-reply CP gives an empty one)."""
    if cp is None or cp.cfg_type != CfgType.REPLY:
        return ConfigReply()
    ipv4: IPv4 | None = None
    ipv6: IPv6 | None = None
    prefix = 128
    dns4: list[IPv4] = []
    dns6: list[IPv6] = []
    nbns: list[IPv4] = []
    server4: IPv4 | None = None
    server6: IPv6 | None = None
    for attribute in cp.attributes:
        kind, value = attribute.attr_type, attribute.value
        if kind == A.INTERNAL_IP4_ADDRESS and len(value) == 4 and ipv4 is None:
            ipv4 = IPv4(value)
        elif kind == A.INTERNAL_IP6_ADDRESS and len(value) == 17 and ipv6 is None:
            ipv6, prefix = IPv6(value[:16]), min(value[16], 128)
        elif kind == A.INTERNAL_IP4_DNS and len(value) == 4 and len(dns4) < 2:
            dns4.append(IPv4(value))
        elif kind == A.INTERNAL_IP6_DNS and len(value) in (16, 17) and len(dns6) < 2:
            dns6.append(IPv6(value[:16]))
        elif kind == A.INTERNAL_IP4_NBNS and len(value) == 4 and len(nbns) < 2:
            nbns.append(IPv4(value))
        elif kind == A.INTERNAL_IP4_SERVER and len(value) == 4:
            server4 = IPv4(value)
        elif kind == A.INTERNAL_IP6_SERVER and len(value) == 16:
            server6 = IPv6(value)
    return ConfigReply(ipv4, ipv6, prefix, tuple(dns4), tuple(dns6), tuple(nbns), server4, server6)
