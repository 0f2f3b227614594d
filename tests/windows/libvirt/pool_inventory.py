"""A lab inventory on the TEST driver, and a transport opener that hands out replay doubles.

The inventory is tests/windows/inventories/pool-test-driver.yaml.tmpl with the test's own
generated node file filled in, so inventory -> pool -> libvirt runs for real. The only
double is at the transport boundary (`ReplayOpener` builds `ReplayTransport`s from
recorded documents): no Windows guest answers on the TEST driver's synthetic addresses.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field
from pathlib import Path

from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.protocol import ClientKind
from infra.lab.topology import TopologyKind
from infra.windows.inventory import Inventory, load_inventory
from infra.windows.transports import Credentials
from tests.windows.replay_transport import ReplayTransport, load_documents

TEMPLATE = Path(__file__).resolve().parents[1] / "inventories" / "pool-test-driver.yaml.tmpl"
BUILT = dt.date(2026, 11, 1)  # images[].built in the template
DAY_AFTER_BUILD = BUILT + dt.timedelta(days=1)
ENV = {
    "WINTEROP_ADMIN_USER": "winterop-admin",
    "WINTEROP_ADMIN_PASSWORD": "admin-secret",
    "WINTEROP_TEST_USER": "winterop",
    "WINTEROP_TEST_USER_PASSWORD": "user-secret",
}
COLLECTED_LOGS = {
    "ok": True,
    "data": {
        "since": "2026-11-02T00:00:00.000000Z",
        "rasclient_events": [],
        "ipsec_events": [],
        "route_print": "IPv4 Route Table",
        "ipconfig_all": "Windows IP Configuration",
        "rasdial": "No connections",
        "vpn_connections": [],
        "errors": {},
    },
    "error": None,
}


def write_inventory(
    directory: Path, node_file: Path, *, max_vms: int = 1, name: str = "lab.yaml"
) -> Path:
    """The template with NODE_FILE filled in, written to DIRECTORY/NAME."""
    text = string.Template(TEMPLATE.read_text()).substitute(
        node_file=str(node_file), max_vms=str(max_vms)
    )
    path = directory / name
    path.write_text(text)
    return path


def pool_inventory(directory: Path, node_file: Path, *, max_vms: int = 1) -> Inventory:
    return load_inventory(write_inventory(directory, node_file, max_vms=max_vms))


@dataclass
class Opened:
    kind: str
    host: str
    credentials: Credentials
    transport: ReplayTransport


@dataclass
class ReplayOpener:
    """`open_transport` stand-in: each transport replays the readiness recording and one
    collect-logs document (none if not ANSWERS_COLLECT_LOGS). IKEEXT runs, except: in the
    first transport (the pool's boot probe) it is FIRST_IKEEXT in the first answer; with
    NEVER_READY it never runs."""

    first_ikeext: str = "Running"
    os_version: str = "10.0.19045"
    never_ready: bool = False
    answers_collect_logs: bool = True
    opened: list[Opened] = field(default_factory=list)

    def __call__(
        self, kind: str, host: str, credentials: Credentials, **_: object
    ) -> ReplayTransport:
        ikeext = "Stopped" if self.never_ready else "Running"
        if not self.opened:
            ikeext = "Stopped" if self.never_ready else self.first_ikeext
        documents = load_documents("readiness", os_version=self.os_version, ikeext=ikeext)
        if self.never_ready:
            documents["readiness-probe"] = documents["readiness-probe"][:1] * 200
        if self.answers_collect_logs:
            documents["collect-logs"] = [COLLECTED_LOGS]
        transport = ReplayTransport(documents, name=kind)
        self.opened.append(Opened(kind, host, credentials, transport))
        return transport


class FakeLab:
    """What the provider reads of a Lab: its name (`<run>-<worker>-<pid>-<n>`)."""

    def __init__(self, name: str = "t1-gw0-4242-1") -> None:
        self.name = name


def cell(profile: str = "win10-22h2", topology: TopologyKind = TopologyKind.NAT) -> Cell:
    return Cell(ClientKind.WINDOWS, profile, AuthCase.MACHINE_CERT, "docs-recommended", topology)
