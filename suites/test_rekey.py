"""IKE and CHILD SA rekeying, both directions, in compressed Windows time.

Windows rekeys its CHILD SA about every 58 min 46 s and deletes the old one at once; it
accepts a gateway's CHILD rekey outside NAT, rejects a KE it did not ask for with 13816,
rekeys its IKE SA after about 7.6 h and, as a responder, handles only the D-H group it
negotiated (windows-client-behavior.md 4). Each cell runs the Windows timers at
`--time-scale` (suites.lifecycle) and the gateway's timers in real seconds over VICI;
verdicts come from the decrypted gateway capture and charon's own events.
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
from infra.clients.ping import PingStream
from infra.clients.protocol import ClientKind, IPsecConfiguration, NotSupportedByClient
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
NO_PING_STREAM = {
    ClientKind.WINDOWS: "real Windows timers run in real time (58 min 46 s); the `slow` "
    "variant runs this on VMs",
}


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
    build = cell.profile if cell.client_kind is not ClientKind.REFERENCE else "win11-23h2"
    return float(expect(build, "child_rekey_after_s").as_int())


def _ping_stream_or_skip(run: InteropRun, address: str) -> PingStream:
    assert run.client is not None
    try:
        return run.client.pings(address, interval=lc.PING_INTERVAL_S)
    except NotSupportedByClient as exc:
        pytest.skip(str(exc))


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
    plan = lc.timer_plan(request.config, rekey_s, child_rekey_s=rekey_s)
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
    with _ping_stream_or_skip(run, target) as stream:
        lc.wait_event(
            gateway,
            "child-rekey",
            timeout=plan.real(rekey_s) * 1.5 + 10,
            what="(the client's CHILD SA rekey)",
            after=seen,
        )
        lc.wait_single_child(gateway, timeout=5)
        time.sleep(10 * lc.PING_INTERVAL_S)  # traffic sampled on the new SA, not a wait
    pings = stream.stop()
    ends.assert_reaches(run.client, target)
    wire = run.wire()
    gateway_address = str(run.lab.plan.gateway_outside)
    rekey = lc.assert_one_of(
        lc.child_rekey_requests(wire, gateway_address=gateway_address, by_client=True),
        "a CREATE_CHILD_SA request with N(REKEY_SA) from the client",
        wire,
    )
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
        rekey.time - created.time, rekey_s, plan, "the client's CHILD SA rekey request"
    )
    measure("child_rekey_after_windows_s", round(windows_s))
    measure("time_scale", plan.scale)
    answer = lc.response_to(wire, rekey)
    assert answer is not None and not lc.error_notifies(answer), (
        f"expected the gateway to accept the rekey in frame {rekey.frame}; observed "
        f"{answer.summary() if answer else 'no response'}"
    )
    old_spi = lc.client_inbound_spi(wire)
    lc.assert_client_deleted_child(wire, old_spi, after=rekey, gateway_address=gateway_address)
    lc.assert_traffic_kept_flowing(pings, rekey, measure)


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(CLIENT_REKEY, inapplicable=NO_PING_STREAM))
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
    child_rekey_after_s after the IKE_AUTH response (+/- 5 % + 0.35 s real), the gateway
    accepts, the client deletes the old CHILD SA (its inbound SPI from IKE_AUTH) at once, and
    pings through the tunnel are answered before and after with at most one lost.
    """
    _client_child_rekey(interop, request, measure, lab_credentials, cell, pfs=False)


@pytest.mark.rekey
@pytest.mark.parametrize("cell", params(CLIENT_REKEY_PFS, inapplicable=NO_PING_STREAM))
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
