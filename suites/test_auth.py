"""Authentication cases A (machine-cert), B (eap-tls) and C (eap-mschapv2).

strongSwan documents three ways to authenticate Windows clients
(https://docs.strongswan.org/docs/latest/interop/windowsClients.html). Each cell connects one
client to a gateway preset over one topology, and checks both ends and the wire. The
negative cases end with the error number Windows shows, never with a hang.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from expectations import ideal
from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import CaptureFacts
from infra.cell import Cell
from infra.client_setup import UserCertificate, client_setup
from infra.clients.protocol import ClientKind, ConnectOutcome, Credentials
from infra.gateway.presets import docs_recommended
from infra.gateway.spec import EapSecret
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from infra.pki.variants import GatewayCertVariant
from suites import ends
from suites import windows_reference as ref
from suites import wire as w

TOPOLOGIES = [TopologyKind.DIRECT, TopologyKind.NAT]
DIRECT = [TopologyKind.DIRECT]
EAP_CASES = [AuthCase.EAP_TLS, AuthCase.EAP_MSCHAPV2]
MSCHAPV2 = [AuthCase.EAP_MSCHAPV2]
DOCS = ["docs-recommended"]
CELLS = (
    reference_cells(AuthCase, DOCS, TOPOLOGIES)
    + reference_cells(EAP_CASES, ["eap-dynamic"], TOPOLOGIES)
    + emulated_cells(AuthCase, DOCS, TOPOLOGIES)
    + emulated_cells(EAP_CASES, ["eap-dynamic"], TOPOLOGIES)
    + windows_cells(AuthCase, DOCS, TOPOLOGIES)
)


def _variant(cells: list[Cell], variant: str) -> list[Cell]:
    return [
        Cell(c.client_kind, c.profile, c.auth, c.preset, c.topology, variant=variant) for c in cells
    ]


_DOCS_MSCHAPV2 = [c for c in CELLS if c.auth is AuthCase.EAP_MSCHAPV2 and c.preset in DOCS]
WRONG_PASSWORD = _variant(_DOCS_MSCHAPV2, "wrong-password")
UNKNOWN_USER = _variant(_DOCS_MSCHAPV2, "unknown-user")
_EAP_TLS = [AuthCase.EAP_TLS]
CASE_A = [AuthCase.MACHINE_CERT]


def _all_kinds(cases: list[AuthCase]) -> list[Cell]:
    """CASES with the docs-recommended preset on the direct topology, for every client kind."""
    return (
        reference_cells(cases, DOCS, DIRECT)
        + emulated_cells(cases, DOCS, DIRECT)
        + windows_cells(cases, DOCS, DIRECT)
    )


USER_CERT_WITHOUT_CLIENT_AUTH = _variant(_all_kinds(_EAP_TLS), "user-no-client-auth")
NO_CERTIFICATE_STORE = {
    ClientKind.REFERENCE: "charon is handed its certificate and key; choosing one from a "
    "certificate store by EKU is Windows' step, and it is what this test checks",
}
NO_MACHINE_CERTIFICATE = _variant(_all_kinds(CASE_A), "no-machine-cert")
UNTRUSTED_GATEWAY_CA = _variant(_all_kinds(EAP_CASES), "gw-untrusted-ca")
_QUALIFIED = _all_kinds(MSCHAPV2)
QUALIFIED_NAMES = {"domain-user": "DOMAIN", "windows-phone-user": "Windows Phone"}
"""Variant -> the domain part the client puts before the user name (reference 2.7, 12)."""
QUALIFIED_USER = [c for variant in QUALIFIED_NAMES for c in _variant(_QUALIFIED, variant)]
QUALIFIED_SECRET = _variant(_QUALIFIED, "domain-user-qualified-secret")

UNKNOWN_USER_NAME = "mallory"
"""An EAP user the gateway holds no secret for."""


@pytest.mark.auth
@pytest.mark.parametrize("cell", params(CELLS))
def test_connect(interop: StartInterop, cell: Cell) -> None:
    """The client connects with the cell's auth case and reaches the LAN behind the gateway.

    Expectation: connected with no Windows error; the gateway lists one ESTABLISHED IKE SA
    with an INSTALLED CHILD SA (for EAP, with the EAP identity the client used; behind NAT,
    from the NAT's address); on the wire, decrypted with the gateway's keys: a signature AUTH
    in the client's IKE_AUTH (case A), or the EAP method (13 for B, 26 for C; for B the TLS
    handshake with client certificate) and then an MSK-based AUTH; the gateway's own NAT
    detection matches the topology; a ping from the
    client reaches 198.19.1.1 through the tunnel. Windows clients also send what the
    reference says their build sends, in the capture and in the gateway's log.
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
        if cell.auth is AuthCase.EAP_TLS:
            w.assert_eap_tls_handshake(facts)
    w.assert_nat(facts, str(run.lab.plan.client_address), behind_nat=nat is not None)
    if cell.client_kind is ClientKind.REFERENCE:
        return
    assert_windows_init_wire(run, facts)
    if cell.auth is AuthCase.MACHINE_CERT:
        assert_windows_machine_cert_wire(run, facts)
    else:
        assert_windows_eap_wire(run, facts)


def assert_windows_init_wire(run: InteropRun, facts: CaptureFacts) -> None:
    """IKE_SA_INIT as windows-client-behavior.md says this Windows build sends it: the
    payload order (1.2), the four vendor IDs in order (1.4), the IKE proposals of the build
    with the preset's registry values in order and with ENCR, INTEG, PRF, D-H transform
    order (1.5, 1.6); checked in the gateway-side capture and in the gateway's own log."""
    assert run.gateway is not None
    build = ref.build_facts(run.cell.profile)
    init = w.assert_init_request(facts, ref.init_payloads(build))
    w.assert_vendor_ids(init, ref.vendor_ids(build.nt5_version))
    w.assert_proposals(init, ref.ike_offer(build, run.setup), w.PROTOCOL_IKE)
    ends.assert_gateway_parsed(run.gateway, "IKE_SA_INIT request 0", ref.init_payloads(build))
    ends.assert_gateway_logged_in_order(
        run.gateway,
        [line.format(nt5=build.nt5_version) for line in ref.GATEWAY_VENDOR_LINES],
        "the Microsoft vendor IDs",
    )


def assert_windows_machine_cert_wire(run: InteropRun, facts: CaptureFacts) -> None:
    """Case A (2.2, 2.5): the first IKE_AUTH request `IDi CERT CERTREQ AUTH N(MOBIKE_SUP)
    CP SA TSi TSr` without IDr, with the lab root among the CERTREQ hashes and AUTH method
    1."""
    assert run.gateway is not None
    auth = w.assert_first_auth_request(facts, ref.AUTH_MACHINE_CERT)
    w.assert_certreq_contains(auth, run.pki.root_ca.key_sha1_spki(), "the lab root CA")
    w.assert_initiator_auth(facts, {1})
    ends.assert_gateway_parsed(run.gateway, "IKE_AUTH request 1", ref.AUTH_MACHINE_CERT)


def assert_windows_eap_wire(run: InteropRun, facts: CaptureFacts) -> None:
    """Cases B and C (2.2, 2.6-2.8): the first IKE_AUTH request `IDi CERTREQ N(MOBIKE_SUP)
    CP SA TSi TSr` (no AUTH, CERT, EAP or IDr) whose IDi is ID_IPV4_ADDR with the client's
    own address (behind the NAT: its LAN address) and whose CERTREQ lists the lab root; the
    gateway signs, then asks for the identity; the client answers every EAP request and
    nothing else: the identity (the user name for C, the certificate's CN for B), a NAK for
    EAP-TLS when eap-dynamic offers it to a password client, the MS-CHAPv2 opcodes
    Challenge / Response / Success / Success, or EAP-TLS framed with Start, L, M and empty
    acknowledgements; then AUTH method 2 both ways. charon's log shows the IKE_AUTH
    requests the reference gives for Windows, in order."""
    assert run.gateway is not None
    auth = w.assert_first_auth_request(facts, ref.AUTH_EAP)
    w.assert_idi(auth, ref.ID_IPV4_ADDR, str(run.lab.plan.client_address), "the local address")
    w.assert_certreq_contains(auth, run.pki.root_ca.key_sha1_spki(), "the lab root CA")
    w.assert_responder_auth_after_eap(facts)
    nak = run.cell.preset == "eap-dynamic"
    if run.cell.auth is AuthCase.EAP_MSCHAPV2:
        w.assert_eap_ladder(facts, ref.mschapv2_ladder(run.eap.user, nak=nak), "reference 2.7")
        expected = ref.gateway_auth_requests_mschapv2(nak=nak)
    else:
        identity = run.pki.user().identity
        w.assert_eap_ladder(facts, ref.eap_tls_opening(identity), "reference 2.8", prefix=True)
        rounds = w.assert_eap_tls_framing(facts)
        expected = ref.gateway_auth_requests_tls(tls_rounds=rounds)
    ends.assert_gateway_parsed_sequence(run.gateway, "IKE_AUTH request", expected)


# --- negative cases ----------------------------------------------------------------------


def _no_established_sa(run: InteropRun) -> None:
    assert run.gateway is not None
    established = [
        sa
        for sas in run.gateway.list_sas()
        for sa in sas.values()
        if sa.get("state") == "ESTABLISHED"
    ]
    assert not established, f"expected no established IKE SA on the gateway; observed {established}"


def _assert_mschapv2_failure(outcome: ConnectOutcome, cell: Cell) -> None:
    """The dial failed as a rejected MS-CHAPv2 Response ends it: the oracle's error for a
    Windows build; 691 as the reference client's failure is classified."""
    if cell.client_kind is ClientKind.REFERENCE:
        ends.assert_failed_with(outcome, 691, why="E=691 in the gateway's Failure request")
        return
    error = expect(cell.profile, "mschapv2_auth_failure_error")
    ends.assert_failed_with(outcome, error.as_int(), why=error.cite())


def _assert_windows_mschapv2_refusal(run: InteropRun, facts: CaptureFacts, identity: str) -> None:
    """What a Windows client does when the gateway answers its MS-CHAPv2 Response with
    `E=691 R=1` (reference 2.7): nothing more in EAP, and an IKE Delete only where the
    build's profile says so (Windows 7). The ideal includes that premise: the gateway
    answers a rejected Response with that retriable Failure request, which is what
    reference 2.7 describes Windows' reaction to (strongSwan releases differ: the ledger)."""
    assert run.gateway is not None
    answer = w.gateway_answer_to(facts, "RES/MSCHAPV2", ref.MSCHAPV2_RESPONSE)
    ideal(
        answer.startswith("gateway EAP/REQ/MSCHAPV2 (Failure)"),
        "expected the gateway to answer the rejected MS-CHAPv2 Response with a retriable "
        f"Failure request (E=691 R=1, reference 2.7); observed {answer}",
    )
    w.assert_eap_ladder(facts, ref.mschapv2_failure_ladder(identity), "reference 2.7 (failure)")
    build = ref.build_facts(run.cell.profile)
    w.assert_client_silent_after_eap(
        facts,
        delete=build.mschapv2_delete_on_failure,
        why="reference 2.7: only Windows 7 sends a Delete after an MS-CHAPv2 failure",
    )
    ends.assert_gateway_said(
        run.gateway,
        [f"received EAP identity '{identity}'", "EAP-MS-CHAPv2 verification failed, retry (1)"],
        "strongSwan 5.9.8 answers a rejected Response with a retriable failure",
    )


@pytest.mark.negative
@pytest.mark.auth
@pytest.mark.parametrize("cell", params(WRONG_PASSWORD))
def test_wrong_password(interop: StartInterop, cell: Cell) -> None:
    """A wrong EAP-MSCHAPv2 password fails with the error Windows shows, not with a hang.

    Expectation: not connected, Windows error 691 (ERROR_AUTHENTICATION_FAILURE); no IKE SA
    on the gateway; on the wire the MSCHAPv2 conversation happened (EAP type 26) and no
    CHILD SA was set up. A Windows client answers the gateway's `E=691 R=1` Failure request
    with nothing (Windows 7: an IKE Delete; reference 2.7).
    """
    run = interop(cell)
    outcome = run.connect(Credentials(run.eap.user, run.eap.password + "-wrong"), timeout=15)
    _assert_mschapv2_failure(outcome, cell)
    _no_established_sa(run)
    facts = run.wire()
    w.assert_decrypted(facts)
    w.assert_eap_method(facts, 26)
    if cell.client_kind is not ClientKind.REFERENCE:
        _assert_windows_mschapv2_refusal(run, facts, run.eap.user)


@pytest.mark.negative
@pytest.mark.auth
@pytest.mark.parametrize("cell", params(UNKNOWN_USER))
def test_unknown_user(interop: StartInterop, cell: Cell) -> None:
    """An EAP-MSCHAPv2 user the gateway has no secret for fails like a wrong password.

    strongSwan 5.9.8 (found by running it): "no EAP key found for hosts 'gw.example.test' -
    'mallory'", then the same retriable `E=691 R=1` Failure request as for a wrong password,
    so neither the client nor the wire can tell the two apart.
    Expectation: not connected, Windows error 691; no established IKE SA on the gateway;
    the gateway log names the missing key; the Windows client answers the failure as for a
    wrong password (reference 2.7).
    """
    run = interop(cell)
    outcome = run.connect(Credentials(UNKNOWN_USER_NAME, run.eap.password), timeout=15)
    _assert_mschapv2_failure(outcome, cell)
    _no_established_sa(run)
    assert run.gateway is not None
    ends.assert_gateway_said(
        run.gateway,
        [f"no EAP key found for hosts '{run.gateway.identity}' - '{UNKNOWN_USER_NAME}'"],
        "the gateway holds no secret for this user",
    )
    facts = run.wire()
    w.assert_decrypted(facts)
    w.assert_eap_method(facts, 26)
    if cell.client_kind is not ClientKind.REFERENCE:
        _assert_windows_mschapv2_refusal(run, facts, UNKNOWN_USER_NAME)


@pytest.mark.negative
@pytest.mark.auth
@pytest.mark.parametrize(
    "cell", params(USER_CERT_WITHOUT_CLIENT_AUTH, inapplicable=NO_CERTIFICATE_STORE)
)
def test_user_certificate_without_client_auth(interop: StartInterop, cell: Cell) -> None:
    """Windows does not use a user certificate whose EKU lacks clientAuth for EAP-TLS.

    The only certificate in CurrentUser\\My has EKU serverAuth ([SW-CERT]: "if any EKU is
    present it must include clientAuth"). Expectation: not connected, Windows error 798
    ERROR_NO_EAPTLS_CERTIFICATE (reference 3, 11); when the build fails before dialling
    (profile option eap_tls_no_certificate, uncertain) no IKE packet leaves the client,
    otherwise the EAP-TLS Start is answered with nothing from the client and no IKE SA is
    established.
    """
    setup = replace(client_setup(cell.preset), user_certificate=UserCertificate.NO_CLIENT_AUTH)
    run = interop(cell, setup=setup)
    outcome = run.connect(timeout=15)
    error = expect(cell.profile, "eap_tls_no_client_auth_certificate_error")
    ends.assert_failed_with(outcome, error.as_int(), why=error.cite())
    _no_established_sa(run)
    facts = run.wire()
    if ref.build_facts(cell.profile).eap_tls_no_certificate == "before-dial":
        assert not facts.messages, (
            "expected no IKE packet: Windows finds no EAP-TLS certificate before dialling; "
            f"observed\n{w.ladder(facts.messages)}"
        )
    else:
        w.assert_decrypted(facts)
        w.assert_eap_method(facts, 13)


@pytest.mark.negative
@pytest.mark.auth
@pytest.mark.parametrize("cell", params(UNTRUSTED_GATEWAY_CA))
def test_untrusted_gateway_ca(interop: StartInterop, cell: Cell) -> None:
    """An EAP client refuses a gateway whose certificate does not chain to a trusted root.

    The gateway presents a certificate with good contents from a CA the client does not
    trust (Windows: not in LocalMachine\\Root, which also counts for EAP users, [SW-CONF]
    windowsCaCert). The gateway signs its first IKE_AUTH response before EAP starts, so
    the client rejects it there. Expectation: not connected, with the error the oracle
    gives for the build (`gateway_cert_error.untrusted-ca`: 13801 ERROR_IPSEC_IKE_AUTH_FAIL,
    uncertain, 13887 being the other candidate, reference 3); no established IKE SA; on the
    wire the gateway's IKE_AUTH response carried that certificate and the client sent no
    EAP response.
    """
    variant = GatewayCertVariant.UNTRUSTED_CA
    run = interop(cell, gateway_cert=variant)
    outcome = run.connect(timeout=15)
    if cell.client_kind is ClientKind.REFERENCE:
        ends.assert_failed_with(outcome, ref.ERROR_IPSEC_IKE_AUTH_FAIL, why="no trusted root")
    else:
        error = expect(cell.profile, variant.oracle_fact)
        ends.assert_failed_with(outcome, error.as_int(), why=error.cite())
    _no_established_sa(run)
    facts = run.wire()
    w.assert_decrypted(facts)
    certificate = run.pki.gateway(GatewayCertVariant.UNTRUSTED_CA)
    w.assert_gateway_certificate(facts, certificate.cert_der(), "the untrusted-ca certificate")
    responses = [m for m in w.eap_messages(facts) if m.initiator]
    assert not responses, f"expected no EAP response from the client; saw\n{w.ladder(responses)}"


@pytest.mark.negative
@pytest.mark.auth
@pytest.mark.parametrize("cell", params(QUALIFIED_USER))
def test_qualified_user_name_against_plain_secret(interop: StartInterop, cell: Cell) -> None:
    """`DOMAIN\\user` or `Windows Phone\\user` against a gateway whose secret is for `user`.

    Windows sends the user name with a domain part when one is entered, and Windows Phone
    always does (reference 2.7, 12). strongSwan 5.9.8 strips the domain part only when it
    computes the MS-CHAPv2 hashes (eap_mschapv2.c extract_username); the secret is looked
    up under the full name. Found by running it: "received EAP identity 'DOMAIN\\alice'",
    "no EAP key found for hosts 'gw.example.test' - 'DOMAIN\\alice'", then `E=691 R=1`;
    with the secret stored for 'DOMAIN\\alice' the same client connects
    (test_qualified_user_name_with_qualified_secret).
    Expectation: not connected, Windows error 691; the gateway log shows the qualified
    identity and the missing key; a Windows client answers the failure as for a wrong
    password.
    """
    run = interop(cell)
    domain = QUALIFIED_NAMES[cell.variant]
    identity = f"{domain}\\{run.eap.user}"
    outcome = run.connect(Credentials(run.eap.user, run.eap.password, domain), timeout=15)
    _assert_mschapv2_failure(outcome, cell)
    _no_established_sa(run)
    assert run.gateway is not None
    ends.assert_gateway_said(
        run.gateway,
        [
            f"received EAP identity '{identity}'",
            f"no EAP key found for hosts '{run.gateway.identity}' - '{identity}'",
        ],
        "strongSwan looks the secret up under the qualified name",
    )
    facts = run.wire()
    w.assert_decrypted(facts)
    if cell.client_kind is not ClientKind.REFERENCE:
        _assert_windows_mschapv2_refusal(run, facts, identity)


@pytest.mark.auth
@pytest.mark.parametrize("cell", params(QUALIFIED_SECRET))
def test_qualified_user_name_with_qualified_secret(
    interop: StartInterop, lab_credentials: LabCredentials, cell: Cell
) -> None:
    """`DOMAIN\\user` connects when the gateway's secret is stored for `DOMAIN\\user`.

    The counterpart of test_qualified_user_name_against_plain_secret: strongSwan 5.9.8
    finds the secret under the full name and hashes over the user part, as Windows does.
    Expectation: connected; the gateway's remote EAP identity is `DOMAIN\\alice`; on the
    wire the identity response carries it and a method-2 AUTH follows.
    """
    domain = QUALIFIED_NAMES["domain-user"]
    identity = f"{domain}\\{lab_credentials.user}"
    secret = EapSecret(identity, lab_credentials.password)
    run = interop(cell, docs_recommended(cell.auth, (secret,)))
    ends.assert_connected(run.connect(Credentials(run.eap.user, run.eap.password, domain)))
    assert run.gateway is not None
    ends.assert_sa_field(ends.gateway_sa(run.gateway), "remote-eap-id", identity, "qualified")
    facts = run.wire()
    w.assert_decrypted(facts)
    w.assert_initiator_auth(facts, {w.SHARED_KEY_MIC})
    if cell.client_kind is not ClientKind.REFERENCE:
        w.assert_eap_ladder(facts, ref.mschapv2_ladder(identity, nak=False), "reference 2.7")


@pytest.mark.negative
@pytest.mark.auth
@pytest.mark.parametrize("cell", params(NO_MACHINE_CERTIFICATE, inapplicable=NO_CERTIFICATE_STORE))
def test_no_machine_certificate(interop: StartInterop, cell: Cell) -> None:
    """Case A with no certificate in LocalMachine\\My fails before anything is sent.

    Windows picks the machine certificate before it dials; with none there it reports 13806
    ERROR_IPSEC_IKE_NO_CERT (oracle `no_machine_certificate_error`, reference 3).
    Expectation: not connected with that error; no IKE packet on the wire; no IKE SA on the
    gateway.
    """
    setup = replace(client_setup(cell.preset), machine_certificate=False)
    run = interop(cell, setup=setup)
    outcome = run.connect(timeout=15)
    error = expect(cell.profile, "no_machine_certificate_error")
    ends.assert_failed_with(outcome, error.as_int(), why=error.cite())
    _no_established_sa(run)
    facts = run.wire()
    assert not facts.messages, (
        "expected no IKE packet: Windows finds no machine certificate before dialling; "
        f"observed\n{w.ladder(facts.messages)}"
    )
