"""MOBIKE (RFC 4555): moving an established IKE SA to the client's new address.

What Windows does: it announces N(MOBIKE_SUPPORTED) in IKE_AUTH (reference 2.2, observed)
and keeps the connection when the machine changes networks (reference 6, documented); how
it says so on the wire is not recorded (reference 6 and 14.9: *uncertain*). The emulator
does what RFC 4555 3.5 asks of an initiator whose address changed: an INFORMATIONAL request
from the new address with N(UPDATE_SA_ADDRESSES), and, as profile options, the NAT
detection notifies for the new path (`mobike_update_natd`, the RFC's SHOULD), the
client's address list (`mobike_update_address_list`: N(NO_ADDITIONAL_ADDRESSES), which
makes charon forget the old address, RFC 4555 3.6) and a COOKIE2 for the return
routability check (`mobike_update_cookie2`, the RFC's MAY). The
gateway's NAT-D in the response tells whether a NAT now sits on the path, which decides,
for example, how Windows answers the gateway's CHILD SA rekeys (reference 4.4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from emulator.codec import NotifyPayload, Payload
from emulator.const import NotifyType
from emulator.profiles.schema import ProfileOptions
from emulator.sa.auth_exchange import raise_for_error_notify
from emulator.sa.errors import ProtocolViolation
from emulator.sa.natt import IPAddress, behind_nat, natd_hash

COOKIE2_LENGTH = 16
"""RFC 4555 3.5: COOKIE2 carries 8 to 64 random octets; charon uses 16 as well."""


@dataclass(frozen=True)
class UpdateRequest:
    """The payloads of one address update and the COOKIE2 the response must echo."""

    payloads: tuple[Payload, ...]
    cookie2: bytes | None = None


@dataclass(frozen=True)
class Endpoints:
    """The IKE SA's SPIs and the addresses and NAT-T ports of the path the update is sent
    on (what the NAT detection hashes cover, RFC 7296 2.23)."""

    spi_i: bytes
    spi_r: bytes
    local: IPAddress
    local_port: int
    server: IPAddress
    server_port: int


def peer_supports(payloads: tuple[Payload, ...]) -> bool:
    """Whether the gateway's IKE_AUTH response announced MOBIKE (RFC 4555 4.2.1)."""
    return any(
        isinstance(p, NotifyPayload) and p.notify_type == NotifyType.MOBIKE_SUPPORTED
        for p in payloads
    )


def update_request(options: ProfileOptions, path: Endpoints) -> UpdateRequest:
    """INFORMATIONAL [ N(UPDATE_SA_ADDRESSES) N(NATD_S_IP) N(NATD_D_IP) N(NO_ADD_ADDR)
    N(COOKIE2) ], the optional parts as the profile says."""
    payloads: list[Payload] = [NotifyPayload(NotifyType.UPDATE_SA_ADDRESSES)]
    if options.mobike_update_natd:
        payloads += [
            NotifyPayload(
                NotifyType.NAT_DETECTION_SOURCE_IP,
                natd_hash(path.spi_i, path.spi_r, path.local, path.local_port),
            ),
            NotifyPayload(
                NotifyType.NAT_DETECTION_DESTINATION_IP,
                natd_hash(path.spi_i, path.spi_r, path.server, path.server_port),
            ),
        ]
    if options.mobike_update_address_list:
        # One address only: the list of additional addresses is empty (RFC 4555 3.6).
        payloads.append(NotifyPayload(NotifyType.NO_ADDITIONAL_ADDRESSES))
    cookie2 = os.urandom(COOKIE2_LENGTH) if options.mobike_update_cookie2 else None
    if cookie2 is not None:
        payloads.append(NotifyPayload(NotifyType.COOKIE2, cookie2))
    return UpdateRequest(tuple(payloads), cookie2)


def update_response(payloads: tuple[Payload, ...], request: UpdateRequest, path: Endpoints) -> bool:
    """Check the gateway's answer to REQUEST; return whether a NAT is now on the path.

    An error notify (UNACCEPTABLE_ADDRESSES, UNEXPECTED_NAT_DETECTED, ...) raises the
    ConnectError Windows would report; a COOKIE2 that is not echoed is an attack (RFC 4555
    3.5: the update must not be applied)."""
    raise_for_error_notify(payloads, "the address update")
    if request.cookie2 is not None:
        echoed = [
            p.data
            for p in payloads
            if isinstance(p, NotifyPayload) and p.notify_type == NotifyType.COOKIE2
        ]
        if echoed != [request.cookie2]:
            raise ProtocolViolation("the address update response does not echo our COOKIE2")
    natd_d = tuple(
        p.data
        for p in payloads
        if isinstance(p, NotifyPayload) and p.notify_type == NotifyType.NAT_DETECTION_DESTINATION_IP
    )
    return behind_nat(natd_d, path.spi_i, path.spi_r, path.local, path.local_port)
