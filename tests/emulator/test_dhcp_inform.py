"""The emulator's DHCPINFORM exchange against a real UDP responder that answers what a test
chooses: a good DHCPACK, a malformed option 249, garbage, a NAK, silence.

Both ends run in a private network namespace (created here, removed after), the client
socket bound to its loopback, which loops the 255.255.255.255 broadcast back to the
responder on port 67: the real sockets and timers, no VPN. Routes are collected by the
install callback instead of going into a table (the suites check the real table).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator

import pytest

from emulator.log import ClientLog
from emulator.net.dhcp import MAGIC_COOKIE, encode_classless_routes
from emulator.net.dhcp_inform import DhcpInform, InformPlan, open_socket
from infra.lab.netns import NamespaceThread

VIP = ipaddress.IPv4Address("198.19.3.1")
LAN = ipaddress.IPv4Network("198.19.1.0/24")
Answer = Callable[[bytes], list[bytes]]
"""Given the DHCPINFORM, the datagrams the responder sends back (none: silence)."""


@pytest.fixture
def namespace() -> Iterator[NamespaceThread]:
    name = f"wotest-dhcp-{os.getpid()}-{os.urandom(3).hex()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    thread = None
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        thread = NamespaceThread(name)
        yield thread
    finally:
        if thread is not None:
            thread.close()
        subprocess.run(["ip", "netns", "del", name], check=True)


def _ack(
    inform: bytes, options: bytes, *, message_type: int = 5, xid: bytes | None = None
) -> bytes:
    fixed = bytearray(inform[:236])
    fixed[0] = 2
    if xid is not None:
        fixed[4:8] = xid
    return bytes(fixed) + MAGIC_COOKIE + bytes([53, 1, message_type]) + options + b"\xff"


def _option_249(value: bytes) -> bytes:
    return bytes([249, len(value)]) + value


class Responder:
    """A DHCP server stand-in on port 67 that counts the INFORMs and answers per ANSWER."""

    def __init__(self, namespace: NamespaceThread, answer: Answer) -> None:
        self.sock = namespace.call(self._open)
        self.informs: list[bytes] = []
        self._answer = answer
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _open() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", 67))
        sock.settimeout(0.2)
        return sock

    def _run(self) -> None:
        while True:
            try:
                data, sender = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.informs.append(data)
            for reply in self._answer(data):
                self.sock.sendto(reply, (sender[0], 68))

    def close(self) -> None:
        self.sock.close()
        self._thread.join(timeout=2)


def _exchange(
    namespace: NamespaceThread, answer: Answer, timeouts: tuple[float, ...] = (0.5, 0.5)
) -> tuple[DhcpInform, Responder, list[tuple[ipaddress.IPv4Network, ...]], str]:
    responder = Responder(namespace, answer)
    installed: list[tuple[ipaddress.IPv4Network, ...]] = []

    def install(
        prefixes: tuple[ipaddress.IPv4Network, ...], source: ipaddress.IPv4Address
    ) -> list[str]:
        installed.append(prefixes)
        return [f"{p} src {source}" for p in prefixes]

    log = ClientLog(None)
    plan = InformPlan(
        vendor_class="MSFT 5.0",
        host_name="DESKTOP-WINTEROP",
        hardware=bytes.fromhex("02aabbccddee"),
        parameters=(1, 249),
        timeouts=timeouts,
    )
    dhcp = DhcpInform(
        namespace.call(lambda: open_socket("lo")), plan, ciaddr=VIP, install=install, log=log
    )
    dhcp.start()
    assert dhcp.done.wait(10), "the DHCPINFORM exchange did not end"
    dhcp.close()
    responder.close()
    return dhcp, responder, installed, "\n".join(log.lines)


def test_a_good_ack_installs_option_249_ignoring_the_router(namespace: NamespaceThread) -> None:
    routes = encode_classless_routes(((LAN, ipaddress.IPv4Address("198.19.1.254")),))
    dhcp, responder, installed, log = _exchange(
        namespace, lambda inform: [_ack(inform, _option_249(routes))]
    )
    assert installed == [(LAN,)]
    assert dhcp.routes == (f"{LAN} src {VIP}",)
    assert "option 249 198.19.1.0/24 via 198.19.1.254 (router ignored)" in dhcp.outcome
    assert len(responder.informs) == 1
    sent = responder.informs[0]
    assert sent[12:16] == VIP.packed and b"MSFT 5.0" in sent
    assert "DHCPINFORM 198.19.3.1" in log


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (bytes([33, 198, 19, 1, 0, 0, 0, 0, 0]), "prefix length 33 is over 32"),
        (bytes([24, 198, 19, 1, 0, 0]), "a /24 route needs 8 bytes"),
        (bytes([24, 198, 19, 1, 0, 0, 0, 0]) * 31 + bytes([32, 1]), "a /32 route needs 9 bytes"),
    ],
)
def test_a_malformed_option_249_installs_nothing_and_says_why(
    namespace: NamespaceThread, value: bytes, said: str
) -> None:
    """RFC 3442 section 4: an option the client cannot parse is not used, none of it (the
    last case is an oversized option: 250 bytes, cut short at the end)."""
    dhcp, _, installed, log = _exchange(
        namespace, lambda inform: [_ack(inform, _option_249(value))]
    )
    assert installed == []
    assert "option 249 ignored" in dhcp.outcome and said in dhcp.outcome
    assert "Traceback" not in log


def test_garbage_and_foreign_answers_are_dropped_until_the_real_one(
    namespace: NamespaceThread,
) -> None:
    routes = encode_classless_routes(((LAN, ipaddress.IPv4Address("0.0.0.0")),))

    def answer(inform: bytes) -> list[bytes]:
        return [
            b"\x02garbage",
            _ack(inform, _option_249(routes), xid=b"\xde\xad\xbe\xef"),  # someone else's
            _ack(inform, bytes([249, 200, 1])),  # runs past the message
            _ack(inform, _option_249(routes)),
        ]

    dhcp, _, installed, log = _exchange(namespace, answer)
    assert installed == [(LAN,)]
    assert "dropped a malformed answer" in log and "shorter than a DHCP message" in log
    assert "runs past the message" in log
    assert dhcp.outcome.startswith("DHCPACK from 127.0.0.1")


def test_a_nak_or_an_ack_without_249_installs_nothing(namespace: NamespaceThread) -> None:
    nak, _, installed, _ = _exchange(namespace, lambda inform: [_ack(inform, b"", message_type=6)])
    assert installed == [] and "answer type 6" in nak.outcome
    bare, _, installed, _ = _exchange(namespace, lambda inform: [_ack(inform, b"")])
    assert installed == [] and "without option 249" in bare.outcome


def test_silence_retries_on_the_schedule_then_gives_up(namespace: NamespaceThread) -> None:
    dhcp, responder, installed, _ = _exchange(namespace, lambda _: [], timeouts=(0.2, 0.2, 0.2))
    assert installed == [] and len(responder.informs) == 3
    assert dhcp.outcome == "no DHCPACK after 3 DHCPINFORMs; no DHCP routes"
    assert len({inform[4:8] for inform in responder.informs}) == 1  # one xid throughout
