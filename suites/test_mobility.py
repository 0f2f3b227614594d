"""MOBIKE (RFC 4555): the client changes networks and its IKE SA follows it.

Windows announces N(MOBIKE_SUPPORTED) in IKE_AUTH and keeps the connection when the machine
moves (reference 6). The lab moves the client to a second network (a new address from
203.0.113.0/24 on its link, the old one gone, traffic to the gateway through a router on
the new network); the client must tell the gateway with an INFORMATIONAL request carrying
N(UPDATE_SA_ADDRESSES) from the new address, charon must move the IKE SA (VICI
ike-update) and traffic through the tunnel must resume. strongSwan's own charon as the
client (reference) roams by itself and is the baseline. A second test takes the network
away for a while before the client comes back on the new one: the IKE SA must survive an
outage shorter than Windows' outage time (1800 s, reference 6).
"""

from __future__ import annotations

import time

import pytest

from expectations import ideal
from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import (
    NAT_DETECTION_DESTINATION_IP,
    NAT_DETECTION_SOURCE_IP,
    CaptureFacts,
    IkeMessage,
    natd_matches,
)
from infra.cell import Cell
from infra.clients.protocol import ClientKind, TimerPlan, WindowsClient
from infra.gateway.presets import docs_recommended
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import SecondNetwork, TopologyKind
from suites import ends
from suites import lifecycle as lc
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
NO_MOVE = {
    ClientKind.WINDOWS: "moving the VM to a second network needs the guest's own network "
    "configuration (its address is set inside Windows), which the VM driver does not offer",
}
"""`inapplicable`: the lab moves a client namespace; a VM's address lives in the guest."""
MOVED_WITHIN_S = 10.0
"""How long the IKE SA may take to follow the client (real seconds): charon's roam delay
and one exchange; a client that does not update at all is caught after it."""
TRAFFIC_WITHIN_S = 10.0
"""How long pings may take to come back after the move: with kernel-libipsec charon cannot
update a CHILD SA in place and rekeys it for the new addresses."""
NATT_PORT = 4500
RETRIED_REKEY_WITHIN_S = 20.0
"""Traffic after leaving the NAT may wait for charon's retry of a rejected CHILD SA rekey:
RETRY_INTERVAL 15 s minus a random jitter below 10 s (5.9.8 ike_sa.h, child_rekey.c)."""
DPD_DELAY_S = 1
"""The gateway's dpd_delay in the outage cells: its liveness check is outstanding when the
client comes back, as with any gateway that checks its clients."""
SAMPLE_S = 0.5
"""How long pings are sampled on the new path once the CHILD SA moved (real seconds)."""
REKEY_WITHIN_S = 15.0
"""How long the CHILD SA may take to move after an outage (real seconds): charon retransmits
its unanswered liveness check 4 s, then 7.2 s after the first try (retransmit_timeout 4 s,
base 1.8), and starts its own tasks only when that exchange is over."""


def _cells(topologies: list[TopologyKind]) -> list[Cell]:
    return (
        reference_cells(CASE_A, DOCS, topologies)
        + emulated_cells(CASE_A, DOCS, topologies)
        + windows_cells(CASE_A, DOCS, topologies)
    )


def _connected(interop: StartInterop, eap: LabCredentials, cell: Cell) -> InteropRun:
    run = interop(cell, docs_recommended(cell.auth, (eap.secret(),)), timers=TimerPlan(1.0))
    ends.assert_connected(run.connect())
    assert run.client is not None and run.gateway is not None
    ends.assert_reaches(run.client, str(run.lab.plan.protected_host))
    return run


def _seen_from(run: InteropRun, second: SecondNetwork) -> str:
    """The address the gateway sees the moved client at: its own, or the NAT's outside."""
    nat = run.lab.plan.nat_outside
    return str(nat) if nat is not None else str(second.new.ip)


def _pings_resume(client: WindowsClient, target: str, *, within: float) -> float | None:
    """Seconds until a ping through the tunnel is answered again; None if none was within
    WITHIN seconds."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if client.reach(target, timeout=1.0):
            return time.monotonic() - start
    return None


def _rekeys_after(wire: CaptureFacts, update: IkeMessage, gateway_address: str) -> str:
    """What became of the CHILD SA rekeys after UPDATE (charon with kernel-libipsec cannot
    update an SA in place and rekeys it instead; a charon client does the same on its side),
    for a message and the measurements."""
    lines = []
    for who, by_client in (("gateway", False), ("client", True)):
        for rekey in lc.child_rekey_requests(
            wire, gateway_address=gateway_address, by_client=by_client
        ):
            if rekey.frame <= update.frame:
                continue
            answer = lc.response_to(wire, rekey)
            lines.append(
                f"{who} rekey in frame {rekey.frame} answered "
                + (f"{answer.summary()} in frame {answer.frame}" if answer else "with nothing")
            )
    return "; ".join(lines) or "no CHILD SA rekey after the update"


def _expected_update(cell: Cell) -> str | None:
    """The payloads of the client's address update: the oracle's for Windows builds; for
    the reference (charon adds its address list, COOKIE2 and more) only the notify."""
    if cell.client_kind is ClientKind.REFERENCE:
        return None
    return expect(cell.profile, "mobike_update_request_payloads").as_str()


def _assert_update(
    wire: CaptureFacts, cell: Cell, *, sent_from: str, local: str, after: IkeMessage
) -> IkeMessage:
    """The client's first address update after AFTER: from SENT_FROM, accepted, and for the
    Windows builds the oracle's payloads with NAT-D naming its new LOCAL address."""
    updates = [m for m in wire.address_updates() if m.frame > after.frame]
    assert updates, (
        "expected an INFORMATIONAL request with N(UPDATE_SA_ADDRESSES) from the client's new "
        f"address {sent_from}; saw:\n{w.ladder(wire.whole_messages())}"
    )
    update = updates[0]
    assert update.src == sent_from, (
        f"expected the address update in frame {update.frame} to come from {sent_from}; it "
        f"came from {update.src}:{update.sport}"
    )
    expected = _expected_update(cell)
    if expected is not None:
        w.assert_payloads(update, expected, "the client's address update")
        if NAT_DETECTION_SOURCE_IP in update.notify_types():
            assert natd_matches(update, NAT_DETECTION_SOURCE_IP, local, NATT_PORT), (
                f"expected N(NATD_S_IP) in frame {update.frame} to hash the client's new "
                f"address {local}:{NATT_PORT}"
            )
    response = lc.response_to(wire, update)
    assert response is not None and not lc.error_notifies(response), (
        f"expected the gateway to accept the address update in frame {update.frame}; observed "
        + (f"{response.summary()} in frame {response.frame}" if response else "no response")
    )
    return update


def _windows_moves(cell: Cell) -> bool:
    if cell.client_kind is ClientKind.REFERENCE:
        return True
    return expect(cell.profile, "mobike_moves_ike_sa").as_bool()


@pytest.mark.mobike
@pytest.mark.parametrize("cell", params(_cells(TOPOLOGIES), inapplicable=NO_MOVE))
def test_mobike_address_change(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """The client moves to a second network; its IKE SA follows and traffic resumes.

    Expectation: after the move the client sends INFORMATIONAL [ N(UPDATE_SA_ADDRESSES) ... ]
    from its new address (behind a NAT: the NAT's address, a new port), for Windows with
    the oracle's payloads (uncertain) and N(NATD_S_IP) hashing its new address; the gateway
    accepts, reports ike-update with the new remote address, its IKE SA shows it, and pings
    through the tunnel are answered again.
    """
    if not _windows_moves(cell):
        pytest.skip(f"{cell.profile}: the oracle says it does not move its IKE SA (MOBIKE)")
    run = _connected(interop, lab_credentials, cell)
    gateway, client = run.gateway, run.client
    assert gateway is not None and client is not None
    seen = len(gateway.events.events)
    moved = time.monotonic()
    second = run.lab.move_client()
    expected_remote = _seen_from(run, second)
    update = lc.wait_event(
        gateway,
        "ike-update",
        timeout=MOVED_WITHIN_S,
        after=seen,
        what=f"(the IKE SA moved to the client's new address {expected_remote})",
    )
    measure("ike_update_after_s", f"{update.at - moved:.2f}")
    assert update.body.get("remote-host") == expected_remote, (
        f"expected charon's ike-update to name the new remote address {expected_remote}; "
        f"observed {update.body.get('remote-host')}:{update.body.get('remote-port')}"
    )
    target = str(run.lab.plan.protected_host)
    resumed = _pings_resume(client, target, within=TRAFFIC_WITHIN_S)
    measure("traffic_resumed_after_s", "never" if resumed is None else f"{resumed:.2f}")
    sas = gateway.list_sas()
    remotes = [sa.get("remote-host") for entry in sas for sa in entry.values()]
    assert remotes == [expected_remote], (
        f"expected the gateway's one IKE SA at the client's new address {expected_remote}; "
        f"observed {remotes}"
    )
    ends.assert_gateway_said(
        gateway,
        ["remote endpoint changed from"],
        "charon applied the client's address update (ike_sa.c update_hosts)",
    )
    wire = run.wire()
    auth = lc.last_auth_response(wire)
    message = _assert_update(
        wire, cell, sent_from=expected_remote, local=str(second.new.ip), after=auth
    )
    measure("address_update", message.summary())
    rekeys = _rekeys_after(wire, message, str(run.lab.plan.gateway_outside))
    measure("child_rekeys_after_update", rekeys)
    ideal(
        resumed is not None,
        f"expected pings through the tunnel to {target} answered within {TRAFFIC_WITHIN_S:g} s "
        f"of the move (address update in frame {message.frame}); none was: {rekeys}",
    )


@pytest.mark.mobike
@pytest.mark.parametrize("cell", params(_cells([TopologyKind.NAT]), inapplicable=NO_MOVE))
def test_mobike_nat_disappears(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """The client moves from behind the NAT to a routed network: the NAT leaves its path.

    Expectation: the client sends N(UPDATE_SA_ADDRESSES) from 203.0.113.2 itself; the
    gateway's N(NATD_D_IP) in the response hashes that address and port (the responder sees
    no NAT any more, RFC 7296 2.23), ike-update names 203.0.113.2, and pings through the
    tunnel are answered again: no longer behind a NAT, Windows accepts the CHILD SA rekey
    a kernel-libipsec gateway does instead of an update (reference 4.4). charon sends that
    rekey while it answers the update, so it may reach the client before the answer that
    tells it the NAT is gone; a rejected first rekey is retried 6 to 15 s later.
    """
    if not _windows_moves(cell):
        pytest.skip(f"{cell.profile}: the oracle says it does not move its IKE SA (MOBIKE)")
    run = _connected(interop, lab_credentials, cell)
    gateway, client = run.gateway, run.client
    assert gateway is not None and client is not None
    seen = len(gateway.events.events)
    moved = time.monotonic()
    second = run.lab.move_client_out_of_nat()
    new = str(second.new.ip)
    update = lc.wait_event(
        gateway,
        "ike-update",
        timeout=MOVED_WITHIN_S,
        after=seen,
        what=f"(the IKE SA moved to the client's own address {new})",
    )
    measure("ike_update_after_s", f"{update.at - moved:.2f}")
    assert update.body.get("remote-host") == new, (
        f"expected charon's ike-update to name the client's own address {new} (no NAT); "
        f"observed {update.body.get('remote-host')}:{update.body.get('remote-port')}"
    )
    target = str(run.lab.plan.protected_host)
    resumed = _pings_resume(client, target, within=RETRIED_REKEY_WITHIN_S)
    measure("traffic_resumed_after_s", "never" if resumed is None else f"{resumed:.2f}")
    wire = run.wire()
    assert wire.nat_detected_by_responder(str(run.lab.plan.client_address)), (
        "expected the gateway to see the client behind the NAT before the move (its NATD_D_IP "
        "in the IKE_SA_INIT response)"
    )
    message = _assert_update(
        wire, cell, sent_from=new, local=new, after=lc.last_auth_response(wire)
    )
    response = lc.response_to(wire, message)
    assert response is not None and natd_matches(
        response, NAT_DETECTION_DESTINATION_IP, new, message.sport
    ), (
        f"expected the gateway's N(NATD_D_IP) in its answer to frame {message.frame} to hash "
        f"{new}:{message.sport} (no NAT on the new path); observed "
        + (response.summary() if response else "no answer")
    )
    measure("address_update", message.summary())
    rekeys = _rekeys_after(wire, message, str(run.lab.plan.gateway_outside))
    measure("child_rekeys_after_update", rekeys)
    ideal(
        resumed is not None,
        f"expected pings to {target} answered within {RETRIED_REKEY_WITHIN_S:g} s of leaving "
        f"the NAT (address update in frame {message.frame}); none was: {rekeys}",
    )


OUTAGE_CELLS = _cells([TopologyKind.DIRECT])
NO_OUTAGE_TIMER = {
    **NO_MOVE,
    ClientKind.REFERENCE: "charon has no outage timer: a client without a network keeps its "
    "IKE SA until its own DPD or retransmissions give up, so Windows' 1800 s has no "
    "counterpart to compare with",
}


def _outage_s(cell: Cell) -> float:
    """The oracle's outage time of the cell's build (for the reference: the newest build's,
    so it is without a network for as long as Windows would be)."""
    return float(expect(lc.timer_build(cell), "outage_time_s").as_int())


@pytest.mark.mobike
@pytest.mark.parametrize("cell", params(OUTAGE_CELLS, inapplicable=NO_MOVE))
def test_mobike_after_an_outage(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    lab_credentials: LabCredentials,
    measure: Measure,
    cell: Cell,
) -> None:
    """The client loses its network for half the outage time, then comes back on another.

    Expectation: without a network the client keeps its IKE SA (reference 6: it survives
    outage_time_s, 1800 s Windows time), while the gateway's liveness check (dpd_delay 1 s)
    goes unanswered; when the second network comes up, the client sends
    N(UPDATE_SA_ADDRESSES) from the new address (not before), the gateway moves the IKE SA
    (ike-update) and the pings an application kept sending all along are answered again.
    """
    outage_s = _outage_s(cell)
    gap_s = outage_s / 2
    plan = lc.timer_plan(request.config, outage_s)
    spec = lc.with_timers(
        docs_recommended(cell.auth, (lab_credentials.secret(),)), ike={"dpd_delay": DPD_DELAY_S}
    )
    run = interop(cell, spec, timers=plan)
    ends.assert_connected(run.connect())
    gateway, client = run.gateway, run.client
    assert gateway is not None and client is not None
    target = str(run.lab.plan.protected_host)
    seen = len(gateway.events.events)
    # Traffic all along: an application keeps trying, so no idle timer ends the CHILD SA.
    with client.pings(target, interval=lc.PING_INTERVAL_S) as stream:
        left, left_wall = time.monotonic(), time.time()
        run.lab.leave_network()
        lc.sleep_until(left + plan.real(gap_s))  # the length of the outage is the condition
        back_wall = time.time()
        second = run.lab.join_second_network()
        update = lc.wait_event(
            gateway,
            "ike-update",
            timeout=MOVED_WITHIN_S,
            after=seen,
            what="(the IKE SA moved to the client's new address after the outage)",
        )
        # charon (kernel-libipsec) rekeys the CHILD SA for the new address once its own
        # outstanding liveness check is answered: on that request's retransmit schedule.
        rekeyed = lc.happened(
            gateway, "child-rekey", timeout=REKEY_WITHIN_S, what="(the CHILD SA rekeyed)"
        )
        lc.sleep_until(time.monotonic() + SAMPLE_S)  # traffic sampled on the new path
    pings = stream.stop()
    new = str(second.new.ip)
    assert update.body.get("remote-host") == new, (
        f"expected charon's ike-update to name the client's new address {new}; observed "
        f"{update.body.get('remote-host')}"
    )
    measure("outage_windows_s", round(gap_s))
    measure("pings", pings.describe())
    wire = run.wire()
    message = _assert_update(
        wire, cell, sent_from=new, local=new, after=lc.last_auth_response(wire)
    )
    early = [m for m in wire.address_updates() if left_wall < m.time < back_wall]
    assert not early, (
        "expected no address update while the client had no network; saw:\n" + w.ladder(early)
    )
    measure("address_update_after_return_s", f"{message.time - back_wall:.2f}")
    answered = pings.replies_between(message.time, float("inf"))
    measure("pings_answered_after_update", answered)
    first = min((at for _, at in pings.replies if at > message.time), default=None)
    measure(
        "traffic_resumed_after_update_s",
        "never" if first is None else f"{first - message.time:.2f}",
    )
    measure("child_sa_rekeyed_after_update", rekeyed)
    ideal(
        answered > 0,
        f"expected pings to {target} answered after the address update in frame "
        f"{message.frame}; none was ({pings.describe()}): "
        + _rekeys_after(wire, message, str(run.lab.plan.gateway_outside)),
    )


@pytest.mark.mobike
@pytest.mark.negative
@pytest.mark.parametrize("cell", params(OUTAGE_CELLS, inapplicable=NO_OUTAGE_TIMER))
def test_mobike_outage_ends_the_connection(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    lab_credentials: LabCredentials,
    measure: Measure,
    cell: Cell,
) -> None:
    """Without a network for longer than the outage time, the connection ends.

    Expectation: the client keeps its IKE SA for the oracle's outage_time_s (1800 s Windows
    time, +/- 1 % + 0.1 s real) after losing its network, then reports the connection down
    with the oracle's Windows error (809, uncertain); it sends nothing meanwhile.
    """
    outage_s = _outage_s(cell)
    code = expect(cell.profile, "outage_end_error").as_error()
    plan = lc.timer_plan(request.config, outage_s * 1.5)
    run = interop(cell, docs_recommended(cell.auth, (lab_credentials.secret(),)), timers=plan)
    ends.assert_connected(run.connect())
    client = run.client
    assert client is not None
    left, left_wall = time.monotonic(), time.time()
    run.lab.leave_network()
    deadline = left + plan.real(outage_s) * 1.5 + 2
    state = client.state(PROFILE_NAME)
    while state.connected and time.monotonic() < deadline:
        time.sleep(0.02)  # polling the client's own status, as rasdial would be asked
        state = client.state(PROFILE_NAME)
    ended = time.monotonic()
    assert not state.connected, (
        f"expected the connection to end {outage_s:g} s (Windows time) after the network went "
        f"away; still connected after {plan.scale * (ended - left):.0f} s"
    )
    windows_s = lc.assert_timing(
        ended - left, outage_s, plan, "the end of the connection without a network"
    )
    measure("ended_after_windows_s", round(windows_s))
    observed = state.ended_with.code if state.ended_with else None
    assert observed == code, (
        f"expected the connection to end with Windows error {code} (oracle outage_end_error); "
        f"observed {state.ended_with}"
    )
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    sent = [
        m
        for m in wire.whole_messages()
        if m.time > left_wall and not m.response and lc.from_client(m, gateway_address)
    ]
    assert not sent, (
        "expected no IKE request from the client while it had no network; saw:\n" + w.ladder(sent)
    )
