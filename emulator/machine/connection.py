"""One live VPN connection: UDP sockets, the IKE session, and, once up, the data path.

The pieces have different lifetimes and threads (transport receiver, IKE thread, ESP
thread); this object owns all of them and tears them down in the one safe order (data
path, VPN interface, IKE session, sockets), whether the user hangs up, the gateway
deletes the SA, or the attempt fails half-way. Teardown is idempotent and guarded by a
lock because the IKE thread may start it (gateway Delete) while the user calls close().
The sockets and the VPN interface are created in one visit to the client namespace.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading

from emulator.log import ClientLog
from emulator.net.dataplane import DataPlane
from emulator.net.dhcp_inform import DhcpInform, InformPlan, open_socket
from emulator.net.esp import EspSa
from emulator.net.transport import IPAddress, Transport
from emulator.net.tun import TunDevice, TunError
from emulator.sa.child import ChildSa
from emulator.sa.dial import DialConfig
from emulator.sa.errors import ERROR_IPSEC_IKE_ERROR, ConnectError
from emulator.sa.ike_sa import IkeSa
from emulator.sa.keytable import decryption_table_row
from emulator.sa.session import Established, IkeSession, SessionHooks
from infra.lab.netns import NamespaceThread

TUN_NAME = "wovpn0"


def _endpoints(server: IPAddress, dhcp: bool) -> tuple[Transport, TunDevice, socket.socket | None]:
    """The IKE sockets, the VPN interface and (DHCP) its DHCP client socket, made in the
    calling thread's namespace."""
    transport = Transport.create(server)
    tun: TunDevice | None = None
    try:
        tun = TunDevice.create(TUN_NAME)
        return transport, tun, open_socket(TUN_NAME) if dhcp else None
    except BaseException:
        if tun is not None:
            tun.close()
        transport.close()
        raise


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Connection:
    def __init__(
        self,
        name: str,
        netns: NamespaceThread | None,
        server: IPAddress,
        config: DialConfig,
        log: ClientLog,
        *,
        split_tunneling: bool,
        routes: tuple[IPNetwork, ...] = (),
        dhcp: InformPlan | None = None,
    ) -> None:
        self.name = name
        self.server = server
        self.log = log
        self.split_tunneling = split_tunneling
        self.routes = routes
        """The profile's Add-VpnConnectionRoute prefixes: installed with the interface."""
        self.dhcp_plan = dhcp
        """Windows' DHCPINFORM after connecting (the profile's dhcp_inform), or None."""
        wants_dhcp = dhcp is not None
        if netns is None:
            self.transport, self.tun, self._dhcp_socket = _endpoints(server, wants_dhcp)
        else:
            self.transport, self.tun, self._dhcp_socket = netns.call(
                lambda: _endpoints(server, wants_dhcp)
            )
        self.dhcp: DhcpInform | None = None
        self.session = IkeSession(
            self.transport,
            config,
            log,
            hooks=SessionHooks(
                on_down=self._gateway_down,
                on_child=self._child_rekeyed,
                on_child_retired=self._child_retired,
                on_ike_sa=self._ike_rekeyed,
                last_traffic=self._last_traffic,
                on_path_change=self._reroute,
            ),
        )
        self.established: Established | None = None
        self.dataplane: DataPlane | None = None
        self.key_rows: list[str] = []
        self._lock = threading.Lock()
        self._torn_down = False

    def connect(self, timeout: float) -> Established:
        """IKE up, then the VPN interface's addresses and routes; raises ConnectError (and
        cleans up)."""
        try:
            established = self.session.connect(timeout)
            self.key_rows.append(decryption_table_row(established.sa))
            self.established = established
            self._install(established)
        except ConnectError:
            if self.session.sa is not None and not self.key_rows:
                self.key_rows.append(decryption_table_row(self.session.sa))
            self.teardown()
            raise
        return established

    def _install(self, established: Established) -> None:
        child = established.child
        config = child.config
        try:
            routes = self.tun.configure(
                server=self.server,
                ipv4=config.ipv4 if isinstance(config.ipv4, ipaddress.IPv4Address) else None,
                ipv6=config.ipv6,
                split_tunneling=self.split_tunneling,
                extra=self.routes,
            )
        except TunError as exc:
            self.session.disconnect(5)
            raise ConnectError(ERROR_IPSEC_IKE_ERROR, f"VPN interface: {exc}") from None
        esp = EspSa(child.suite, child.keys, spi_in=child.spi_in, spi_out=child.spi_out)
        dataplane = DataPlane(
            self.tun.fd, esp, self.transport, tsi=child.tsi, tsr=child.tsr, log=self.log
        )
        with self._lock:
            self.dataplane = dataplane
        dataplane.start()
        self.log.line(
            "KNL",
            f"{TUN_NAME}: virtual IP {', '.join(config.addresses)}; routes: "
            + ("; ".join(routes) or "none"),
        )
        self._start_dhcp(config.ipv4)

    def _start_dhcp(self, ipv4: ipaddress.IPv4Address | None) -> None:
        """DHCPINFORM from the virtual IPv4 address (none without one: nothing to inform)."""
        sock, self._dhcp_socket = self._dhcp_socket, None
        if sock is None or self.dhcp_plan is None:
            return
        if ipv4 is None:
            sock.close()
            return
        dhcp = DhcpInform(
            sock, self.dhcp_plan, ciaddr=ipv4, install=self.tun.add_routes, log=self.log
        )
        with self._lock:
            self.dhcp = dhcp
        dhcp.start()

    # --- IKE thread: rekeys -----------------------------------------------------------

    def _child_rekeyed(self, child: ChildSa) -> None:
        with self._lock:
            dataplane = self.dataplane
        if dataplane is not None:
            dataplane.install(
                EspSa(child.suite, child.keys, spi_in=child.spi_in, spi_out=child.spi_out)
            )

    def _child_retired(self, child: ChildSa) -> None:
        with self._lock:
            dataplane = self.dataplane
        if dataplane is not None:
            dataplane.retire(child.spi_in)

    def _ike_rekeyed(self, sa: IkeSa) -> None:
        self.key_rows.append(decryption_table_row(sa))

    def _reroute(self) -> str | None:
        """IKE thread: the network changed; the gateway's host route follows it."""
        with self._lock:
            if self._torn_down or self.dataplane is None:
                return None
            return self.tun.reroute_server(self.server)

    def _last_traffic(self) -> float:
        with self._lock:
            dataplane = self.dataplane
        return dataplane.last_traffic if dataplane is not None else 0.0

    @property
    def up(self) -> bool:
        return self.session.up and self.dataplane is not None and not self._torn_down

    def _gateway_down(self, reason: str) -> None:
        """IKE thread: the gateway deleted the SA (or stopped answering)."""
        self._close_dataplane()

    def _close_dataplane(self) -> None:
        with self._lock:
            dataplane, self.dataplane = self.dataplane, None
            dhcp, self.dhcp = self.dhcp, None
            sock, self._dhcp_socket = self._dhcp_socket, None
        if dhcp is not None:
            dhcp.close()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        if dataplane is not None:
            dataplane.close()
        self.tun.close()

    def disconnect(self, timeout: float = 5.0) -> None:
        """Delete CHILD then IKE SA (Windows' order), then release everything."""
        self._close_dataplane()
        self.session.disconnect(timeout)
        self.teardown()

    def teardown(self) -> None:
        with self._lock:
            if self._torn_down:
                return
            self._torn_down = True
        self._close_dataplane()
        self.session.close()
        self.transport.close()
