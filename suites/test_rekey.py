"""IKE and CHILD SA rekeying, both directions, in compressed Windows time.

Windows rekeys its CHILD SA about every 58 min 46 s and deletes the old one at once; it
accepts a gateway's CHILD rekey outside NAT, rejects a KE it did not ask for with 13816,
rekeys its IKE SA after about 7.6 h and, as a responder, handles only the D-H group it
negotiated (windows-client-behavior.md 4). Each cell runs the Windows timers at
`--time-scale` (suites.lifecycle) and the gateway's timers in real seconds over VICI;
verdicts come from the decrypted gateway capture and charon's own events.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from expectations import ideal
from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.ping import PingStream
from infra.clients.protocol import (
    ClientKind,
    IPsecConfiguration,
    NotSupportedByClient,
    TimerPlan,
)
from infra.gateway.presets import docs_recommended
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from suites import ends
from suites import lifecycle as lc
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
DIRECT = [TopologyKind.DIRECT]
REFERENCE_CHILD_REKEY = "N(REKEY_SA) SA No TSi TSr"
"""What a standards client (charon) sends to rekey a CHILD SA without PFS (RFC 7296 1.3.3)."""


def _cells(cases: list[AuthCase], topologies: list[TopologyKind], variant: str = "") -> list[Cell]:
    return (
        reference_cells(cases, DOCS, topologies, variant=variant)
        + emulated_cells(cases, DOCS, topologies, variant=variant)
        + windows_cells(cases, DOCS, topologies, variant=variant)
    )


CLIENT_REKEY = _cells(CASE_A, TOPOLOGIES) + _cells([AuthCase.EAP_MSCHAPV2], DIRECT)
CLIENT_REKEY_PFS = _cells(CASE_A, DIRECT, "pfs-ecp256")
PFS_POLICY = IPsecConfiguration(
    authentication_transform_constants="GCMAES128",
    cipher_transform_constants="GCMAES128",
    dh_group="Group14",
    encryption_method="AES256",
    integrity_check_method="SHA256",
    pfs_group="ECP256",
)
"""GCM ESP with PFS ECP256 as in trailofbits/algo#354 (reference 4.2, 4.5); the IKE SA on
MODP-2048 so that case A keeps its RSA machine certificate (an ECP IKE group makes Windows
authenticate with ECDSA, reference 2.5)."""
PFS_ESP = ("aes128gcm16-ecp256",)
"""A gateway ESP proposal that asks for the same PFS group."""


def child_rekey_seconds(cell: Cell) -> float:
    """When the client rekeys: the oracle's Windows value (the reference is configured with
    it, so it answers the same question as a standards client)."""
    return float(expect(lc.timer_build(cell), "child_rekey_after_s").as_int())


def _ping_stream(run: InteropRun, address: str, measure: Measure) -> PingStream | None:
    """A ping stream, or None (recorded as not measured) for a client kind without one."""
    assert run.client is not None
    try:
        return run.client.pings(address, interval=lc.PING_INTERVAL_S)
    except NotSupportedByClient as exc:
        measure("pings", f"not measured: {exc}")
        return None


def _plan(request: pytest.FixtureRequest, horizon_s: float, **timers: float) -> TimerPlan:
    """The test's TimerPlan: compressed, or real time for the `slow` variant."""
    if request.node.get_closest_marker("slow") is not None:
        return TimerPlan(1.0, **timers)
    return lc.timer_plan(request.config, horizon_s, **timers)


def _client_child_rekey(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    measure: Measure,
    eap: LabCredentials,
    cell: Cell,
    *,
    pfs: bool,
) -> None:
    rekey_s = child_rekey_seconds(cell)
    plan = _plan(request, rekey_s, child_rekey_s=rekey_s)
    child: dict[str, object] = {"rekey_time": 0}  # [SW-WC]: let Windows rekey
    if pfs:
        child["esp_proposals"] = PFS_ESP
    spec = lc.with_timers(docs_recommended(cell.auth, (eap.secret(),)), child=child)
    run = interop(cell, spec, timers=plan)
    assert run.client is not None and run.gateway is not None
    if pfs:
        try:
            run.client.set_ipsec_configuration(PROFILE_NAME, PFS_POLICY)
        except NotSupportedByClient as exc:
            pytest.skip(str(exc))
    ends.assert_connected(run.connect())
    gateway = run.gateway
    seen = len(gateway.events.events)
    target = str(run.lab.plan.protected_host)
    stream = _ping_stream(run, target, measure)
    with stream or contextlib.nullcontext():
        lc.wait_event(
            gateway,
            "child-rekey",
            timeout=plan.real(rekey_s) * 1.5 + 10,
            what="(the client's CHILD SA rekey)",
            after=seen,
        )
        lc.wait_single_child(gateway, timeout=5)
        time.sleep(10 * lc.PING_INTERVAL_S)  # traffic sampled on the new SA, not a wait
    pings = stream.stop() if stream is not None else None
    ends.assert_reaches(run.client, target)
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    rekey = lc.first_rekey(wire, gateway_address, by_client=True)
    if cell.client_kind is ClientKind.REFERENCE:
        expected = REFERENCE_CHILD_REKEY + (" KE" if pfs else "")
    else:
        fact = "child_rekey_request_payloads_pfs" if pfs else "child_rekey_request_payloads"
        expected = expect(cell.profile, fact).as_str()
    w.assert_payloads(rekey, expected, "the client's CHILD SA rekey request")
    if pfs:
        assert rekey.ke_group == 19, f"expected a KE of group 19 (ECP256) in frame {rekey.frame}"
    created = lc.last_auth_response(wire)
    windows_s = lc.assert_timing(
        rekey.time - created.time,
        lc.configured_timer(cell, plan, rekey_s),
        plan,
        "the client's CHILD SA rekey request",
    )
    measure("child_rekey_after_windows_s", round(windows_s))
    measure("time_scale", plan.scale)
    lc.assert_accepted(wire, rekey, "the rekey")
    old_spi = lc.client_inbound_spi(wire)
    lc.assert_client_deleted_child(wire, old_spi, after=rekey, gateway_address=gateway_address)
    if pings is not None:
        lc.assert_traffic_kept_flowing(pings, rekey, measure)


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(CLIENT_REKEY, inapplicable=lc.COMPRESSED_TIME))
def test_client_child_rekey(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    measure: Measure,
    lab_credentials: LabCredentials,
    cell: Cell,
) -> None:
    """The client rekeys its CHILD SA after 58 min 46 s (Windows time) and the tunnel stays up.

    Expectation: with the gateway's CHILD rekey_time = 0 (the docs' advice), the client sends
    CREATE_CHILD_SA [ N(REKEY_SA) SA No TSi TSr ] (no KE without -PfsGroup) at the oracle's
    child_rekey_after_s after the IKE_AUTH response (+/- 1 % + 0.1 s real), the gateway
    accepts, the client deletes the old CHILD SA (its inbound SPI from IKE_AUTH) at once, and
    pings through the tunnel are answered before and after with at most one lost.
    """
    _client_child_rekey(interop, request, measure, lab_credentials, cell, pfs=False)


REAL_TIME = _cells(CASE_A, DIRECT, "real-time")


@pytest.mark.rekey
@pytest.mark.slow
@pytest.mark.parametrize("cell", params(REAL_TIME))
def test_client_child_rekey_real_time(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    measure: Measure,
    lab_credentials: LabCredentials,
    cell: Cell,
) -> None:
    """The nightly variant: the same checks with the Windows clock at 1x (about 59 min).

    Expectation: as test_client_child_rekey, in real time (time scale 1), so a timer that
    only works compressed, or a real Windows build's true rekey time, shows up.
    """
    _client_child_rekey(interop, request, measure, lab_credentials, cell, pfs=False)


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(CLIENT_REKEY_PFS, inapplicable=lc.COMPRESSED_TIME))
def test_client_child_rekey_with_pfs(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    measure: Measure,
    lab_credentials: LabCredentials,
    cell: Cell,
) -> None:
    """With -PfsGroup ECP256 the rekey carries a KE of group 19 after TSr.

    Expectation: CREATE_CHILD_SA [ N(REKEY_SA) SA No TSi TSr KE ] with a KE of group 19,
    accepted by a gateway whose ESP proposal is aes128gcm16-ecp256; the old CHILD SA
    deleted, traffic kept flowing.
    """
    _client_child_rekey(interop, request, measure, lab_credentials, cell, pfs=True)


# --- gateway-initiated CHILD rekey with a KE the client did not ask for ------------------

KE_ESP = ("aes256-sha1-modp2048",)
"""A gateway ESP proposal with a D-H group: PFS on the gateway's side only."""


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(_cells(CASE_A, DIRECT, "gw-pfs-only")))
def test_gateway_child_rekey_without_client_pfs(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """A gateway whose ESP proposal has a D-H group rekeys a CHILD SA the client set up
    without PFS.

    Expectation (the ideal): the rekey succeeds (charon reports child-rekey). A gateway that
    puts a KE into it meets Windows' rejection, 13816 ERROR_IPSEC_IKE_ERROR in N(12345)
    ([SW-WC], reference 4.4): that is recorded per strongSwan version as a deviation in
    expectations/, with the KE group and the client's answer in the message.
    """
    spec = lc.with_timers(
        docs_recommended(cell.auth, (lab_credentials.secret(),)),
        child={"rekey_time": 2, "life_time": 6, "rand_time": 0, "esp_proposals": KE_ESP},
    )
    run = interop(cell, spec, timers=TimerPlan(1.0))
    ends.assert_connected(run.connect())
    assert run.gateway is not None
    rekeyed = lc.happened(run.gateway, "child-rekey", timeout=8, what="(the gateway's rekey)")
    wire = run.wire()
    request = lc.first_rekey(wire, str(run.lab.plan.gateway_outside), by_client=False)
    answer = lc.response_to(wire, request)
    measure("gateway_ke_group", request.ke_group)
    measure("client_answer", answer.summary() if answer else "none")
    if cell.client_kind is not ClientKind.REFERENCE and request.ke_group is not None:
        code = expect(cell.profile, "gw_child_rekey_unexpected_ke_error").as_int()
        observed = lc.ms_status(answer) if answer is not None else None
        assert observed == code, (
            f"expected N(12345) with data {code} in the answer to the gateway's KE (group "
            f"{request.ke_group}) in frame {request.frame}; saw "
            + (f"{answer.summary()} in frame {answer.frame}" if answer else "no response")
        )
    ideal(
        rekeyed,
        f"expected the gateway's CHILD rekey (frame {request.frame}, {request.summary()}, KE "
        f"group {request.ke_group}) accepted; the client answered "
        + (f"{answer.summary()} in frame {answer.frame}" if answer else "nothing"),
    )


# --- IKE SA rekey ---------------------------------------------------------------------

IKE_OTHER_GROUP_FIRST = ("aes256-sha256-ecp384", "aes256-sha256-modp2048", "aes256-sha1-modp1024")
"""A gateway IKE proposal list whose first group is not the one a docs-configured Windows
client negotiates (MODP-2048 with NegotiateDH2048_AES256, reference 1.6 D)."""
IKE_VARIANTS = {"negotiated-group-first": None, "other-group-first": IKE_OTHER_GROUP_FIRST}


def _ike_cells() -> list[Cell]:
    return [c for variant in IKE_VARIANTS for c in _cells(CASE_A, DIRECT, variant)]


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(_ike_cells()))
def test_gateway_ike_rekey(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """The gateway rekeys the IKE SA; the client handles only the D-H group it negotiated.

    Expectation: the gateway's CREATE_CHILD_SA [ SA No KE ] for the IKE SA (rekey_time 2 s)
    is accepted when its KE is of the negotiated group, charon reports ike-rekey and the
    CHILD SA survives (installed, pings answered). With another group first on the gateway
    the oracle says Windows fails ([SW-WC] "can't handle unsupported Diffie-Hellman groups");
    the cell shows which group strongSwan really puts into its KE.
    """
    proposals = IKE_VARIANTS[cell.variant]
    # over_time: the hard lifetime after rekey_time (default 10 %: 0.2 s would race the rekey)
    ike: dict[str, object] = {"rekey_time": 2, "rand_time": 0, "over_time": 60}
    if proposals is not None:
        ike["proposals"] = proposals
    spec = lc.with_timers(docs_recommended(cell.auth, (lab_credentials.secret(),)), ike=ike)
    run = interop(cell, spec, timers=TimerPlan(1.0))
    ends.assert_connected(run.connect())
    assert run.gateway is not None and run.client is not None
    rekeyed = lc.happened(run.gateway, "ike-rekey", timeout=8, what="(the gateway's IKE rekey)")
    wire = run.wire()
    request = lc.first_rekey(wire, str(run.lab.plan.gateway_outside), by_client=False, ike=True)
    negotiated = wire.ike_sa_init_response()
    group = negotiated.ke_group if negotiated is not None else None
    measure("negotiated_group", group)
    measure("gateway_rekey_ke_group", request.ke_group)
    answer = lc.response_to(wire, request)
    if cell.client_kind is not ClientKind.REFERENCE and request.ke_group != group:
        accepted = expect(cell.profile, "gw_ike_rekey_other_group_accepted").as_bool()
        assert not accepted or rekeyed
        assert not rekeyed and (answer is None or lc.error_notifies(answer)), (
            f"expected the client to refuse the IKE rekey with KE group {request.ke_group} "
            f"(negotiated {group}) in frame {request.frame}; it answered "
            + (answer.summary() if answer else "nothing")
        )
        return
    assert rekeyed, (
        f"expected the IKE rekey in frame {request.frame} (KE group {request.ke_group}, "
        f"negotiated {group}) accepted; the client answered "
        + (f"{answer.summary()} in frame {answer.frame}" if answer else "nothing")
    )
    sa = ends.gateway_sa(run.gateway)
    ends.assert_reaches(run.client, str(run.lab.plan.protected_host))
    measure("child_sas_after_rekey", len(sa.get("child-sas", {})))


IKE_CLIENT = _cells(CASE_A, DIRECT)


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(IKE_CLIENT, inapplicable=lc.COMPRESSED_TIME))
def test_client_ike_rekey(
    interop: StartInterop,
    request: pytest.FixtureRequest,
    lab_credentials: LabCredentials,
    measure: Measure,
    cell: Cell,
) -> None:
    """The client rekeys its IKE SA after about 7.6 h (3 h on Windows 7/8.1), Windows time.

    Expectation: a CREATE_CHILD_SA [ SA No KE ] with IKE proposals from the client at the
    oracle's ike_rekey_after_s after IKE_SA_INIT (+/- 1 % + 0.1 s real), in the negotiated
    D-H group; charon reports ike-rekey; the client then deletes the old IKE SA; the CHILD SA
    survives the IKE rekey (pings answered before and after).
    """
    ike_s = float(expect(lc.timer_build(cell), "ike_rekey_after_s").as_int())
    plan = _plan(request, ike_s, ike_rekey_s=ike_s)
    spec = lc.with_timers(
        docs_recommended(cell.auth, (lab_credentials.secret(),)), child={"rekey_time": 0}
    )
    run = interop(cell, spec, timers=plan)
    ends.assert_connected(run.connect())
    assert run.gateway is not None and run.client is not None
    stream = _ping_stream(run, str(run.lab.plan.protected_host), measure)
    with stream or contextlib.nullcontext():
        lc.wait_event(
            run.gateway,
            "ike-rekey",
            timeout=plan.real(ike_s) * 1.5 + 10,
            what="(the client's IKE SA rekey)",
        )
        time.sleep(10 * lc.PING_INTERVAL_S)  # traffic sampled after the rekey, not a wait
    pings = stream.stop() if stream is not None else None
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    rekey = lc.first_rekey(wire, gateway_address, by_client=True, ike=True)
    w.assert_payloads(rekey, "SA No KE", "the client's IKE SA rekey request")
    init = wire.ike_sa_init_response()
    assert init is not None
    assert rekey.ke_group == init.ke_group, (
        f"expected the IKE rekey's KE in the negotiated group {init.ke_group}; observed "
        f"{rekey.ke_group} in frame {rekey.frame}"
    )
    expected = lc.configured_timer(cell, plan, ike_s)
    windows_s = lc.assert_timing(rekey.time - init.time, expected, plan, "the client's IKE rekey")
    measure("ike_rekey_after_windows_s", round(windows_s))
    measure("time_scale", plan.scale)
    lc.assert_accepted(wire, rekey, "the IKE rekey")
    ike_deletes = [
        m
        for m in lc.requests(
            wire, lc.INFORMATIONAL, gateway_address=gateway_address, by_client=True
        )
        if m.frame > rekey.frame and any(d.protocol == w.PROTOCOL_IKE for d in m.deletes)
    ]
    assert ike_deletes, f"expected the client to delete the old IKE SA after frame {rekey.frame}"
    if pings is not None:
        lc.assert_traffic_kept_flowing(pings, rekey, measure)
