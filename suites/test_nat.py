"""Behind a NAT, Windows rejects the gateway's CHILD SA rekeys; the workarounds that keep
the tunnel up; and, outside NAT, the gateway's CHILD rekey accepted.

[SW-WC] (reference 4.4): a Windows client behind a NAT answers a gateway-initiated CHILD SA
rekey with Microsoft's private notify 12345 carrying 13863 (ERROR_IPSEC_IKE_INVALID_SITUATION);
strongSwan's advice is `rekey_time = 0` for the CHILD SA so that the client rekeys. The
cells show what charon does with the rejection (retries? the SA dies at life_time?) and
that the two workarounds keep the tunnel up.
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
from infra.capture.facts import IkeMessage
from infra.cell import Cell
from infra.clients.protocol import ClientKind, NotSupportedByClient, TimerPlan
from infra.gateway.presets import docs_recommended
from infra.interop_run import InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from suites import ends
from suites import lifecycle as lc
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
NAT = [TopologyKind.NAT]
DIRECT = [TopologyKind.DIRECT]
GATEWAY_REKEY_S = 2
"""The gateway's CHILD rekey_time in these cells (real seconds, rand_time 0)."""
GATEWAY_LIFE_S = 6
"""Its CHILD life_time: when charon gives up on an SA it could not rekey."""
RFC_REKEY_RESPONSE = "SA No TSi TSr"
"""A standards responder's answer to a CHILD rekey without PFS (RFC 7296 1.3.3)."""
NO_PING_STREAM = {
    ClientKind.WINDOWS: "needs a ping stream on the VM while the gateway rekeys; the VM "
    "driver runs one script at a time",
}


def _cells(topologies: list[TopologyKind], variant: str = "") -> list[Cell]:
    return (
        reference_cells(CASE_A, DOCS, topologies, variant=variant)
        + emulated_cells(CASE_A, DOCS, topologies, variant=variant)
        + windows_cells(CASE_A, DOCS, topologies, variant=variant)
    )


def _gateway_rekeys(
    interop: StartInterop, eap: LabCredentials, cell: Cell
) -> tuple[InteropRun, float]:
    """A connected run whose gateway rekeys the CHILD SA after GATEWAY_REKEY_S; the client
    in real time (its own rekey is an hour away). Returns the run and the connect time."""
    spec = lc.with_timers(
        docs_recommended(cell.auth, (eap.secret(),)),
        child={"rekey_time": GATEWAY_REKEY_S, "life_time": GATEWAY_LIFE_S, "rand_time": 0},
    )
    run = interop(cell, spec, timers=TimerPlan(1.0))
    ends.assert_connected(run.connect())
    return run, time.monotonic()


def _expected_windows_response(cell: Cell) -> str:
    if cell.client_kind is ClientKind.REFERENCE:
        return RFC_REKEY_RESPONSE
    return expect(cell.profile, "gw_child_rekey_response_payloads").as_str()


def _gateway_rekey_request(run: InteropRun) -> tuple[IkeMessage, IkeMessage | None]:
    wire = run.wire()
    request = lc.first_rekey(wire, str(run.lab.plan.gateway_outside), by_client=False)
    return request, lc.response_to(wire, request)


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(_cells(DIRECT), inapplicable=NO_PING_STREAM))
def test_gateway_child_rekey_accepted(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """Outside NAT the client accepts the gateway's CHILD SA rekey and traffic goes on.

    Expectation: the gateway's CREATE_CHILD_SA [ N(REKEY_SA) SA No TSi TSr ] after its
    rekey_time (2 s) is answered with [ SA No TSi TSr ] (reference 4.4, observed on Windows 11
    with strongSwan 6.0.1), charon reports child-rekey, deletes the old SA, and pings are
    answered before and after.
    """
    run, _ = _gateway_rekeys(interop, lab_credentials, cell)
    assert run.client is not None and run.gateway is not None
    target = str(run.lab.plan.protected_host)
    with run.client.pings(target, interval=lc.PING_INTERVAL_S) as stream:
        rekeyed = lc.happened(
            run.gateway, "child-rekey", timeout=GATEWAY_REKEY_S + 8, what="(the gateway's rekey)"
        )
        if rekeyed:
            lc.wait_single_child(run.gateway, timeout=5)
            time.sleep(10 * lc.PING_INTERVAL_S)  # traffic sampled on the new SA, not a wait
    pings = stream.stop()
    request, response = _gateway_rekey_request(run)
    measure("gateway_rekey_request", f"{request.summary()}, KE group {request.ke_group}")
    ideal(
        rekeyed,
        f"expected the gateway's CHILD rekey (frame {request.frame}, {request.summary()}, KE "
        f"group {request.ke_group}) accepted; the client answered "
        + (f"{response.summary()} in frame {response.frame}" if response else "nothing"),
    )
    w.assert_payloads(response, _expected_windows_response(cell), "the client's rekey answer")
    assert response is not None
    lc.assert_traffic_kept_flowing(pings, request, measure)


@pytest.mark.rekey
@pytest.mark.negative
@pytest.mark.parametrize("cell", params(_cells(NAT)))
def test_gateway_child_rekey_behind_nat(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """Behind a NAT Windows rejects the gateway's CHILD SA rekey with N(12345) = 13863; charon
    keeps the old SA and lets it die at its life_time.

    Expectation: the client's answer to the gateway's CREATE_CHILD_SA with N(REKEY_SA) holds
    Microsoft's notify 12345 with the Win32 error the oracle names (13863) for Windows builds;
    a standards client (reference) accepts ([ SA No TSi TSr ]). After a rejection charon
    retries until the CHILD SA's life_time (6 s), then deletes the SA (child-updown down); the
    number of attempts and the time of the delete are measured.
    """
    run, connected = _gateway_rekeys(interop, lab_credentials, cell)
    gateway = run.gateway
    assert gateway is not None
    if cell.client_kind is ClientKind.REFERENCE:
        lc.wait_event(gateway, "child-rekey", timeout=GATEWAY_REKEY_S + 8, what="(rekey)")
        _, response = _gateway_rekey_request(run)
        w.assert_payloads(response, RFC_REKEY_RESPONSE, "the reference client's rekey answer")
        return
    code = expect(cell.profile, "gw_child_rekey_behind_nat_error").as_int()
    down = lc.wait_event(
        gateway,
        "child-updown",
        timeout=GATEWAY_LIFE_S + 8,
        what="(the CHILD SA deleted at its life_time)",
        up=False,
    )
    died_after = down.at - connected
    measure("child_sa_deleted_after_s", f"{died_after:.1f}")
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    attempts = lc.child_rekey_requests(wire, gateway_address=gateway_address, by_client=False)
    assert attempts, f"expected the gateway to rekey; saw:\n{w.ladder(wire.whole_messages())}"
    for attempt in attempts:
        answer = lc.response_to(wire, attempt)
        observed = lc.ms_status(answer) if answer is not None else None
        assert answer is not None and observed == code, (
            f"expected N(12345) with data {code} in the CREATE_CHILD_SA response to frame "
            f"{attempt.frame}; saw "
            + (f"{answer.summary()} in frame {answer.frame}" if answer else "no response")
        )
    measure("gateway_rekey_attempts", len(attempts))
    assert died_after >= GATEWAY_LIFE_S - 0.5, (
        f"expected charon to keep the unrekeyed CHILD SA until its life_time {GATEWAY_LIFE_S} s; "
        f"it went down after {died_after:.1f} s ({len(attempts)} rekey attempts)"
    )


WORKAROUNDS = {
    "rekey-time-0": {"rekey_time": 0},
    "life-time-only": {"rekey_time": 0, "life_time": None},
}
"""[SW-WC]: no gateway CHILD rekey, the client rekeys; or only a hard life_time, which the
client's rekey (58 min 46 s) beats. life_time None is filled in per cell (scaled 4000 s)."""
WORKAROUND_WINDOWS_S = 4000.0
"""How long (Windows time) the tunnel must survive: past the client's rekey and past a
gateway life_time of 4000 s (1 h 6 min 40 s)."""


def _workaround_cells() -> list[Cell]:
    return [c for variant in WORKAROUNDS for c in _cells(NAT, variant)]


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(_workaround_cells(), inapplicable=lc.COMPRESSED_TIME))
def test_nat_rekey_workaround(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    lab_credentials: LabCredentials,
    measure: Measure,
    cell: Cell,
) -> None:
    """The documented workarounds keep a NATed client's tunnel up past the rekey time.

    Expectation: with the gateway's CHILD rekey_time = 0 (and, in life-time-only, a hard
    life_time of 4000 s Windows time), the client rekeys on its own at 58 min 46 s, charon
    accepts, and at 4000 s the gateway still holds an INSTALLED CHILD SA and pings through
    the tunnel are answered.
    """
    rekey_s = float(expect(lc.timer_build(cell), "child_rekey_after_s").as_int())
    plan = lc.timer_plan(request.config, WORKAROUND_WINDOWS_S, child_rekey_s=rekey_s)
    child: dict[str, object] = dict(WORKAROUNDS[cell.variant])
    if "life_time" in child:
        child["life_time"] = max(1, round(plan.real(WORKAROUND_WINDOWS_S)))
    spec = lc.with_timers(docs_recommended(cell.auth, (lab_credentials.secret(),)), child=child)
    run = interop(cell, spec, timers=plan)
    ends.assert_connected(run.connect())
    connected = time.monotonic()
    assert run.client is not None and run.gateway is not None
    target = str(run.lab.plan.protected_host)
    try:
        stream = run.client.pings(target, interval=lc.PING_INTERVAL_S)
    except NotSupportedByClient as exc:
        pytest.skip(str(exc))
    with stream:
        lc.wait_event(
            run.gateway,
            "child-rekey",
            timeout=plan.real(rekey_s) * 1.5 + 10,
            what="(the client's CHILD SA rekey)",
        )
        lc.sleep_until(connected + plan.real(WORKAROUND_WINDOWS_S) + 0.5)
        sa = ends.gateway_sa(run.gateway)
    pings = stream.stop()
    measure("pings", pings.describe())
    children = [c.get("state") for c in sa.get("child-sas", {}).values()]
    assert "INSTALLED" in children, f"expected an INSTALLED CHILD SA; observed {children}"
    late = pings.replies_between(pings.started + plan.real(WORKAROUND_WINDOWS_S), float("inf"))
    assert late > 0, (
        f"expected pings answered after {WORKAROUND_WINDOWS_S:g} s (Windows time); "
        f"{pings.describe()}"
    )
