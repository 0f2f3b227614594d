"""Notice when the client machine's network changes, and which address it now sends from.

Why: a Windows client with MOBIKE (RFC 4555) moves its IKE SA when the machine changes
networks (a laptop from Wi-Fi to LTE) instead of dialling again; it learns of the change
from the operating system, not from the gateway. The emulator gets the same news from the
kernel: a NETLINK_ROUTE socket subscribed to address and route changes of the namespace
it was created in becomes readable on every change; the transport's receiver thread
selects on it and tells the IKE thread, which asks `source_toward` for the address a
datagram to the gateway would now leave from (the kernel's own source selection,
RTA_PREFSRC of RTM_GETROUTE).
"""

from __future__ import annotations

import contextlib
import socket

from emulator.net.rtnl import NETLINK_ROUTE, IPAddress, NetlinkError, Rtnl

RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_IFADDR = 0x100
RTMGRP_IPV6_ROUTE = 0x400
GROUPS = (
    RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE
)


class PathWatch:
    """Change notifications and source-address lookups for one network namespace.

    Create it in the namespace to watch (both sockets keep that namespace for life)."""

    def __init__(self) -> None:
        self._events = socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_ROUTE
        )
        try:
            self._events.bind((0, GROUPS))
            self._rtnl = Rtnl()
        except OSError:
            self._events.close()
            raise

    def fileno(self) -> int:
        return self._events.fileno()

    def drain(self) -> int:
        """Read every pending notification; how many datagrams there were (the content does
        not matter: any change is a reason to look the path up again)."""
        count = 0
        while True:
            try:
                self._events.recv(65536)
            except BlockingIOError:
                return count
            except OSError:
                # ENOBUFS: notifications were lost, which is still news of a change.
                return count + 1
            count += 1

    def source_toward(self, server: IPAddress) -> IPAddress | None:
        """The address a datagram to SERVER leaves from now; None without a route."""
        try:
            return self._rtnl.route_get(server).source
        except NetlinkError:
            return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._events.close()
        self._rtnl.close()
