"""UDP 500 / 4500 sockets of one emulated client and the thread that receives on them.

Why one receiver thread for both ports: after IKE_AUTH moves to port 4500 the same socket
carries IKE (behind the four zero bytes of the non-ESP marker, RFC 3948 2.2), NAT
keepalives (a single 0xFF byte) and UDP-encapsulated ESP, so one reader must tell them
apart and hand each to its consumer: IKE datagrams to the IKE SA's inbox, ESP to the data
path. Only datagrams from the gateway's address are accepted; anything else is counted
and dropped, as a host firewall would. The same thread watches the namespace's addresses
and routes (emulator.net.pathwatch), so a change of network reaches the IKE thread as an
event (MOBIKE, RFC 4555); the sockets are bound to the wildcard address, so after a move
they send from whatever source the kernel picks, as Windows' IKE sockets do.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from emulator.net.pathwatch import PathWatch
from infra.lab.netns import run_in_namespace

IKE_PORT = 500
NATT_PORT = 4500
NON_ESP_MARKER = b"\x00\x00\x00\x00"
NAT_KEEPALIVE = b"\xff"
_MAX_DATAGRAM = 65535

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Datagram:
    """An IKE message as received: bytes without the marker, and the port it came to."""

    data: bytes
    natt: bool
    """True when it arrived on port 4500 (behind the non-ESP marker)."""


IkeSink = Callable[[Datagram], None]
EspSink = Callable[[bytes], None]
PathSink = Callable[[], None]


def _bound_socket(family: int, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    except OSError:
        sock.close()
        raise
    return sock


def _source_address(family: int, server: IPAddress) -> IPAddress:
    """The address the namespace's routing table would send to SERVER from."""
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:
        probe.connect((str(server), IKE_PORT))
        return ipaddress.ip_address(probe.getsockname()[0])
    finally:
        probe.close()


IP_MTU = 14
IPV6_MTU = 24
"""Linux getsockopt options (linux/in.h, linux/in6.h) that Python's socket module lacks:
the path MTU the kernel knows for a connected socket's destination."""


def _path_mtu(family: int, server: IPAddress) -> int:
    """The path MTU towards SERVER as the namespace's kernel knows it (route or link MTU,
    lowered by ICMP "fragmentation needed"); 0 if it cannot say."""
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:
        probe.connect((str(server), NATT_PORT))
        if family == socket.AF_INET6:
            return int(probe.getsockopt(socket.IPPROTO_IPV6, IPV6_MTU))
        return int(probe.getsockopt(socket.IPPROTO_IP, IP_MTU))
    except OSError:
        return 0
    finally:
        probe.close()


class Transport:
    """Sockets on ports 500 and 4500 inside a namespace, talking to one gateway."""

    def __init__(
        self,
        server: IPAddress,
        sock500: socket.socket,
        sock4500: socket.socket,
        local: IPAddress,
        *,
        server_ports: tuple[int, int] = (IKE_PORT, NATT_PORT),
        path_mtu: int = 0,
        watch: PathWatch | None = None,
    ) -> None:
        self.server = server
        self.local = local
        """The address the client sends from (the session moves it when the path changes)."""
        self.path_mtu = path_mtu
        """The path MTU to the server when the transport was opened (0: unknown)."""
        self.local_port = int(sock500.getsockname()[1])
        self.local_natt_port = int(sock4500.getsockname()[1])
        self.server_port, self.server_natt_port = server_ports
        self._sock500 = sock500
        self._sock4500 = sock4500
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._ike_sink: IkeSink | None = None
        self._esp_sink: EspSink | None = None
        self._path_sink: PathSink | None = None
        self._watch = watch
        self._thread: threading.Thread | None = None
        self.dropped_foreign = 0
        self.dropped_esp = 0

    @classmethod
    def open(
        cls,
        namespace: str | None,
        server: IPAddress,
        *,
        local_ports: tuple[int, int] = (IKE_PORT, NATT_PORT),
        server_ports: tuple[int, int] = (IKE_PORT, NATT_PORT),
    ) -> Transport:
        """Bind the IKE and NAT-T ports inside NAMESPACE (None: the current one).

        Windows uses 500 and 4500 on both ends; unit tests pass port 0 (any free port)
        and a scripted responder's ports, so they run without root, side by side.
        """
        return run_in_namespace(
            namespace,
            lambda: cls.create(server, local_ports=local_ports, server_ports=server_ports),
        )

    @classmethod
    def create(
        cls,
        server: IPAddress,
        *,
        local_ports: tuple[int, int] = (IKE_PORT, NATT_PORT),
        server_ports: tuple[int, int] = (IKE_PORT, NATT_PORT),
    ) -> Transport:
        """Like open(), in the *calling thread's* namespace (see infra.lab.netns)."""
        family = socket.AF_INET6 if server.version == 6 else socket.AF_INET
        sock500 = _bound_socket(family, local_ports[0])
        try:
            sock4500 = _bound_socket(family, local_ports[1])
        except OSError:
            sock500.close()
            raise
        try:
            local = _source_address(family, server)
            watch = PathWatch()
        except OSError:
            sock500.close()
            sock4500.close()
            raise
        return cls(
            server,
            sock500,
            sock4500,
            local,
            server_ports=server_ports,
            path_mtu=_path_mtu(family, server),
            watch=watch,
        )

    @property
    def ike_overhead(self) -> int:
        """Bytes in front of an IKE message on port 4500: IP header, UDP header and the
        non-ESP marker."""
        return (40 if self.server.version == 6 else 20) + 8 + len(NON_ESP_MARKER)

    # --- receiving -------------------------------------------------------------------

    def start(self, ike_sink: IkeSink, path_sink: PathSink | None = None) -> None:
        """Start the receiver thread delivering IKE datagrams to IKE_SINK and news of a
        change of the namespace's addresses or routes to PATH_SINK."""
        self._ike_sink = ike_sink
        self._path_sink = path_sink
        self._thread = threading.Thread(target=self._run, name="emulator-udp", daemon=True)
        self._thread.start()

    def set_esp_sink(self, sink: EspSink | None) -> None:
        """Where UDP-encapsulated ESP goes (None: dropped, e.g. before a CHILD SA exists)."""
        self._esp_sink = sink

    def source(self) -> IPAddress | None:
        """The address a datagram to the gateway would leave from now (None: no route)."""
        if self._watch is None:
            return self.local
        return self._watch.source_toward(self.server)

    def _run(self) -> None:
        sockets: list[socket.socket | PathWatch] = [self._sock500, self._sock4500]
        if self._watch is not None:
            sockets.append(self._watch)
        while not self._stop.is_set():
            ready, _, _ = select.select([*sockets, self._wake_r], [], [])
            for sock in ready:
                if sock is self._wake_r:
                    continue
                if isinstance(sock, PathWatch):
                    if sock.drain() and self._path_sink is not None:
                        self._path_sink()
                    continue
                assert isinstance(sock, socket.socket)
                try:
                    data, peer = sock.recvfrom(_MAX_DATAGRAM)
                except OSError:
                    continue
                self._dispatch(data, peer, natt=sock is self._sock4500)

    def _dispatch(
        self, data: bytes, peer: tuple[str, int] | tuple[str, int, int, int], *, natt: bool
    ) -> None:
        if ipaddress.ip_address(peer[0].split("%")[0]) != self.server:
            self.dropped_foreign += 1
            return
        sink = self._ike_sink
        if not natt:
            if sink is not None:
                sink(Datagram(data, natt=False))
            return
        if data == NAT_KEEPALIVE:
            return
        if data[:4] == NON_ESP_MARKER:
            if sink is not None:
                sink(Datagram(data[4:], natt=True))
            return
        esp = self._esp_sink
        if esp is None or len(data) < 8:
            self.dropped_esp += 1
            return
        esp(data)

    # --- sending ---------------------------------------------------------------------

    def send_ike(self, data: bytes, *, natt: bool) -> None:
        """One IKE message to the gateway: port 500, or 4500 behind the non-ESP marker."""
        if natt:
            self._sock4500.sendto(NON_ESP_MARKER + data, (str(self.server), self.server_natt_port))
        else:
            self._sock500.sendto(data, (str(self.server), self.server_port))

    def send_esp(self, packet: bytes) -> None:
        self._sock4500.sendto(packet, (str(self.server), self.server_natt_port))

    def send_keepalive(self) -> None:
        self._sock4500.sendto(NAT_KEEPALIVE, (str(self.server), self.server_natt_port))

    def close(self) -> None:
        """Stop the receiver and close the sockets; idempotent."""
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1
        self._sock500.close()
        self._sock4500.close()
        if self._watch is not None:
            self._watch.close()
