"""NAT detection hashes (RFC 7296 2.23) and what the responder's tell the client.

The responder's NAT_DETECTION_DESTINATION_IP hashes the address and port it saw the
request come from; if that differs from the client's own address and port, a NAT
rewrote them. The responder's NAT_DETECTION_SOURCE_IP is not used: a kernel-libipsec
gateway fakes it to force UDP encapsulation (strongswan-lab.md 3.3).
"""

from __future__ import annotations

import hashlib
import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def natd_hash(spi_i: bytes, spi_r: bytes, address: IPAddress, port: int) -> bytes:
    """SHA1(SPIi | SPIr | IP | port)."""
    return hashlib.sha1(spi_i + spi_r + address.packed + port.to_bytes(2, "big")).digest()


def behind_nat(
    responder_natd_d: tuple[bytes, ...],
    spi_i: bytes,
    spi_r: bytes,
    local: IPAddress,
    local_port: int,
) -> bool:
    """True when none of the responder's NATD_D_IP hashes match our own address and port."""
    if not responder_natd_d:
        return False
    return natd_hash(spi_i, spi_r, local, local_port) not in responder_natd_d
