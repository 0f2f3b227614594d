"""Authentication cases A (machine-cert), B (eap-tls) and C (eap-mschapv2).

strongSwan documents three ways to authenticate Windows clients
(https://docs.strongswan.org/docs/latest/interop/windowsClients.html). Each cell connects one
client to a gateway preset over one topology, and checks both ends and the wire.
"""

from __future__ import annotations

import pytest

from fixtures.interop import StartInterop
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import CaptureFacts
from infra.cell import Cell
from infra.clients.protocol import ClientKind, Credentials
from infra.interop_run import PROFILE_NAME, InteropRun
from infra.lab.topology import TopologyKind
from suites import ends
from suites import windows_reference as ref
from suites import wire as w

TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
CELLS = (
    reference_cells(AuthCase, ["docs-recommended"], TOPOLOGIES)
    + emulated_cells([AuthCase.MACHINE_CERT], ["docs-recommended"], TOPOLOGIES)
    + windows_cells(AuthCase, ["docs-recommended"], TOPOLOGIES)
)
WRONG_PASSWORD = [
    Cell(c.client_kind, c.profile, c.auth, c.preset, c.topology, variant="wrong-password")
    for c in CELLS
    if c.auth is AuthCase.EAP_MSCHAPV2
]


@pytest.mark.auth
@pytest.mark.parametrize("cell", params(CELLS))
def test_connect(interop: StartInterop, cell: Cell) -> None:
    """The client connects with the cell's auth case and reaches the LAN behind the gateway.

    Expectation: connected with no Windows error; the gateway lists one ESTABLISHED IKE SA
    with an INSTALLED CHILD SA (for EAP, with the EAP identity the client used; behind NAT,
    from the NAT's address); on the wire, decrypted with the gateway's keys: a signature AUTH
    in the client's IKE_AUTH (case A), or the EAP method (13 for B, 26 for C) and then an
    MSK-based AUTH; the gateway's own NAT detection matches the topology; a ping from the
    client reaches 198.19.1.1 through the tunnel.
    """
    run = interop(cell)
    ends.assert_connected(run.connect())
    assert run.client is not None and run.gateway is not None
    ends.assert_client_connected(run.client, PROFILE_NAME)

    sa = ends.gateway_sa(run.gateway)
    if cell.auth is AuthCase.EAP_MSCHAPV2:
        ends.assert_sa_field(sa, "remote-eap-id", run.eap.user, "the EAP user")
    if cell.auth is AuthCase.EAP_TLS:
        ends.assert_sa_field(sa, "remote-eap-id", run.pki.user().identity, "the certificate CN")
    nat = run.lab.plan.nat_outside
    if nat is not None:
        ends.assert_sa_field(sa, "remote-host", str(nat), "the NAT's outside address")
    ends.assert_reaches(run.client, str(run.lab.plan.protected_host))

    facts = run.wire()
    w.assert_decrypted(facts)
    if cell.auth is AuthCase.MACHINE_CERT:
        w.assert_initiator_auth(facts, set(w.SIGNATURE_METHODS))
    else:
        assert cell.auth.eap_type is not None
        w.assert_eap_method(facts, cell.auth.eap_type)
        w.assert_initiator_auth(facts, {w.SHARED_KEY_MIC})
    w.assert_nat(facts, str(run.lab.plan.client_address), behind_nat=nat is not None)
    if cell.client_kind is not ClientKind.REFERENCE and cell.auth is AuthCase.MACHINE_CERT:
        assert_windows_machine_cert_wire(run, facts)


def assert_windows_machine_cert_wire(run: InteropRun, facts: CaptureFacts) -> None:
    """What windows-client-behavior.md says this Windows build sends in case A, checked in
    the gateway-side capture and in the gateway's own log: the IKE_SA_INIT payload order
    (1.2), the four vendor IDs in order (1.4), the IKE proposals of the build with the
    preset's registry values in order and with ENCR, INTEG, PRF, D-H transform order
    (1.5, 1.6), and the first IKE_AUTH request `IDi CERT CERTREQ AUTH N(MOBIKE_SUP) CP SA
    TSi TSr` without IDr, with the lab root among the CERTREQ hashes and AUTH method 1 (2.2,
    2.5)."""
    assert run.gateway is not None
    build = ref.build_facts(run.cell.profile)
    init = w.assert_init_request(facts, ref.init_payloads(build))
    w.assert_vendor_ids(init, ref.vendor_ids(build.nt5_version))
    w.assert_proposals(init, ref.ike_offer(build, run.setup), w.PROTOCOL_IKE)
    auth = w.assert_first_auth_request(facts, ref.AUTH_MACHINE_CERT)
    w.assert_certreq_contains(auth, run.pki.root_ca.key_sha1_spki(), "the lab root CA")
    w.assert_initiator_auth(facts, {1})
    ends.assert_gateway_parsed(run.gateway, "IKE_SA_INIT request 0", ref.init_payloads(build))
    ends.assert_gateway_parsed(run.gateway, "IKE_AUTH request 1", ref.AUTH_MACHINE_CERT)
    ends.assert_gateway_logged_in_order(
        run.gateway,
        [line.format(nt5=build.nt5_version) for line in ref.GATEWAY_VENDOR_LINES],
        "the Microsoft vendor IDs",
    )


@pytest.mark.auth
@pytest.mark.parametrize("cell", params(WRONG_PASSWORD))
def test_wrong_password(interop: StartInterop, cell: Cell) -> None:
    """A wrong EAP-MSCHAPv2 password fails with the error Windows shows, not with a hang.

    Expectation: not connected, Windows error 691 (ERROR_AUTHENTICATION_FAILURE); no IKE SA
    on the gateway; on the wire the MSCHAPv2 conversation happened (EAP type 26) and no
    CHILD SA was set up.
    """
    run = interop(cell)
    outcome = run.connect(Credentials(run.eap.user, run.eap.password + "-wrong"), timeout=15)
    ends.assert_failed_with(outcome, 691)
    assert run.gateway is not None
    established = [
        sa
        for sas in run.gateway.list_sas()
        for sa in sas.values()
        if sa.get("state") == "ESTABLISHED"
    ]
    assert not established, f"expected no established IKE SA on the gateway; observed {established}"
    facts = run.wire()
    w.assert_decrypted(facts)
    w.assert_eap_method(facts, 26)
