"""DHCP on the wire, as far as Windows' DHCPINFORM over the VPN needs it (RFC 2131, 2132).

Windows informs, it does not lease: the address is the virtual IP from IKE, so the client
sends DHCPINFORM with ciaddr = that address and takes from the DHCPACK what the LAN's DHCP
server says about the network, above all option 249 (Microsoft's classless static routes,
the encoding of RFC 3442's option 121; reference 8). Everything here is pure bytes in and
out; emulator.net.dhcp_inform does the sending and the routes.

Why the parser is strict: the answer comes from the network. A malformed option 249 (a
prefix length over 32, a route cut short) must not become a half-installed route table or
a traceback in the client: `classless_routes` rejects the whole option with DhcpError
naming the byte offset, and the client installs none of it (RFC 3442 section 4: a client
that cannot parse the option should not use it).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

MAGIC_COOKIE = b"\x63\x82\x53\x63"
BOOTREQUEST = 1
BOOTREPLY = 2
HTYPE_ETHERNET = 1
OPT_PAD = 0
OPT_END = 255
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_PARAMETER_LIST = 55
OPT_VENDOR_CLASS = 60
OPT_CLIENT_ID = 61
OPT_HOST_NAME = 12
OPT_MS_CLASSLESS_ROUTES = 249
DHCPACK = 5
DHCPNAK = 6
DHCPINFORM = 8
_FIXED = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
"""op htype hlen hops xid secs flags ciaddr yiaddr siaddr giaddr chaddr sname file."""


class DhcpError(ValueError):
    """A DHCP message or option that cannot be parsed; says what and where."""


@dataclass(frozen=True)
class DhcpReply:
    message_type: int
    xid: int
    ciaddr: ipaddress.IPv4Address
    options: dict[int, bytes]

    @property
    def server(self) -> ipaddress.IPv4Address | None:
        value = self.options.get(OPT_SERVER_ID)
        return ipaddress.IPv4Address(value) if value is not None and len(value) == 4 else None


def inform(
    *,
    xid: int,
    ciaddr: ipaddress.IPv4Address,
    hardware: bytes,
    vendor_class: str,
    host_name: str,
    parameters: tuple[int, ...],
) -> bytes:
    """A DHCPINFORM from CIADDR (RFC 2131 4.4.3: ciaddr set, no requested address)."""
    if len(hardware) != 6:
        raise ValueError("an Ethernet-style hardware address has 6 bytes")
    fixed = _FIXED.pack(
        BOOTREQUEST,
        HTYPE_ETHERNET,
        6,
        0,
        xid,
        0,
        0,
        ciaddr.packed,
        bytes(4),
        bytes(4),
        bytes(4),
        hardware.ljust(16, b"\0"),
        b"",
        b"",
    )
    options = [
        _option(OPT_MESSAGE_TYPE, bytes([DHCPINFORM])),
        _option(OPT_CLIENT_ID, bytes([HTYPE_ETHERNET]) + hardware),
        _option(OPT_HOST_NAME, host_name.encode("ascii", "replace")[:255]),
        _option(OPT_VENDOR_CLASS, vendor_class.encode("ascii")),
        _option(OPT_PARAMETER_LIST, bytes(parameters)),
    ]
    return fixed + MAGIC_COOKIE + b"".join(options) + bytes([OPT_END])


def _option(code: int, value: bytes) -> bytes:
    if len(value) > 255:
        raise ValueError(f"option {code}: {len(value)} bytes do not fit one option")
    return bytes([code, len(value)]) + value


def parse_reply(data: bytes) -> DhcpReply:
    """A BOOTREPLY with its options (concatenated where an option repeats, RFC 3396)."""
    if len(data) < _FIXED.size + len(MAGIC_COOKIE):
        raise DhcpError(f"{len(data)} bytes: shorter than a DHCP message")
    op, _, _, _, xid, _, _, ciaddr, *_ = _FIXED.unpack_from(data)
    if op != BOOTREPLY:
        raise DhcpError(f"op {op}: not a BOOTREPLY")
    if data[_FIXED.size : _FIXED.size + 4] != MAGIC_COOKIE:
        raise DhcpError("no DHCP magic cookie")
    options: dict[int, bytes] = {}
    offset = _FIXED.size + 4
    while offset < len(data):
        code = data[offset]
        if code == OPT_END:
            break
        if code == OPT_PAD:
            offset += 1
            continue
        if offset + 2 > len(data) or offset + 2 + data[offset + 1] > len(data):
            raise DhcpError(f"option {code} at byte {offset} runs past the message")
        length = data[offset + 1]
        options[code] = options.get(code, b"") + data[offset + 2 : offset + 2 + length]
        offset += 2 + length
    kind = options.get(OPT_MESSAGE_TYPE, b"")
    if len(kind) != 1:
        raise DhcpError("no DHCP message type (option 53)")
    return DhcpReply(kind[0], xid, ipaddress.IPv4Address(ciaddr), options)


Route = tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]


def classless_routes(value: bytes) -> tuple[Route, ...]:
    """Option 121/249's routes: (destination, router) pairs, RFC 3442 section 2 encoding
    (a prefix length, its significant octets, a 4-byte router). Raises DhcpError for the
    whole option on any defect: a prefix length over 32, a route cut short, set bits
    beyond the prefix length."""
    routes: list[Route] = []
    offset = 0
    while offset < len(value):
        width = value[offset]
        if width > 32:
            raise DhcpError(f"option 249 byte {offset}: prefix length {width} is over 32")
        octets = (width + 7) // 8
        end = offset + 1 + octets + 4
        if end > len(value):
            raise DhcpError(
                f"option 249 byte {offset}: a /{width} route needs {1 + octets + 4} bytes, "
                f"{len(value) - offset} remain"
            )
        significant = value[offset + 1 : offset + 1 + octets]
        address = ipaddress.IPv4Address(significant.ljust(4, b"\0"))
        try:
            network = ipaddress.IPv4Network((address, width))
        except ValueError:
            raise DhcpError(
                f"option 249 byte {offset}: {address}/{width} has bits set beyond the prefix"
            ) from None
        router = ipaddress.IPv4Address(value[offset + 1 + octets : end])
        routes.append((network, router))
        offset = end
    return tuple(routes)


def encode_classless_routes(routes: tuple[Route, ...]) -> bytes:
    """The inverse of classless_routes (for the test responder and property tests)."""
    out = b""
    for network, router in routes:
        octets = (network.prefixlen + 7) // 8
        out += bytes([network.prefixlen]) + network.network_address.packed[:octets] + router.packed
    return out
