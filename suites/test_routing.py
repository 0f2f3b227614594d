"""What goes through the tunnel: the gateway's own address, and another address of it.

[SW-WC] (reference 8): with a full tunnel (Add-VpnConnection without -SplitTunneling, the
gateway's traffic selector 0.0.0.0/0), Windows still sends traffic for the VPN server's own
address, the IKE endpoint, outside the tunnel: a host route to it keeps the IKE packets
themselves off the tunnel, and takes every other packet to that address along. Another
address of the gateway inside the traffic selectors (here 198.19.1.1 on its loopback) is
reached through the tunnel. Verdicts from the decrypted capture (infra.capture.esp_keys):
which pings travelled inside ESP.
"""

from __future__ import annotations

import pytest

from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import CaptureFacts
from infra.cell import Cell
from infra.clients.protocol import ClientKind, CmdletRefused
from infra.interop_run import PROFILE_NAME, InteropRun
from infra.lab.topology import TopologyKind
from suites import ends

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
REFERENCE_PEER_THROUGH_TUNNEL = False
"""charon with kernel-libipsec keeps traffic for its IKE peer out of the tunnel unless
charon.plugins.kernel-libipsec.allow_peer_ts is set (its default: no): a route via the TUN
device for the peer would also swallow the IKE packets (strongswan.conf documentation)."""

CELLS = (
    reference_cells(CASE_A, DOCS, TOPOLOGIES, variant="full-tunnel")
    + emulated_cells(CASE_A, DOCS, TOPOLOGIES, variant="full-tunnel")
    + windows_cells(CASE_A, DOCS, TOPOLOGIES, variant="full-tunnel")
)


def _tunnelled_pings(wire: CaptureFacts, destination: str) -> list[int]:
    """Frames of decrypted ESP packets carrying an ICMP echo request to DESTINATION."""
    return [
        e.frame
        for e in wire.esp
        if e.decrypted and e.inner_dst == destination and e.inner_protocol == "icmp"
    ]


def _expected_through_tunnel(cell: Cell) -> tuple[bool, str]:
    if cell.client_kind is ClientKind.REFERENCE:
        return REFERENCE_PEER_THROUGH_TUNNEL, "kernel-libipsec's allow_peer_ts = no"
    fact = expect(cell.profile, "gateway_address_through_tunnel")
    return fact.as_bool(), fact.cite()


@pytest.mark.routing
@pytest.mark.parametrize("cell", params(CELLS))
def test_gateway_address_bypasses_the_tunnel(
    interop: StartInterop, measure: Measure, cell: Cell
) -> None:
    """The gateway's IKE address answers, outside the tunnel; another of its addresses
    answers through it.

    Expectation: a ping to the gateway's outside address (192.0.2.1, inside the 0.0.0.0/0
    traffic selector) is answered and no ESP packet carries it (oracle
    gateway_address_through_tunnel: false, documented); a ping to 198.19.1.1 (the gateway's
    loopback, inside the selector) is answered through the tunnel: ESP carries it, decrypted
    with the gateway's CHILD SA keys.
    """
    run = interop(cell)
    assert run.client is not None
    ends.assert_connected(run.connect())
    outside = str(run.lab.plan.gateway_outside)
    inside = str(run.lab.plan.protected_host)
    ends.assert_reaches(run.client, inside)
    reached_outside = run.client.reach(outside)
    wire = run.wire()
    through_inside = _tunnelled_pings(wire, inside)
    through_outside = _tunnelled_pings(wire, outside)
    measure("esp_frames_to_the_inside_address", through_inside)
    measure("esp_frames_to_the_gateway_address", through_outside)
    assert through_inside, (
        f"expected the ping to {inside} inside ESP (decrypted); the ESP frames: "
        + (", ".join(f"{e.frame}: {e.summary()}" for e in wire.esp) or "none")
    )
    assert reached_outside, f"expected the gateway's address {outside} to answer a ping"
    expected, why = _expected_through_tunnel(cell)
    observed = bool(through_outside)
    assert observed == expected, (
        f"expected the ping to the gateway's own address {outside} "
        f"{'inside' if expected else 'outside'} the tunnel ({why}); observed it "
        + (f"inside ESP in frames {through_outside}" if observed else "outside the tunnel")
    )


DUAL = [TopologyKind.DUAL_STACK]
IPV6_CELLS = (
    reference_cells(CASE_A, DOCS, DUAL, variant="ipv6-routes")
    + emulated_cells(CASE_A, DOCS, DUAL, variant="ipv6-routes")
    + windows_cells(CASE_A, DOCS, DUAL, variant="ipv6-routes")
)
NO_ROUTE_CMDLET = {
    ClientKind.REFERENCE: "Add-VpnConnectionRoute is a Windows cmdlet; charon routes what the "
    "negotiated selectors cover (test_no_ipv6_route_without_one shows it reaching IPv6 at once)",
}
GLOBAL_UNICAST = "2000::/3"


def _ping6(run: InteropRun, measure: Measure) -> tuple[str, bool, list[int]]:
    """Ping 2001:db8:19::1 from the connected client: (target, answered, the ESP frames
    that carried it, decrypted), recorded in the cell's measurements."""
    assert run.client is not None
    target = str(run.lab.plan.protected_host6)
    reached = run.client.reach(target)
    tunnelled = [
        e.frame
        for e in run.wire().esp
        if e.decrypted and e.inner_dst == target and e.inner_protocol == "icmpv6"
    ]
    measure("esp_frames_with_the_ping6", tunnelled)
    return target, reached, tunnelled


def _observed(reached: bool, tunnelled: list[int]) -> str:
    return f"observed: {'answered' if reached else 'no answer'}, " + (
        f"ESP frames {tunnelled}" if tunnelled else "no ESP carried it"
    )


@pytest.mark.routing
@pytest.mark.ipv6
@pytest.mark.parametrize("cell", params(IPV6_CELLS))
def test_no_ipv6_route_without_one(interop: StartInterop, measure: Measure, cell: Cell) -> None:
    """Connected with a virtual IPv6 address, the client has no IPv6 route into the tunnel.

    Expectation (oracle installs_ipv6_route: false, documented): a ping6 to 2001:db8:19::1
    behind the gateway (inside its ::/0 selector) gets no answer and no ESP carries it, while
    IPv4 works. The reference (charon routes its negotiated selectors) reaches it through
    the tunnel: the gap is Windows'.
    """
    run = interop(cell)
    assert run.client is not None
    outcome = run.connect()
    ends.assert_connected(outcome)
    state = run.client.state(PROFILE_NAME)
    measure("virtual_ips", state.virtual_ips)
    assert any(":" in ip for ip in state.virtual_ips), (
        f"expected a virtual IPv6 address from the pool; observed {state.virtual_ips}"
    )
    ends.assert_reaches(run.client, str(run.lab.plan.protected_host))
    target, reached, tunnelled = _ping6(run, measure)
    if cell.client_kind is ClientKind.REFERENCE:
        expected, why = True, "charon installs routes for the negotiated ::/0 selector"
    else:
        fact = expect(cell.profile, "installs_ipv6_route")
        expected, why = fact.as_bool(), fact.cite()
    assert reached == expected and bool(tunnelled) == expected, (
        f"expected the ping6 to {target} {'answered through' if expected else 'not routed into'}"
        f" the tunnel ({why}); " + _observed(reached, tunnelled)
    )


@pytest.mark.routing
@pytest.mark.ipv6
@pytest.mark.parametrize("cell", params(IPV6_CELLS, inapplicable=NO_ROUTE_CMDLET))
def test_vpn_route_2000_3_reaches_ipv6(interop: StartInterop, measure: Measure, cell: Cell) -> None:
    """Add-VpnConnectionRoute 2000::/3 before dialling: global unicast IPv6 goes through.

    Expectation (oracle vpn_route_2000_3_reaches_ipv6, documented): the ping6 to
    2001:db8:19::1 is answered and travels inside ESP (decrypted: ICMPv6 echo request).
    """
    run = interop(cell)
    assert run.client is not None
    run.client.add_vpn_connection_route(PROFILE_NAME, GLOBAL_UNICAST)
    ends.assert_connected(run.connect())
    target, reached, tunnelled = _ping6(run, measure)
    fact = expect(cell.profile, "vpn_route_2000_3_reaches_ipv6")
    assert reached == fact.as_bool() and bool(tunnelled) == fact.as_bool(), (
        f"expected the ping6 to {target} through the tunnel with {GLOBAL_UNICAST} routed "
        f"({fact.cite()}); " + _observed(reached, tunnelled)
    )


@pytest.mark.routing
@pytest.mark.ipv6
@pytest.mark.parametrize("cell", params(IPV6_CELLS, inapplicable=NO_ROUTE_CMDLET))
def test_vpn_route_ipv6_default_is_refused(
    interop: StartInterop, measure: Measure, cell: Cell
) -> None:
    """Add-VpnConnectionRoute ::/0 is refused by the cmdlet.

    Expectation (oracle vpn_route_refuses_ipv6_default, documented): CmdletRefused with
    Windows' words (its text is not recorded; the cell keeps it), and 2000::/3 is still
    accepted afterwards.
    """
    run = interop(cell)
    assert run.client is not None
    fact = expect(cell.profile, "vpn_route_refuses_ipv6_default")
    try:
        run.client.add_vpn_connection_route(PROFILE_NAME, "::/0")
    except CmdletRefused as exc:
        measure("refusal", exc.message)
        refused = True
    else:
        refused = False
    assert refused == fact.as_bool(), (
        f"expected Add-VpnConnectionRoute ::/0 {'refused' if fact.as_bool() else 'accepted'} "
        f"({fact.cite()}); it was {'refused' if refused else 'accepted'}"
    )
    run.client.add_vpn_connection_route(PROFILE_NAME, GLOBAL_UNICAST)
