"""The VPN interface: a TUN device in the client namespace, configured like Windows' own.

Windows gives the VPN interface the virtual IP(s) from the CP reply and, for a full
tunnel (Add-VpnConnection without -SplitTunneling), makes it the default route while
keeping a host route to the VPN server over the physical interface; with split
tunnelling it adds only the classful network of the virtual IPv4 address. It adds no
IPv6 route (windows-client-behavior.md section 8). Here that becomes two /1 routes (more
specific than the namespace's default route, which stays in place) plus a /32 to the
gateway via the route it had before.

Why everything is created up front: entering a namespace costs milliseconds (setns on a
helper thread), so the device, a netlink socket (emulator.net.rtnl) and the interface
names are made in the same namespace visit as the IKE sockets, when dialling starts, as
Windows' WAN miniport adapter also exists before the connection. Configuring it after
IKE_AUTH is then a few netlink requests on sockets that already live in the namespace.
Addresses and on-link routes vanish with the device when its descriptor is closed; the
host route to the server lives on the physical interface and is deleted explicitly.
When the machine changes networks (MOBIKE), the kernel flushes that host route with the
last address of its interface; `reroute_server` puts it back over the new network's
route, as Windows re-points the VPN server's host route at the new interface.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import socket
import struct
import threading

from emulator.net.rtnl import Rtnl
from infra.lab.netns import run_in_namespace

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
TUN_MTU = 1400
"""Windows' VPN interface MTU; leaves room for ESP-in-UDP on a 1500-byte link."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TunError(OSError):
    """The TUN device could not be created or configured (says which step failed)."""


def classful_network(address: ipaddress.IPv4Address) -> ipaddress.IPv4Network:
    """The class A/B/C network of ADDRESS, the only route Windows' split tunnel adds."""
    first = address.packed[0]
    prefix = 8 if first < 128 else 16 if first < 192 else 24
    return ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)


class TunDevice:
    """One non-persistent TUN device (no packet information) and a netlink socket, both
    bound to the namespace they were created in."""

    def __init__(self, fd: int, ifname: str, ifindex: int, names: dict[int, str], rtnl: Rtnl):
        self.fd = fd
        self.ifname = ifname
        self.ifindex = ifindex
        self.routes: tuple[str, ...] = ()
        self._names = names
        self._rtnl = rtnl
        self._host_route: tuple[ipaddress.IPv4Network, int] | None = None
        self._host_via: tuple[int, IPAddress | None] | None = None
        self._closed = False
        self._lock = threading.Lock()
        """One netlink conversation at a time: the IKE thread (reroute) and the DHCP thread
        (option 249 routes) share the socket."""

    @classmethod
    def create(cls, ifname: str) -> TunDevice:
        """Create IFNAME in the *calling thread's* namespace (see open / run_in_namespace)."""
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", ifname.encode(), IFF_TUN | IFF_NO_PI))
            names = dict(socket.if_nameindex())
            ifindex = next(index for index, name in names.items() if name == ifname)
            return cls(fd, ifname, ifindex, names, Rtnl())
        except (OSError, StopIteration) as exc:
            os.close(fd)
            raise TunError(0, f"cannot create TUN device {ifname}: {exc}") from None

    @classmethod
    def open(cls, namespace: str | None, ifname: str) -> TunDevice:
        return run_in_namespace(namespace, lambda: cls.create(ifname))

    def configure(
        self,
        *,
        server: IPAddress,
        ipv4: ipaddress.IPv4Address | None,
        ipv6: ipaddress.IPv6Address | None,
        split_tunneling: bool,
        extra: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (),
    ) -> tuple[str, ...]:
        """Bring the device up with the virtual IPs and Windows' routes; return the routes.

        Windows' own: the classful route of the virtual IPv4 (split tunnel), or the two
        halves of 0.0.0.0/0 plus a host route to the server outside (full tunnel); never an
        IPv6 route (reference 8). EXTRA (Add-VpnConnectionRoute) go to the device, from the
        virtual IP of their family; one without such an address is skipped and noted."""
        with self._lock:
            return self._configure(server, ipv4, ipv6, split_tunneling, extra)

    def _configure(
        self,
        server: IPAddress,
        ipv4: ipaddress.IPv4Address | None,
        ipv6: ipaddress.IPv6Address | None,
        split_tunneling: bool,
        extra: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
    ) -> tuple[str, ...]:
        rtnl, ifindex, ifname = self._rtnl, self.ifindex, self.ifname
        routes: list[str] = []
        try:
            rtnl.link_up(ifindex, TUN_MTU)
            if ipv4 is not None:
                rtnl.add_address(ifindex, ipv4, 32)
            if ipv6 is not None:
                rtnl.add_address(ifindex, ipv6, 128)
            if ipv4 is not None and split_tunneling:
                network = classful_network(ipv4)
                rtnl.add_route(network, ifindex, source=ipv4)
                routes.append(f"{network} dev {ifname} src {ipv4}")
            elif ipv4 is not None:
                if server.version == 4:
                    physical = rtnl.route_get(server)
                    host = ipaddress.IPv4Network(f"{server}/32")
                    rtnl.add_route(host, physical.ifindex, gateway=physical.gateway, replace=True)
                    self._host_route = (host, physical.ifindex)
                    self._host_via = (physical.ifindex, physical.gateway)
                    via = f" via {physical.gateway}" if physical.gateway else ""
                    device = self._names.get(physical.ifindex, f"#{physical.ifindex}")
                    routes.append(f"{host}{via} dev {device}")
                for half in ("0.0.0.0/1", "128.0.0.0/1"):
                    rtnl.add_route(ipaddress.IPv4Network(half), ifindex, source=ipv4)
                    routes.append(f"{half} dev {ifname} src {ipv4}")
            for prefix in extra:
                source = ipv4 if prefix.version == 4 else ipv6
                if source is None:
                    routes.append(f"{prefix} skipped (no virtual IPv{prefix.version})")
                    continue
                rtnl.add_route(prefix, ifindex, source=source)
                routes.append(f"{prefix} dev {ifname} src {source}")
        except OSError as exc:
            raise TunError(exc.errno, f"configuring {ifname}: {exc.strerror or exc}") from None
        self.routes = tuple(routes)
        return self.routes

    def add_routes(
        self, prefixes: tuple[ipaddress.IPv4Network, ...], source: ipaddress.IPv4Address
    ) -> list[str]:
        """Routes onto this device (DHCP option 249); one the kernel refuses (a duplicate of
        a route it already has, say) is noted, not fatal. Returns what was done, as text."""
        done: list[str] = []
        with self._lock:
            if self._closed:
                return done
            for prefix in prefixes:
                try:
                    self._rtnl.add_route(prefix, self.ifindex, source=source)
                    done.append(f"{prefix} dev {self.ifname} src {source}")
                except OSError as exc:
                    done.append(f"{prefix} not added ({exc.strerror or exc})")
        return done

    def installed_routes(self) -> tuple[str, ...]:
        """The main table's routes through this device, read back from the kernel (what
        Get-NetRoute -InterfaceAlias lists on Windows), IPv4 then IPv6."""
        with self._lock:
            if self._closed:
                return ()
            entries = [
                *self._rtnl.main_routes(socket.AF_INET),
                *self._rtnl.main_routes(socket.AF_INET6),
            ]
        return tuple(str(e.destination) for e in entries if e.ifindex == self.ifindex)

    def reroute_server(self, server: IPAddress) -> str | None:
        """Point the full tunnel's host route to SERVER at the best route outside the VPN
        interface (the longest prefix of the main table that holds SERVER); returns it as
        text, or None when there is none (no network) or no host route is kept."""
        with self._lock:
            return self._reroute_server(server)

    def _reroute_server(self, server: IPAddress) -> str | None:
        if self._host_route is None or server.version != 4 or self._closed:
            return None
        host, _ = self._host_route
        candidates = [
            r
            for r in self._rtnl.main_routes(socket.AF_INET)
            if r.ifindex != self.ifindex and server in r.destination and r.destination != host
        ]
        if not candidates:
            return None
        best = max(candidates, key=lambda r: r.destination.prefixlen)
        if (best.ifindex, best.gateway) == self._host_via:
            return None  # unchanged: replacing it would only notify the path watch again
        try:
            self._rtnl.add_route(host, best.ifindex, gateway=best.gateway, replace=True)
        except OSError:
            return None
        self._host_route = (host, best.ifindex)
        self._host_via = (best.ifindex, best.gateway)
        via = f" via {best.gateway}" if best.gateway else ""
        return f"{host}{via} dev {self._names.get(best.ifindex, f'#{best.ifindex}')}"

    def close(self) -> None:
        """Remove the host route, close the device (taking its addresses and routes)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._close()

    def _close(self) -> None:
        if self._host_route is not None:
            with contextlib.suppress(OSError):  # the namespace (or route) may be gone already
                self._rtnl.delete_route(*self._host_route)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self._rtnl.close()
