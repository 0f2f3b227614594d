"""The gateway's charon dies in the middle of an exchange: the verdict stays clear.

charon is SIGKILLed the moment its log shows it building the answer (infra.gateway.crash),
and that answer is kept from leaving (Lab.silence_gateway) so the kill never races the
send: to the client, the gateway stopped answering mid-exchange, exactly as a crash, an
out-of-memory kill or a power cut ends it. Whatever the client does next is graded against
the oracle; the lab must still tear down, decode the capture (the keys were logged before
the crash) and leave nothing behind.
"""

from __future__ import annotations

import time

import pytest

from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.protocol import ClientKind, TimerPlan
from infra.gateway.crash import CrashOnLogLine
from infra.gateway.presets import docs_recommended
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from infra.proc import process_start_time
from suites import ends
from suites import lifecycle as lc
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
DIRECT = [TopologyKind.DIRECT]
IKE_AUTH, CREATE_CHILD_SA = 35, 36
RETRANSMIT_SCALE = 31.0
"""The emulator's retransmissions at 31x: the 31 s Windows schedule ends in 1 s."""
REFERENCE_GIVES_UP = 809
"""The reference's verdict when charon as a client gives up retransmitting (classify)."""


OLDEST_AND_NEWEST = ["win7", "win11-23h2"]
"""The builds of the costly crash cell (8 s each: a compressed hour to the rekey): every
build shares the oracle facts it grades, so the extremes stand for the rest."""


def _cells(variant: str, profiles: list[str] | None = None) -> list[Cell]:
    return (
        reference_cells(CASE_A, DOCS, DIRECT, variant=variant)
        + emulated_cells(CASE_A, DOCS, DIRECT, variant=variant, profiles=profiles)
        + windows_cells(CASE_A, DOCS, DIRECT, variant=variant)
    )


def _assert_gateway_dead(run: InteropRun, crash: CrashOnLogLine, line: str) -> None:
    assert crash.pid is not None and crash.killed_at is not None, (
        f"expected charon to be killed when it logged {line!r}; it never did (see gateway.log)"
    )
    assert process_start_time(crash.pid) is None, f"charon (PID {crash.pid}) is still alive"


def _client_requests_after(run: InteropRun, exchange: int, since: float) -> int:
    """The client's requests of EXCHANGE sent after SINCE (a fragmented one counted once)."""
    gateway = str(run.lab.plan.gateway_outside)
    return sum(
        1
        for m in run.wire().messages
        if m.exchange == exchange
        and not m.response
        and m.src != gateway
        and m.time > since
        and (m.fragment is None or m.fragment[0] == 1)
    )


@pytest.mark.faults
@pytest.mark.negative
@pytest.mark.parametrize("cell", params(_cells("gateway-crash-ike-auth")))
def test_gateway_dies_mid_ike_auth(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """charon dies while it answers the client's IKE_AUTH request.

    Expectation: the client retransmits its IKE_AUTH on its schedule, nobody answers, and
    the dial fails with the oracle's unanswered_dial_error (809, reference 11); the reference
    gives up the same way (809). The capture still decrypts: charon logged the IKE SA's keys
    at IKE_SA_INIT, before it died.
    """
    spec = docs_recommended(cell.auth, (lab_credentials.secret(),))
    run = interop(cell, spec, timers=TimerPlan(retransmit_scale=RETRANSMIT_SCALE))
    assert run.gateway is not None
    run.lab.silence_gateway(IKE_AUTH)
    line = "generating IKE_AUTH response 1"
    with CrashOnLogLine(run.gateway, line) as crash:
        outcome = run.connect(timeout=60.0)
    _assert_gateway_dead(run, crash, line)
    assert crash.killed_at is not None
    if cell.client_kind is ClientKind.REFERENCE:
        error, why = REFERENCE_GIVES_UP, "charon gives up after its retransmissions"
    else:
        fact = expect(cell.profile, "unanswered_dial_error")
        error, why = fact.as_int(), fact.cite()
    ends.assert_failed_with(outcome, error, why=why)
    wire = run.wire()
    w.assert_decrypted(wire)
    again = _client_requests_after(run, IKE_AUTH, crash.killed_at)
    measure("ike_auth_retransmissions_after_the_crash", again)
    assert again >= 1, (
        "expected the client to retransmit its IKE_AUTH request after the gateway died; "
        "its requests:\n" + w.ladder(m for m in wire.messages if not m.response)
    )


@pytest.mark.faults
@pytest.mark.rekey
@pytest.mark.negative
@pytest.mark.parametrize(
    "cell",
    params(_cells("gateway-crash-child-rekey", OLDEST_AND_NEWEST), inapplicable=lc.COMPRESSED_TIME),
)
def test_gateway_dies_mid_child_rekey(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    lab_credentials: LabCredentials,
    measure: Measure,
    cell: Cell,
) -> None:
    """charon dies while it answers the client's CHILD SA rekey (58 min 46 s, compressed).

    Expectation (oracle drops_connection_when_peer_gone, uncertain): the client retransmits
    the CREATE_CHILD_SA request, nobody answers, and once its retransmissions are spent the
    client drops the connection: its state goes to disconnected. The reference, configured
    with the same rekey time, does the same.
    """
    rekey_s = float(expect(lc.timer_build(cell), "child_rekey_after_s").as_int())
    plan = lc.timer_plan(request.config, rekey_s, child_rekey_s=rekey_s)
    timers = TimerPlan(
        plan.scale, child_rekey_s=plan.child_rekey_s, retransmit_scale=RETRANSMIT_SCALE
    )
    spec = lc.with_timers(
        docs_recommended(cell.auth, (lab_credentials.secret(),)), child={"rekey_time": 0}
    )
    run = interop(cell, spec, timers=timers)
    assert run.gateway is not None and run.client is not None
    ends.assert_connected(run.connect())
    run.lab.silence_gateway(CREATE_CHILD_SA)
    line = "generating CREATE_CHILD_SA response"
    expected_down = True
    if cell.client_kind is not ClientKind.REFERENCE:
        expected_down = expect(cell.profile, "drops_connection_when_peer_gone").as_bool()
    # Traffic keeps the CHILD SA from idling out (300 s, compressed) before its rekey.
    pings = run.client.pings(str(run.lab.plan.protected_host), interval=lc.PING_INTERVAL_S)
    with pings, CrashOnLogLine(run.gateway, line, timeout=plan.real(rekey_s) * 1.5 + 30) as crash:
        deadline = time.monotonic() + plan.real(rekey_s) * 1.5 + 40
        while time.monotonic() < deadline and crash.killed_at is None:
            time.sleep(0.05)
        _assert_gateway_dead(run, crash, line)
        while time.monotonic() < deadline and run.client.state(PROFILE_NAME).connected:
            time.sleep(0.1)
    pings.stop()
    assert crash.killed_at is not None
    connected = run.client.state(PROFILE_NAME).connected
    measure("client_down_after_the_crash_s", round(time.time() - crash.killed_at, 2))
    assert connected is not expected_down, (
        f"expected the client to {'drop' if expected_down else 'keep'} the connection once "
        f"its CHILD rekey went unanswered; it is {'still up' if connected else 'down'}"
    )
    again = _client_requests_after(run, CREATE_CHILD_SA, crash.killed_at)
    measure("rekey_retransmissions_after_the_crash", again)
    assert again >= 1, "expected the client to retransmit its CHILD rekey request"
