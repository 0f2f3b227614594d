"""The LAN's DHCP server for Windows' DHCPINFORM: a real dnsmasq in the gateway namespace.

After connecting, Windows broadcasts a DHCPINFORM (vendor class "MSFT 5.0") through the
tunnel and installs the routes of option 249 from the answer (reference 8, [SW-WC]). The
strongSwan documentation answers it with dnsmasq, tagging the vendor class and handing
out option 249 to that tag only; this module runs exactly that configuration.

Why dnsmasq listens on charon's ipsec0 and why that device gets an address: the lab's ESP
is kernel-libipsec, so a decrypted packet enters the gateway's stack on the TUN device
ipsec0, not on the physical interface as it would with kernel ESP. dnsmasq answers DHCP
only on an interface with an IPv4 address (its server identifier); without one it logs
"DHCP packet received on ipsec0 which has no address" and drops the INFORM. The address
(SERVER_ADDRESS) lies inside the protected LAN 198.19.1.0/24, so the unicast DHCPACK to the
client's virtual IP leaves from an address the gateway's traffic selector covers.

The `static` range over the virtual IP pool gives dnsmasq the subnet the INFORM comes
from, and leases nothing: the addresses stay charon's (its pool). Everything (lease file,
PID file, log) lives in the lab's work directory and dies with the lab.
"""

from __future__ import annotations

import ipaddress
import subprocess
import time
from pathlib import Path

from infra.errors import LabError
from infra.lab.lab import Lab
from infra.lab.topology import Role

DNSMASQ = "/usr/sbin/dnsmasq"
SERVER_ADDRESS = ipaddress.ip_interface("198.19.1.67/32")
"""dnsmasq's address on ipsec0: its DHCP server identifier."""
LIBIPSEC_DEVICE = "ipsec0"
VENDOR_CLASS = "MSFT 5.0"
"""The vendor class Windows' DHCPINFORM carries; the configuration tags it (reference 8)."""
TAG = "msipsec"
READY_WITHIN_S = 5.0


class DhcpServerError(LabError):
    """dnsmasq did not start or died; the message quotes its log."""


def documented_config(routes: tuple[str, ...]) -> list[str]:
    """The dnsmasq.conf lines [SW-WC] shows for ROUTES (what the report recommends)."""
    option = ",".join(f"{route},0.0.0.0" for route in routes)
    return [f"dhcp-vendorclass=set:{TAG},{VENDOR_CLASS}", f"dhcp-option=tag:{TAG},249,{option}"]


def dnsmasq_args(*, routes: tuple[str, ...], pool: str, workdir: Path, log: Path) -> list[str]:
    """dnsmasq's command line: DHCP only (no DNS), the docs' vendor-class tag, ROUTES as
    option 249 (router 0.0.0.0: Windows ignores it), on ipsec0 only."""
    network = ipaddress.ip_network(pool)
    if network.version != 4:
        raise ValueError(f"the DHCP server serves an IPv4 pool, not {pool}")
    for route in routes:
        if ipaddress.ip_network(route).version != 4:
            raise ValueError(f"option 249 carries IPv4 routes, not {route}")
    return [
        DNSMASQ,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--port=0",
        "--user=root",
        f"--interface={LIBIPSEC_DEVICE}",
        "--bind-dynamic",
        f"--dhcp-range={network.network_address},static,{network.netmask}",
        *(f"--{line}" for line in documented_config(routes)),
        "--log-dhcp",
        f"--log-facility={log}",
        f"--dhcp-leasefile={workdir / 'dnsmasq.leases'}",
        f"--pid-file={workdir / 'dnsmasq.pid'}",
    ]


class DhcpServer:
    """dnsmasq on the gateway's ipsec0, handing option 249 ROUTES to MSFT 5.0 clients."""

    def __init__(self, lab: Lab, *, routes: tuple[str, ...], pool: str) -> None:
        self.lab = lab
        self.routes = routes
        self.pool = pool
        self.workdir = lab.workdir / "dnsmasq"
        self.log_path = self.workdir / "dnsmasq.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Address ipsec0 (charon made it at start-up), start dnsmasq, wait until it serves."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.lab.exec(
            Role.GATEWAY, ["ip", "address", "add", str(SERVER_ADDRESS), "dev", LIBIPSEC_DEVICE]
        )
        args = dnsmasq_args(
            routes=self.routes, pool=self.pool, workdir=self.workdir, log=self.log_path
        )
        self._proc = self.lab.spawn(Role.GATEWAY, args)
        deadline = time.monotonic() + READY_WITHIN_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DhcpServerError(
                    f"dnsmasq exited with {self._proc.returncode} at start-up: {self.log_tail()}"
                )
            if "DHCP, static leases only" in self.log_text():
                return
            time.sleep(0.02)
        raise DhcpServerError(f"dnsmasq not serving within {READY_WITHIN_S} s: {self.log_tail()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 5) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return " | ".join(tail) or "(no log)"

    def lines(self, needle: str) -> list[str]:
        """dnsmasq's log lines containing NEEDLE (e.g. "DHCPINFORM", "option:249")."""
        return [line for line in self.log_text().splitlines() if needle in line]

    def stop(self) -> None:
        if self._proc is not None:
            self.lab.stop(self._proc)
            self._proc = None
