"""Windows' DHCPINFORM through the tunnel, and the option 249 routes it installs.

Reference 8 ([SW-WC]): after connecting, Windows broadcasts a DHCPINFORM with vendor class
"MSFT 5.0" through the tunnel and adds the classless static routes of option 249 from the
answer to the VPN interface, ignoring their router field; DHCP routes cannot be refused on
Windows. It happens after the dial has returned, so it runs on its own thread and a
missing answer never fails the connection: the client retries on its schedule, then lives
without the routes.

The socket is a real UDP socket on port 68 bound to the VPN interface (made with the
interface, in the client namespace): the broadcast goes through the TUN device into the
data path, which forwards it only when the CHILD SA's traffic selectors cover
255.255.255.255 (reference 8: a split tunnel's TSr must include it), exactly as the IPsec
policy decides on Windows.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.log import ClientLog
from emulator.net.dhcp import (
    DHCPACK,
    OPT_MS_CLASSLESS_ROUTES,
    DhcpError,
    DhcpReply,
    classless_routes,
    inform,
    parse_reply,
)

CLIENT_PORT = 68
SERVER_PORT = 67
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)

InstallRoutes = Callable[[tuple[ipaddress.IPv4Network, ...], ipaddress.IPv4Address], list[str]]


@dataclass(frozen=True)
class InformPlan:
    """What the profile says Windows sends, and how long it waits for each answer."""

    vendor_class: str
    host_name: str
    hardware: bytes
    parameters: tuple[int, ...]
    timeouts: tuple[float, ...]
    """Real seconds to wait after each attempt (the profile's Windows seconds, scaled)."""


def open_socket(ifname: str) -> socket.socket:
    """The DHCP client socket, bound to IFNAME; call in the client namespace."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())
        sock.bind(("0.0.0.0", CLIENT_PORT))
    except OSError:
        sock.close()
        raise
    return sock


class DhcpInform:
    """One DHCPINFORM exchange for the virtual IP CIADDR; its outcome is logged and kept."""

    def __init__(
        self,
        sock: socket.socket,
        plan: InformPlan,
        *,
        ciaddr: ipaddress.IPv4Address,
        install: InstallRoutes,
        log: ClientLog,
    ) -> None:
        self._sock = sock
        self._plan = plan
        self._ciaddr = ciaddr
        self._install = install
        self._log = log
        self._xid = int.from_bytes(os.urandom(4), "big")
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="emulator-dhcp", daemon=True)
        self.done = threading.Event()
        self.routes: tuple[str, ...] = ()
        """The routes installed from option 249."""
        self.outcome = "pending"
        self._closed = False

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            self.outcome = self._exchange()
        except OSError as exc:
            self.outcome = f"DHCP socket error: {exc}"
        finally:
            self._log.line("DHCP", self.outcome)
            self.done.set()

    def _exchange(self) -> str:
        plan = self._plan
        message = inform(
            xid=self._xid,
            ciaddr=self._ciaddr,
            hardware=plan.hardware,
            vendor_class=plan.vendor_class,
            host_name=plan.host_name,
            parameters=plan.parameters,
        )
        for attempt, timeout in enumerate(plan.timeouts, start=1):
            self._sock.sendto(message, ("255.255.255.255", SERVER_PORT))
            self._log.line(
                "DHCP",
                f"DHCPINFORM {self._ciaddr} xid 0x{self._xid:08x} vendor class "
                f"{plan.vendor_class!r} -> 255.255.255.255:{SERVER_PORT} (attempt {attempt})",
            )
            answer = self._await(timeout)
            if answer is not None:
                return answer
            if self._closing():
                return "DHCPINFORM abandoned: the connection closed"
        return f"no DHCPACK after {len(plan.timeouts)} DHCPINFORMs; no DHCP routes"

    def _await(self, timeout: float) -> str | None:
        """The outcome once an answer to our xid arrives, or None after TIMEOUT."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self._sock, self._wake_r], [], [], left)
            if self._wake_r in ready:
                return None
            if not ready:
                return None
            data, sender = self._sock.recvfrom(4096)
            try:
                reply = parse_reply(data)
            except DhcpError as exc:
                self._log.line("DHCP", f"dropped a malformed answer from {sender[0]}: {exc}")
                continue
            if reply.xid != self._xid:
                continue
            return self._accept(reply, sender[0])
        return None

    def _accept(self, reply: DhcpReply, sender: str) -> str:
        if reply.message_type != DHCPACK:
            return f"answer type {reply.message_type} from {sender}, not DHCPACK; no DHCP routes"
        value = reply.options.get(OPT_MS_CLASSLESS_ROUTES)
        if value is None:
            return f"DHCPACK from {sender} without option 249; no DHCP routes"
        try:
            routes = classless_routes(value)
        except DhcpError as exc:
            return f"DHCPACK from {sender}: option 249 ignored, {exc}"
        # Windows ignores the router field: every route goes onto the VPN interface.
        installed = self._install(tuple(network for network, _ in routes), self._ciaddr)
        self.routes = tuple(installed)
        return (
            f"DHCPACK from {sender}: option 249 "
            + ", ".join(f"{n} via {r}" for n, r in routes)
            + " (router ignored); routes: "
            + ("; ".join(installed) or "none")
        )

    def _closing(self) -> bool:
        ready, _, _ = select.select([self._wake_r], [], [], 0)
        return bool(ready)

    def close(self) -> None:
        """Stop waiting, close the socket; idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._sock.close()
