"""Making sure tcpdump has written every packet before it is stopped.

Why: tcpdump exits on SIGINT without reading what is still queued for it in the kernel,
so packets sent in the last milliseconds before the stop (a client's final Delete, the
last IP fragment of a gateway response) can be missing from the pcap even with
`--immediate-mode`. Before stopping, the capture sends one marker datagram through the
captured interface and waits (polling the file, with a deadline) until tcpdump has
written it: every packet that crossed the interface before it is then in the file. The
marker is a NAT keepalive (one 0xFF byte to UDP 4500, RFC 3948 2.3) from a port no IKE
daemon uses: tshark shows it as a keepalive, and an IKE peer that receives it ignores it.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import time
from pathlib import Path

from infra.lab.netns import run_in_namespace

NAT_KEEPALIVE = b"\xff"
NATT_PORT = 4500
_ETHERNET = 1
_IPV4, _IPV6 = 0x0800, 0x86DD

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def send_marker(namespace: str, source: IPAddress, peer: IPAddress) -> int:
    """Send the marker from SOURCE (an address on the captured interface) to PEER:4500
    inside NAMESPACE; return the marker's source port."""

    def send() -> int:
        family = socket.AF_INET6 if source.version == 6 else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((str(source), 0))
            sock.sendto(NAT_KEEPALIVE, (str(peer), NATT_PORT))
            return int(sock.getsockname()[1])

    return run_in_namespace(namespace, send)


def _udp(frame: bytes) -> tuple[int, bytes] | None:
    """(source port, payload) of an Ethernet frame carrying unfragmented UDP, else None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == _IPV4 and len(ip) >= 20 and ip[9] == 17:
        udp = ip[(ip[0] & 0x0F) * 4 :]
    elif ethertype == _IPV6 and len(ip) >= 40 and ip[6] == 17:
        udp = ip[40:]
    else:
        return None
    if len(udp) < 8:
        return None
    return struct.unpack("!H", udp[:2])[0], udp[8:]


def marker_written(pcap: Path, port: int) -> bool:
    """Whether PCAP already holds the marker sent from PORT."""
    try:
        data = pcap.read_bytes()
    except FileNotFoundError:
        return False
    if len(data) < 24:
        return False
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        return False
    if struct.unpack(order + "I", data[20:24])[0] != _ETHERNET:
        return False
    offset = 24
    while offset + 16 <= len(data):
        length = struct.unpack(order + "I", data[offset + 8 : offset + 12])[0]
        frame = data[offset + 16 : offset + 16 + length]
        offset += 16 + length
        udp = _udp(frame)
        if udp is not None and udp == (port, NAT_KEEPALIVE):
            return True
    return False


def wait_for_marker(pcap: Path, port: int, *, timeout: float = 2.0) -> bool:
    """Poll PCAP until the marker is written or TIMEOUT passes; report which."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker_written(pcap, port):
            return True
        time.sleep(0.002)
    return False
