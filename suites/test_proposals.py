"""IKE proposal negotiation and the gateway-certificate checks, per Windows build.

What each Windows build offers (windows-client-behavior.md 1.5, 1.6, 9) and whether a
gateway accepts it: the defaults against charon's own defaults (`strongswan-defaults`),
the NegotiateDH2048_AES256 registry value, a custom Set-VpnConnectionIPsecConfiguration
policy; and every way a gateway certificate can fail Windows' checks (section 3), each of
which must end with the error Windows reports. Offers are checked in the gateway-side
capture against the reference's tables (suites.windows_reference).
"""

from __future__ import annotations

import pytest

from expectations import ideal
from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.client_setup import ClientSetup
from infra.clients.protocol import ClientKind, IPsecConfiguration
from infra.interop_run import PROFILE_NAME
from infra.lab.topology import TopologyKind
from infra.pki.variants import GatewayCertVariant
from suites import ends
from suites import windows_reference as ref
from suites import wire as w

CASE_A = [AuthCase.MACHINE_CERT]
DIRECT = [TopologyKind.DIRECT]


def _all_kinds(preset: str, variant: str) -> list[Cell]:
    """Case A on the direct topology for every client kind: reference, emulated, windows."""
    return [
        *reference_cells(CASE_A, [preset], DIRECT, variant=variant),
        *emulated_cells(CASE_A, [preset], DIRECT, variant=variant),
        *windows_cells(CASE_A, [preset], DIRECT, variant=variant),
    ]


DEFAULTS = _all_kinds("strongswan-defaults", "default-proposals")
DH2048 = _all_kinds("strongswan-defaults", "dh2048-aes256-2")
CUSTOM = _all_kinds("strongswan-defaults", "custom-gcmaes256-ecp384")
GATEWAY_CERTS = [
    cell
    for variant in GatewayCertVariant
    if variant is not GatewayCertVariant.GOOD
    for cell in _all_kinds("docs-recommended", f"gw-{variant.value}")
]
NO_REGISTRY = {
    ClientKind.REFERENCE: "NegotiateDH2048_AES256 is a RasMan registry value; charon has no "
    "registry, and its own proposals are what test_default_proposals already measures",
}
NO_WINDOWS_POLICY = {
    ClientKind.REFERENCE: "Set-VpnConnectionIPsecConfiguration is a Windows cmdlet; the "
    "reference client's proposals are charon's own (test_default_proposals)",
}
STANDARD_CLIENT_REJECTS = {GatewayCertVariant.EXPIRED, GatewayCertVariant.UNTRUSTED_CA}
"""What a standards client (RFC 5280 path validation, RFC 7296 identities) does with the
variants: it rejects an expired certificate and one without a trusted root, and accepts the
rest, whose flaws break only Windows' own policy (serverAuth EKU, the typed server name in
CN/dNSName, the key type list). The reference cells show which failures are Windows'."""

GCMAES256_ECP384 = IPsecConfiguration(
    authentication_transform_constants="GCMAES256",
    cipher_transform_constants="GCMAES256",
    dh_group="ECP384",
    encryption_method="GCMAES256",
    integrity_check_method="SHA384",
    pfs_group="None",
)
ESP_GCM_256 = [
    (ref.Transform(ref.ENCR, ref.ENCR_AES_GCM_16, 256), ref.Transform(ref.ESN, 0)),
]


@pytest.mark.proposals
@pytest.mark.parametrize("cell", params(DEFAULTS))
def test_default_proposals(interop: StartInterop, cell: Cell) -> None:
    """A Windows build with nothing changed connects to a gateway with nothing changed.

    Expectation: the IKE_SA_INIT request offers the build's default set (reference 1.6:
    set A, or A + GCM on Windows 11) in order; whatever the gateway answers, client and
    wire agree (N(NO_PROPOSAL_CHOSEN) on the wire is 13868 on the client); ideally the
    gateway selects one of the offered proposals and the client connects.
    """
    run = interop(cell)
    outcome = run.connect()
    facts = run.wire()
    if cell.client_kind is ClientKind.REFERENCE:
        # The baseline: charon's own default offer against charon's own default gateway.
        ends.assert_connected(outcome)
        w.assert_proposal_selected(facts)
        return
    build = ref.build_facts(cell.profile)
    init = w.assert_init_request(facts, ref.init_payloads(build))
    w.assert_proposals(init, ref.default_ike_offer(build), w.PROTOCOL_IKE)
    response = facts.ike_sa_init_response()
    if response is not None and w.NO_PROPOSAL_CHOSEN in response.notify_types():
        w.assert_no_proposal_chosen(facts)
        ends.assert_failed_with(outcome, 13868)
    ideal(
        outcome.connected,
        f"expected Windows' default proposals to be accepted; observed {outcome.describe()}, "
        f"gateway answered [ {w.payload_list(response) if response else 'nothing'} ] "
        f"in frame {response.frame if response else '?'}",
    )
    w.assert_proposal_selected(facts)


@pytest.mark.proposals
@pytest.mark.parametrize("cell", params(DH2048, inapplicable=NO_REGISTRY))
def test_negotiate_dh2048_aes256(interop: StartInterop, cell: Cell) -> None:
    """NegotiateDH2048_AES256 = 2 makes Windows offer AES-256 with MODP2048 only.

    Expectation: exactly the three set D proposals (AES_CBC_256 with SHA1, SHA256, SHA384
    and the matching PRF, MODP_2048) in this order; charon's defaults accept one of them;
    connected; the gateway's KE group is MODP_2048.
    """
    setup = ClientSetup(registry=(("NegotiateDH2048_AES256", 2),), source="reference 1.6 D")
    run = interop(cell, setup=setup)
    outcome = run.connect()
    facts = run.wire()
    init = w.assert_init_request(facts, ref.init_payloads(ref.build_facts(cell.profile)))
    w.assert_proposals(init, ref.set_d(), w.PROTOCOL_IKE)
    ends.assert_connected(outcome)
    response = w.assert_proposal_selected(facts)
    assert response.ke_group == ref.MODP2048, (
        f"expected the gateway's KE in group 14; observed {response.ke_group} "
        f"in frame {response.frame}"
    )


@pytest.mark.proposals
@pytest.mark.parametrize("cell", params(CUSTOM, inapplicable=NO_WINDOWS_POLICY))
def test_custom_policy(interop: StartInterop, cell: Cell) -> None:
    """A custom IPsec policy (GCMAES256, SHA384, ECP384; ESP GCMAES256) is one proposal each.

    Set-VpnConnectionIPsecConfiguration -EncryptionMethod GCMAES256 -IntegrityCheckMethod
    SHA384 -DHGroup ECP384 -CipherTransformConstants GCMAES256
    -AuthenticationTransformConstants GCMAES256 -PfsGroup None, with
    UseRSACertForEcpDHGroups = 1 so the RSA machine certificate stays usable (reference
    2.5). Expectation: one IKE proposal AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384 and one
    ESP proposal AES_GCM_16_256/NO_EXT_SEQ; charon's defaults accept both; connected and
    the LAN behind the gateway is reachable through the GCM CHILD SA.
    """
    setup = ClientSetup(registry=(("UseRSACertForEcpDHGroups", 1),), source="reference 2.5")
    run = interop(cell, setup=setup)
    assert run.client is not None
    run.client.set_ipsec_configuration(PROFILE_NAME, GCMAES256_ECP384)
    outcome = run.connect()
    facts = run.wire()
    init = w.assert_init_request(facts, ref.init_payloads(ref.build_facts(cell.profile)))
    w.assert_proposals(init, ref.custom_policy_offer("GCMAES256", "SHA384", "ECP384"), 1)
    auth = w.assert_first_auth_request(facts, ref.AUTH_MACHINE_CERT)
    w.assert_proposals(auth, ESP_GCM_256, w.PROTOCOL_ESP)
    ends.assert_connected(outcome)
    w.assert_proposal_selected(facts)
    ends.assert_reaches(run.client, str(run.lab.plan.protected_host))


@pytest.mark.auth
@pytest.mark.parametrize("cell", params(GATEWAY_CERTS))
def test_gateway_certificate(interop: StartInterop, cell: Cell) -> None:
    """Windows' checks of the gateway certificate, one violated requirement per variant.

    The gateway presents the variant (its local ID is the certificate's identity); the
    profile dials the gateway's IP address. Expectation: the gateway's IKE_AUTH response
    carries that certificate; the client then fails with the error Windows reports for the
    violated check (reference 3), or, for the ECDSA P-256 variant issued by a trusted root,
    connects with the gateway signing with AUTH method 9 (14, RFC 7427, for the reference
    client, which announces signature hash algorithms). The expected error is the oracle's
    fact `gateway_cert_error.<variant>` for the build; the reference client (a standards
    client) fails only the expired and the untrusted-root variants, classified as 13801.
    """
    variant = GatewayCertVariant(cell.variant.removeprefix("gw-"))
    run = interop(cell, gateway_cert=variant)
    outcome = run.connect()
    facts = run.wire()
    w.assert_decrypted(facts)
    certificate = run.pki.gateway(variant)
    w.assert_gateway_certificate(facts, certificate.cert_der(), f"the {variant.value} certificate")
    if cell.client_kind is ClientKind.REFERENCE:
        error = ref.ERROR_IPSEC_IKE_AUTH_FAIL if variant in STANDARD_CLIENT_REJECTS else None
        why = "a standards client's path validation and identity rules"
    else:
        expectation = expect(cell.profile, variant.oracle_fact)
        error, why = expectation.as_error(), expectation.cite()
    if error is None:
        ends.assert_connected(outcome)
    else:
        ends.assert_failed_with(outcome, error, why=why)
    if error is None and variant is GatewayCertVariant.ECDSA:
        # Windows announces no RFC 7427 hash algorithms, so the gateway signs with method 9;
        # charon announces them (N(SIGNATURE_HASH_ALGORITHMS)) and gets method 14.
        method = 14 if cell.client_kind is ClientKind.REFERENCE else 9
        responder_methods = facts.auth_methods(initiator=False)
        assert responder_methods == (method,), (
            f"expected the gateway's AUTH method {method} for its ECDSA P-256 key; "
            f"observed {responder_methods}"
        )
