"""DHCPINFORM through the tunnel and the routes of option 249, with a real dnsmasq.

Reference 8 ([SW-WC]): a split-tunnel Windows client routes only the classful network of
its virtual IP (here 198.19.3.0/24), so the LAN behind the gateway (198.19.1.0/24) is out
of reach until the LAN's DHCP server tells it otherwise: after connecting, Windows
broadcasts a DHCPINFORM (vendor class "MSFT 5.0") through the tunnel and routes the
prefixes of option 249 from the DHCPACK through the VPN interface. The gateway's traffic
selectors must include 255.255.255.255/32 for the broadcast to pass. The gateway here is
the documented one with split selectors (the LAN, plus the broadcast address or not) and
dnsmasq configured as the documentation shows (infra.gateway.dhcp_server).

Verdicts come from three independent places: the decrypted ESP in the capture (the
DHCPINFORM and DHCPACK themselves), dnsmasq's own log, and the client's routing table read
back (the emulator's kernel table, Get-NetRoute on a VM); then traffic to the LAN over the
route. The strongSwan reference client sends no DHCPINFORM, so its cells are collected and
skipped with that reason.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import CaptureFacts, EspPacket
from infra.cell import Cell
from infra.client_setup import client_setup
from infra.clients.protocol import ClientKind
from infra.gateway.dhcp_server import TAG
from infra.gateway.presets import docs_recommended
from infra.gateway.spec import GatewaySpec
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import TopologyKind

LAN = "198.19.1.0/24"
"""The gateway's LAN (198.19.1.1 lives there), outside the VIP's classful 198.19.3.0/24."""
BROADCAST = "255.255.255.255/32"
ROUTES_WITHIN_S = 10.0
"""How long the client may take to install the DHCP routes after the dial returns (the
positive test returns as soon as they are there). The first DHCPINFORM goes out at once;
no retransmission schedule of Windows' is recorded (the profile's is uncertain), and 10 s
covers the first retransmission of RFC 2131's 4 s doubling."""
WITH_BROADCAST = "dhcp-249"
WITHOUT_BROADCAST = "dhcp-249-no-broadcast-ts"
CASE_A = [AuthCase.MACHINE_CERT]
DOCS = ["docs-recommended"]
TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
NO_DHCP_CLIENT = {
    ClientKind.REFERENCE: "charon as a client sends no DHCPINFORM and reads no option 249; "
    "it routes what the negotiated selectors cover",
}


def _cells(variant: str) -> list[object]:
    cells = (
        reference_cells(CASE_A, DOCS, TOPOLOGIES, variant=variant)
        + emulated_cells(CASE_A, DOCS, TOPOLOGIES, variant=variant)
        + windows_cells(CASE_A, DOCS, TOPOLOGIES, variant=variant)
    )
    return params(cells, inapplicable=NO_DHCP_CLIENT)


def _spec(cell: Cell, eap: LabCredentials, *, broadcast: bool) -> GatewaySpec:
    """docs-recommended with split selectors and the documented dnsmasq on the LAN."""
    spec = docs_recommended(cell.auth, (eap.secret(),))
    local_ts = (LAN, BROADCAST) if broadcast else (LAN,)
    conns = tuple(
        replace(c, children=tuple(replace(ch, local_ts=local_ts) for ch in c.children))
        for c in spec.connections
    )
    return replace(spec, connections=conns, dhcp_routes=(LAN,))


def _start(
    interop: StartInterop, eap: LabCredentials, cell: Cell, *, broadcast: bool
) -> InteropRun:
    setup = replace(client_setup(cell.preset), split_tunneling=True)
    run = interop(cell, _spec(cell, eap, broadcast=broadcast), setup=setup)
    assert run.client is not None
    outcome = run.connect()
    assert outcome.connected, f"expected a connection; observed: {outcome.describe()}"
    return run


def _dhcp(wire: CaptureFacts, message_type: int) -> list[EspPacket]:
    """Decrypted ESP packets carrying DHCP of MESSAGE_TYPE (8 INFORM, 5 ACK)."""
    return [e for e in wire.esp if e.decrypted and e.dhcp_type == message_type]


def _esp_list(wire: CaptureFacts) -> str:
    return "; ".join(f"{e.frame}: {e.summary()}" for e in wire.esp) or "no ESP"


def _routes_within(run: InteropRun, prefix: str, within: float) -> tuple[str, ...] | None:
    """The client's VPN-interface routes once PREFIX is among them, or the last read after
    WITHIN seconds (None: the client kind cannot read its table)."""
    assert run.client is not None
    deadline = time.monotonic() + within
    while True:
        routes = run.client.state(PROFILE_NAME).routes
        if routes is None or prefix in routes or time.monotonic() >= deadline:
            return routes
        time.sleep(0.2)


def _tunnelled_pings(wire: CaptureFacts, destination: str) -> list[int]:
    return [
        e.frame
        for e in wire.esp
        if e.decrypted and e.inner_dst == destination and e.inner_protocol == "icmp"
    ]


@pytest.mark.routing
@pytest.mark.parametrize("cell", _cells(WITH_BROADCAST))
def test_option_249_routes_the_lan(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """DHCPINFORM out, DHCPACK with option 249 back, the LAN routed and reached.

    Expectation (oracle, documented): the client sends a DHCPINFORM from its virtual IP to
    255.255.255.255 through the tunnel (dhcp_inform_after_connect) with vendor class
    dhcp_vendor_class; dnsmasq tags it and answers with option 249 = 198.19.1.0/24; the
    client routes 198.19.1.0/24 through the VPN interface (installs_option_249_routes) and
    a ping to 198.19.1.1 travels inside ESP and is answered.
    """
    run = _start(interop, lab_credentials, cell, broadcast=True)
    assert run.client is not None and run.gateway is not None and run.gateway.dhcp is not None
    vip = next(ip for ip in run.client.state(PROFILE_NAME).virtual_ips if ":" not in ip)
    installs = expect(cell.profile, "installs_option_249_routes")
    routes = _routes_within(run, LAN, ROUTES_WITHIN_S)
    measure("vpn_interface_routes", routes)
    lan_host = str(run.lab.plan.protected_host)
    reached = run.client.reach(lan_host)
    wire = run.wire()
    dnsmasq = run.gateway.dhcp
    informs, acks = _dhcp(wire, 8), _dhcp(wire, 5)
    measure("dhcpinform", [e.summary() for e in informs])
    measure("dhcpack", [f"{e.summary()} option 249 {list(e.dhcp_routes)}" for e in acks])
    measure("dnsmasq", dnsmasq.lines(f"DHCPINFORM(ipsec0) {vip}") + dnsmasq.lines("option:249"))

    sends = expect(cell.profile, "dhcp_inform_after_connect")
    assert bool(informs) == sends.as_bool(), (
        f"expected {'a' if sends.as_bool() else 'no'} DHCPINFORM inside ESP from {vip} "
        f"({sends.cite()}); the ESP frames: {_esp_list(wire)}"
    )
    inform = informs[0]
    assert (inform.inner_src, inform.inner_dst) == (vip, "255.255.255.255"), (
        f"expected the DHCPINFORM from the virtual IP {vip} to 255.255.255.255 "
        f"({sends.cite()}); observed frame {inform.frame}: {inform.summary()}"
    )
    vendor = expect(cell.profile, "dhcp_vendor_class")
    assert inform.dhcp_vendor_class == vendor.as_str(), (
        f"expected the DHCPINFORM's vendor class {vendor.as_str()!r} ({vendor.cite()}); "
        f"frame {inform.frame} carries {inform.dhcp_vendor_class!r}"
    )
    tagged = dnsmasq.lines(f"tags: {TAG}")
    assert tagged, (
        f"expected dnsmasq to tag the DHCPINFORM {TAG!r} (dhcp-vendorclass=set:{TAG},"
        f"{vendor.as_str()}); its log: {dnsmasq.log_tail(8)}"
    )
    offered = f"{LAN} via 0.0.0.0"
    answers = [a for a in acks if a.inner_dst == vip]
    assert answers and offered in answers[0].dhcp_routes, (
        f"expected dnsmasq's DHCPACK to {vip} inside ESP with option 249 {offered}; the ESP "
        f"frames: {_esp_list(wire)}; dnsmasq: {dnsmasq.log_tail(8)}"
    )
    assert routes is not None, "the client kind cannot read its routing table back"
    assert (LAN in routes) == installs.as_bool(), (
        f"expected {LAN} {'among' if installs.as_bool() else 'absent from'} the VPN "
        f"interface's routes within {ROUTES_WITHIN_S:.0f} s of connecting ({installs.cite()}); "
        f"observed {list(routes)}"
    )
    pings = _tunnelled_pings(wire, lan_host)
    assert reached and pings, (
        f"expected a ping to {lan_host} over the option 249 route, inside ESP and answered; "
        f"observed: {'answered' if reached else 'no answer'}, ESP frames {pings or 'none'}"
    )


@pytest.mark.routing
@pytest.mark.negative
@pytest.mark.parametrize("cell", _cells(WITHOUT_BROADCAST))
def test_no_dhcp_routes_without_the_broadcast_selector(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """A split selector without 255.255.255.255/32: the DHCPINFORM never arrives.

    Expectation (oracle dhcp_inform_needs_broadcast_selector, documented): no DHCP inside
    ESP, dnsmasq sees no DHCPINFORM, 198.19.1.0/24 is not routed through the VPN interface,
    and 198.19.1.1 (inside the selector, outside the classful route) gets no answer. The
    same gateway with the broadcast selector routes it (test_option_249_routes_the_lan).
    """
    run = _start(interop, lab_credentials, cell, broadcast=False)
    assert run.client is not None and run.gateway is not None and run.gateway.dhcp is not None
    needs = expect(cell.profile, "dhcp_inform_needs_broadcast_selector")
    # Give the client's DHCPINFORM and its first retransmission time before judging.
    routes = _routes_within(run, LAN, ROUTES_WITHIN_S)
    measure("vpn_interface_routes", routes)
    lan_host = str(run.lab.plan.protected_host)
    reached = run.client.reach(lan_host)
    wire = run.wire()
    arrived = run.gateway.dhcp.lines("DHCPINFORM")
    measure("dnsmasq_informs", arrived)
    tunnelled = [e for e in wire.esp if e.decrypted and e.inner_protocol == "dhcp"]
    expected_blocked = needs.as_bool()
    assert (not arrived and not tunnelled) == expected_blocked, (
        f"expected the DHCPINFORM {'blocked' if expected_blocked else 'delivered'} by the "
        f"CHILD SA's selectors {LAN} ({needs.cite()}); observed dnsmasq: {arrived or 'nothing'}"
        f", DHCP in ESP: {[e.summary() for e in tunnelled] or 'none'}"
    )
    assert routes is not None, "the client kind cannot read its routing table back"
    assert (LAN not in routes) == expected_blocked, (
        f"expected {LAN} {'absent from' if expected_blocked else 'among'} the VPN interface's "
        f"routes ({needs.cite()}); observed {list(routes)}"
    )
    assert reached != expected_blocked, (
        f"expected {lan_host} {'unreachable' if expected_blocked else 'reached'} with only the "
        f"classful route of the virtual IP; it {'answered' if reached else 'did not answer'}"
    )
