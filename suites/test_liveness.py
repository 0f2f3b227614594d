"""Liveness: the client answers the gateway's DPD, the gateway notices a vanished client,
and Windows deletes an idle CHILD SA while keeping the IKE SA (reference 4.6, 7).

The gateway's DPD is an empty INFORMATIONAL request that the client must answer; when the
client disappears (its links go down without a Delete), charon's retransmissions run out
and it clears the IKE SA (VICI ike-updown down). After 5 minutes without traffic Windows 11
deletes its CHILD SA and stays "Connected" with the IKE SA only (observed).
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
from infra.cell import Cell
from infra.clients.protocol import ClientKind, TimerPlan
from infra.gateway.presets import docs_recommended
from infra.interop_run import LabCredentials
from infra.lab.topology import Role, TopologyKind
from suites import ends
from suites import lifecycle as lc
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
DPD_DELAY_S = 1
"""The gateway's dpd_delay (real seconds) in these cells."""
GATEWAY_RETRANSMITS = 2
"""charon retransmits with a 1 s first timeout: 1 + 1.8 + 3.24 s before it gives up."""


def _cells(topologies: list[TopologyKind]) -> list[Cell]:
    return (
        reference_cells(CASE_A, DOCS, topologies)
        + emulated_cells(CASE_A, DOCS, topologies)
        + windows_cells(CASE_A, DOCS, topologies)
    )


@pytest.mark.liveness
@pytest.mark.parametrize("cell", params(_cells(TOPOLOGIES)))
def test_client_answers_gateway_dpd(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """Every liveness check of the gateway gets an empty INFORMATIONAL response.

    Expectation: with dpd_delay = 1 s and no traffic, the gateway sends liveness checks
    (empty INFORMATIONAL requests; with MOBIKE charon may carry N(NO_ADDITIONAL_ADDRESSES),
    RFC 4555 3.6); each is answered with an empty response (reference 7), and the IKE SA
    stays up.
    """
    spec = lc.with_timers(
        docs_recommended(cell.auth, (lab_credentials.secret(),)), ike={"dpd_delay": DPD_DELAY_S}
    )
    run = interop(cell, spec, timers=TimerPlan(1.0))
    ends.assert_connected(run.connect())
    assert run.gateway is not None
    lc.sleep_until(time.monotonic() + 3.5 * DPD_DELAY_S)  # DPD needs idle time to pass
    ends.gateway_sa(run.gateway)
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    checks = [
        m
        for m in lc.requests(
            wire, lc.INFORMATIONAL, gateway_address=gateway_address, by_client=False
        )
        if lc.is_liveness_check(m)
    ]
    assert len(checks) >= 2, (
        f"expected the gateway's liveness checks (INFORMATIONAL without payloads, or only "
        f"MOBIKE address notifies) every {DPD_DELAY_S} s; saw:\n"
        f"{w.ladder(wire.whole_messages())}"
    )
    answers = (
        expect(cell.profile, "answers_liveness_checks").as_bool()
        if (cell.client_kind is not ClientKind.REFERENCE)
        else True
    )
    for check in checks:
        response = lc.response_to(wire, check)
        seen = f"{response.summary()} in frame {response.frame}" if response else "no response"
        assert answers == (response is not None and not response.payloads), (
            f"expected the liveness check in frame {check.frame} "
            + ("answered with an empty response" if answers else "unanswered")
            + f"; observed {seen}"
        )
    measure("gateway_liveness_checks", len(checks))


@pytest.mark.liveness
@pytest.mark.parametrize("cell", params(_cells(TOPOLOGIES)))
def test_gateway_clears_a_vanished_client(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """A client that vanishes without a Delete is cleared by the gateway's DPD.

    Expectation: after the client's links go down, the gateway's liveness check goes
    unanswered, charon retransmits it (2 retransmits, 1 s first timeout) and then deletes
    the IKE SA (ike-updown down), within dpd_delay + about 6 s.
    """
    spec = lc.with_timers(
        docs_recommended(cell.auth, (lab_credentials.secret(),)), ike={"dpd_delay": DPD_DELAY_S}
    )
    spec = replace(spec, retransmit_tries=GATEWAY_RETRANSMITS)
    run = interop(cell, spec, timers=TimerPlan(1.0))
    ends.assert_connected(run.connect())
    assert run.gateway is not None
    seen = len(run.gateway.events.events)
    run.lab.isolate(Role.CLIENT)
    vanished = time.monotonic()
    down = lc.wait_event(
        run.gateway,
        "ike-updown",
        timeout=DPD_DELAY_S + 15,
        what="(the IKE SA cleared after unanswered liveness checks)",
        after=seen,
        up=False,
    )
    measure("cleared_after_s", f"{down.at - vanished:.1f}")
    ends.assert_gateway_said(
        run.gateway,
        ["giving up after"],
        "charon gives up on the vanished client after its retransmissions",
    )
    assert run.gateway.list_sas() == [], "expected no IKE SA left on the gateway"


IDLE_CELLS = _cells([TopologyKind.DIRECT])
NO_IDLE_DELETE = {
    **lc.COMPRESSED_TIME,
    ClientKind.REFERENCE: "charon's `inactivity` closes the IKE SA with its last CHILD SA; "
    "keeping the IKE SA, the behaviour checked here, has no charon setting",
}


@pytest.mark.liveness
@pytest.mark.parametrize("cell", params(IDLE_CELLS, inapplicable=NO_IDLE_DELETE))
def test_idle_child_sa_deleted(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    lab_credentials: LabCredentials,
    measure: Measure,
    cell: Cell,
) -> None:
    """Without traffic the client deletes its CHILD SA after 5 minutes and keeps the IKE SA.

    Expectation: no ping, no data; at the oracle's idle_child_delete_s (300 s Windows time,
    +/- 1 % + 0.1 s real) after IKE_AUTH the client sends INFORMATIONAL [ D ] for its
    CHILD SA (ESP, its inbound SPI); the gateway's IKE SA stays ESTABLISHED without CHILD SA.
    """
    idle_s = float(expect(cell.profile, "idle_child_delete_s").as_int())
    if idle_s == 0:
        pytest.skip(f"{cell.profile}: the oracle says it never deletes an idle CHILD SA")
    plan = lc.timer_plan(request.config, idle_s)
    run = interop(cell, docs_recommended(cell.auth, (lab_credentials.secret(),)), timers=plan)
    ends.assert_connected(run.connect())
    assert run.gateway is not None
    lc.wait_event(
        run.gateway,
        "child-updown",
        timeout=plan.real(idle_s) * 1.5 + 5,
        what="(the idle CHILD SA deleted)",
        up=False,
    )
    sas = run.gateway.list_sas()
    states = [sa.get("state") for entry in sas for sa in entry.values()]
    assert states == ["ESTABLISHED"], f"expected the IKE SA kept; observed {states}"
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    created = lc.last_auth_response(wire)
    spi = lc.client_inbound_spi(wire)
    delete = lc.assert_client_deleted_child(
        wire, spi, after=created, gateway_address=gateway_address
    )
    windows_s = lc.assert_timing(
        delete.time - created.time, idle_s, plan, "the idle CHILD SA delete"
    )
    measure("idle_delete_after_windows_s", round(windows_s))
