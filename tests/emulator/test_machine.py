"""Rules of the emulated Windows machine: registry, offers, IPsec policy, certificates.

Expected values come from windows-client-behavior.md (sections cited per test); the
gateway-certificate cases use the lab PKI's deliberately broken certificates, each of
which violates exactly one Windows check.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest

from emulator.codec import Transform, TransformAttribute
from emulator.const import DhGroup, EncrId, EsnId, IntegId, PrfId, TransformType
from emulator.machine.certcheck import CertCheckPolicy, check_gateway_certificate
from emulator.machine.client import EmulatedClient, MachineError
from emulator.machine.credentials import select_machine_credential
from emulator.machine.ipsec_policy import PolicyError, custom_policy
from emulator.machine.offers import esp_proposals, ike_proposals
from emulator.machine.registry import Registry
from emulator.machine.stores import CertificateStore, MachineStores
from emulator.machine.vendor_ids import vendor_id_bytes
from emulator.profiles import load_profile
from emulator.sa.errors import ConnectError
from emulator.sa.names import proposal_name
from expectations.windows.oracle import expect
from infra.auth_cases import AuthCase
from infra.clients.protocol import (
    CmdletRefused,
    EncryptionLevel,
    IPsecConfiguration,
    NotSupportedByClient,
    VpnProfile,
)
from infra.pki.lab_pki import LabPki
from infra.pki.variants import GatewayCertVariant

OPTIONS = load_profile("win10-22h2").options
REQUIRED = EncryptionLevel.REQUIRED


def names(options=OPTIONS, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    kwargs.setdefault("dh2048", 0)
    kwargs.setdefault("level", REQUIRED)
    kwargs.setdefault("policy", None)
    return [proposal_name(p) for p in ike_proposals(options, **kwargs)]


# --- registry (1.6 D, 3) ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "read"), [(0, 0), (1, 1), (2, 2), (3, 0), (0xFFFFFFFF, 0)])
def test_negotiate_dh2048_values_other_than_1_and_2_count_as_0(value: int, read: int) -> None:
    registry = Registry()
    registry.set("NegotiateDH2048_AES256", value)
    assert registry.negotiate_dh2048_aes256 == read


def test_flags_count_only_for_dword_1() -> None:
    registry = Registry()
    registry.set("DisableIKENameEkuCheck", 2)
    assert not registry.flag("DisableIKENameEkuCheck")
    registry.set("DisableIKENameEkuCheck", 1)
    assert registry.flag("DisableIKENameEkuCheck")


def test_unknown_registry_values_are_refused_not_ignored() -> None:
    client = EmulatedClient("win10-22h2", namespace=None)
    with pytest.raises(NotSupportedByClient, match="NegotiateDH2048_AES256"):
        client.set_registry_value("NegotiateDH2048_AES265", 2)


# --- default offers (1.5, 1.6) --------------------------------------------------------


def test_set_a_is_twelve_modp1024_proposals_encr_integ_prf_dh() -> None:
    offered = names()
    assert len(offered) == 12
    assert offered[0] == "IKE:3DES_CBC/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"
    assert offered[4] == "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"
    assert offered[11] == "IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/MODP_1024"
    numbers = [p.number for p in ike_proposals(OPTIONS, dh2048=0, level=REQUIRED, policy=None)]
    assert numbers == list(range(1, 13))


def test_windows_11_adds_six_gcm_proposals_after_the_cbc_set() -> None:
    offered = names(load_profile("win11-23h2").options)
    assert len(offered) == 18
    assert offered[12] == "IKE:AES_GCM_16_128/PRF_HMAC_SHA1/MODP_1024"
    assert offered[17] == "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/MODP_1024"
    first = replace(load_profile("win11-23h2").options, gcm_proposals_first=True)
    assert names(first)[0] == "IKE:AES_GCM_16_128/PRF_HMAC_SHA1/MODP_1024"
    explicit = replace(first, gcm_explicit_integ_none=True)
    assert names(explicit)[0] == "IKE:AES_GCM_16_128/NONE/PRF_HMAC_SHA1/MODP_1024"


def test_set_c_interleaves_3des_and_aes256() -> None:
    offered = names(replace(OPTIONS, ike_proposals="C"))
    assert [n.split("/")[0] for n in offered] == ["IKE:3DES_CBC", "IKE:AES_CBC_256"] * 3


def test_negotiate_dh2048_2_is_set_d_and_1_follows_the_profile() -> None:
    set_d = [
        "IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048",
        "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
        "IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/MODP_2048",
    ]
    assert names(dh2048=2) == set_d
    assert names(dh2048=1) == set_d  # dh2048_value1 = same-as-2
    prepend = names(replace(OPTIONS, dh2048_value1="prepend-to-default"), dh2048=1)
    assert prepend[0] == set_d[0] and prepend[1:] == names()
    assert names(replace(OPTIONS, dh2048_registry_supported=False), dh2048=2) == names()


def test_esp_offers_per_encryption_level() -> None:
    def esp(level: EncryptionLevel, options=OPTIONS) -> list[str]:  # type: ignore[no-untyped-def]
        return [proposal_name(p) for p in esp_proposals(options, level=level, policy=None)]

    assert esp(REQUIRED) == [
        f"ESP:{c}/HMAC_SHA1_96/NO_EXT_SEQ"
        for c in ("AES_CBC_256", "AES_CBC_128", "3DES_CBC", "DES_CBC", "NULL")
    ]
    maximum = ["ESP:AES_CBC_256/HMAC_SHA1_96/NO_EXT_SEQ", "ESP:3DES_CBC/HMAC_SHA1_96/NO_EXT_SEQ"]
    assert esp(EncryptionLevel.MAXIMUM) == maximum
    assert esp(REQUIRED, replace(OPTIONS, esp_proposals_default="two-proposal")) == maximum


# --- Set-VpnConnectionIPsecConfiguration (9.2) ----------------------------------------


def _policy(**values: str) -> IPsecConfiguration:
    base = {
        "authentication_transform_constants": "GCMAES256",
        "cipher_transform_constants": "GCMAES256",
        "dh_group": "ECP384",
        "encryption_method": "GCMAES256",
        "integrity_check_method": "SHA384",
        "pfs_group": "None",
    }
    return IPsecConfiguration(**{**base, **values})


def _map(config: IPsecConfiguration):  # type: ignore[no-untyped-def]
    return custom_policy(
        authentication_transform_constants=config.authentication_transform_constants,
        cipher_transform_constants=config.cipher_transform_constants,
        dh_group=config.dh_group,
        encryption_method=config.encryption_method,
        integrity_check_method=config.integrity_check_method,
        pfs_group=config.pfs_group,
    )


def test_custom_policy_is_one_proposal_of_each_kind() -> None:
    policy = _map(_policy())
    ike = ike_proposals(OPTIONS, dh2048=2, level=REQUIRED, policy=policy)
    esp = esp_proposals(OPTIONS, level=REQUIRED, policy=policy)
    assert [proposal_name(p) for p in ike] == ["IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384"]
    assert [proposal_name(p) for p in esp] == ["ESP:AES_GCM_16_256/NO_EXT_SEQ"]
    assert policy.dh_group == DhGroup.ECP_384 and policy.pfs_group is None


def test_observed_algo_760_policy_maps_as_seen_on_the_wire() -> None:
    """trailofbits/algo#760: AES128 / SHA384 / ECP256, ESP GCMAES128 (reference 1.6 E)."""
    policy = _map(
        _policy(
            encryption_method="AES128",
            integrity_check_method="SHA384",
            dh_group="ECP256",
            cipher_transform_constants="GCMAES128",
            authentication_transform_constants="GCMAES128",
        )
    )
    assert policy.ike == (
        Transform(TransformType.ENCR, EncrId.AES_CBC, (TransformAttribute.key_length(128),)),
        Transform(TransformType.INTEG, IntegId.HMAC_SHA2_384_192),
        Transform(TransformType.PRF, PrfId.HMAC_SHA2_384),
        Transform(TransformType.DH, DhGroup.ECP_256),
    )
    assert policy.esp == (
        Transform(TransformType.ENCR, EncrId.AES_GCM_16, (TransformAttribute.key_length(128),)),
        Transform(TransformType.ESN, EsnId.NO_ESN),
    )


def test_pfs_and_null_cipher_mappings() -> None:
    assert _map(_policy(pfs_group="ECP256")).pfs_group == DhGroup.ECP_256
    assert _map(_policy(pfs_group="PFSMM")).pfs_same_as_ike
    gmac = _map(
        _policy(cipher_transform_constants="None", authentication_transform_constants="GCMAES128")
    )
    assert gmac.esp[0].transform_id == EncrId.NULL_AUTH_AES_GMAC
    null = _map(
        _policy(cipher_transform_constants="None", authentication_transform_constants="SHA196")
    )
    assert [t.transform_id for t in null.esp] == [EncrId.NULL, IntegId.HMAC_SHA1_96, EsnId.NO_ESN]


def test_invalid_policy_values_name_the_parameter() -> None:
    with pytest.raises(PolicyError, match="-DHGroup: 'Group5' is not one of"):
        _map(_policy(dh_group="Group5"))


def test_policy_for_an_unknown_connection_is_refused() -> None:
    client = EmulatedClient("win10-22h2", namespace=None)
    with pytest.raises(MachineError, match="no VPN connection 'vpn'"):
        client.set_ipsec_configuration("vpn", _policy())


# --- vendor IDs (1.4) ----------------------------------------------------------------


def test_vendor_ids_carry_the_profile_s_versions() -> None:
    vids = vendor_id_bytes(
        OPTIONS.vendor_ids, nt5_version=7, key_mods_version=2, omit_initial_contact=False
    )
    assert [v.hex() for v in vids] == [
        "1e2b516905991c7d7c96fcbfb587e46100000007",
        "fb1de3cdf341b7ea16b7e5be0855f120",
        "26244d38eddb61b3172a36e3d0cfb819",
        "01528bbbc00696121849ab9a1c5b2a5100000002",
    ]
    assert (
        len(
            vendor_id_bytes(
                OPTIONS.vendor_ids, nt5_version=9, key_mods_version=2, omit_initial_contact=True
            )
        )
        == 3
    )


# --- gateway certificate checks (3) ---------------------------------------------------


def _policy_for(pki: LabPki, server: str, *, check: bool = True) -> CertCheckPolicy:
    roots = tuple(r.cert for r in pki.trusted_roots)
    return CertCheckPolicy(server_address=server, roots=roots, check_name_and_eku=check)


@pytest.mark.parametrize("variant", list(GatewayCertVariant), ids=lambda v: v.value)
def test_each_gateway_variant_gets_the_windows_verdict(
    lab_pki: LabPki, variant: GatewayCertVariant
) -> None:
    gateway = lab_pki.gateway(variant)
    # What charon sends: its certificate, then the intermediates ("sending issuer cert").
    chain = [gateway.cert_der(), *(ca.cert_der() for ca in lab_pki.intermediates_of(gateway))]
    roots = tuple(r.cert for r in lab_pki.roots_for(gateway))
    policy = replace(_policy_for(lab_pki, lab_pki.gateway_ip), roots=roots)
    expected = (
        None if variant is GatewayCertVariant.GOOD else expect("win10-22h2", variant.oracle_fact)
    )
    if expected is None or expected.as_error() is None:
        check_gateway_certificate(chain, policy)
        return
    with pytest.raises(ConnectError) as caught:
        check_gateway_certificate(chain, policy)
    assert caught.value.code == expected.as_error(), expected.cite()


def test_disable_ike_name_eku_check_lifts_only_name_and_eku(lab_pki: LabPki) -> None:
    lenient = _policy_for(lab_pki, lab_pki.gateway_ip, check=False)
    for variant in (GatewayCertVariant.NAME_MISMATCH, GatewayCertVariant.NO_SERVER_AUTH):
        check_gateway_certificate([lab_pki.gateway(variant).cert_der()], lenient)
    with pytest.raises(ConnectError):
        check_gateway_certificate(
            [lab_pki.gateway(GatewayCertVariant.UNTRUSTED_CA).cert_der()], lenient
        )


def test_dialling_the_name_matches_the_cn_even_with_an_ipaddress_san(lab_pki: LabPki) -> None:
    der = lab_pki.gateway(GatewayCertVariant.IP_AS_IPADDRESS_SAN).cert_der()
    check_gateway_certificate([der], _policy_for(lab_pki, lab_pki.gateway_name))


def test_uncertain_error_numbers_come_from_the_profile(lab_pki: LabPki) -> None:
    policy = replace(_policy_for(lab_pki, lab_pki.gateway_ip), untrusted_root_error=13887)
    with pytest.raises(ConnectError) as caught:
        check_gateway_certificate(
            [lab_pki.gateway(GatewayCertVariant.UNTRUSTED_CA).cert_der()], policy
        )
    assert caught.value.code == 13887


def test_a_certificate_is_checked_at_the_time_given(lab_pki: LabPki) -> None:
    der = lab_pki.gateway().cert_der()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=20 * 365)
    with pytest.raises(ConnectError, match="not now"):
        check_gateway_certificate([der], _policy_for(lab_pki, lab_pki.gateway_ip), now=later)


# --- machine certificate selection (2.5, 3) -------------------------------------------


def test_rsa_machine_certificate_signs_with_method_1(lab_pki: LabPki) -> None:
    store = CertificateStore("LocalMachine\\My")
    machine = lab_pki.machine()
    store.add(machine.cert, machine.private_key())
    assert select_machine_credential(store, ecdsa_for_group=None).method == 1


def test_no_usable_machine_certificate_is_13806_and_no_key_13820(lab_pki: LabPki) -> None:
    store = CertificateStore("LocalMachine\\My")
    with pytest.raises(ConnectError) as empty:
        select_machine_credential(store, ecdsa_for_group=None)
    assert empty.value.code == 13806
    server_only = lab_pki.user_without_client_auth()
    store.add(server_only.cert, server_only.private_key())
    with pytest.raises(ConnectError) as ignored:
        select_machine_credential(store, ecdsa_for_group=None)
    assert ignored.value.code == 13806  # serverAuth-only certificates are ignored
    store.add(lab_pki.machine().cert)
    with pytest.raises(ConnectError) as keyless:
        select_machine_credential(store, ecdsa_for_group=None)
    assert keyless.value.code == 13820


def test_ecp_policy_wants_an_ecdsa_machine_certificate(lab_pki: LabPki) -> None:
    store = CertificateStore("LocalMachine\\My")
    machine = lab_pki.machine()
    store.add(machine.cert, machine.private_key())
    with pytest.raises(ConnectError) as caught:
        select_machine_credential(store, ecdsa_for_group=DhGroup.ECP_384)
    assert caught.value.code == 13806 and "secp384r1" in caught.value.reason


def test_certreq_lists_every_trusted_root(lab_pki: LabPki) -> None:
    stores = MachineStores(stand_ins=52)
    stores.local_machine_root.add(lab_pki.root_ca.cert)
    hashes = stores.root_hashes()
    assert len(hashes) == 53 and lab_pki.root_ca.key_sha1_spki() in hashes


# --- dialling without a lab -----------------------------------------------------------


def test_unknown_connection_is_623_and_mschapv2_without_credentials_703() -> None:
    client = EmulatedClient("win10-22h2", namespace=None)
    outcome = client.connect("nothing")
    assert not outcome.connected and outcome.error is not None and outcome.error.code == 623
    client.add_vpn_connection(VpnProfile("vpn", "192.0.2.1", AuthCase.EAP_MSCHAPV2))
    outcome = client.connect("vpn")
    assert outcome.error is not None and outcome.error.code == 703  # no UI to ask
    assert not any("sending packet" in line for line in client.log.lines)


def test_missing_machine_certificate_is_13806_before_any_packet() -> None:
    client = EmulatedClient("win10-22h2", namespace=None)
    client.add_vpn_connection(VpnProfile("vpn", "192.0.2.1", AuthCase.MACHINE_CERT))
    outcome = client.connect("vpn")
    assert outcome.error is not None and outcome.error.code == 13806
    assert not any("sending packet" in line for line in client.log.lines)


# --- Add-VpnConnectionRoute --------------------------------------------------------------


def test_vpn_connection_routes_are_kept_per_profile_and_the_refused_prefix_is_refused() -> None:
    client = EmulatedClient("win10-22h2", namespace=None)
    with pytest.raises(MachineError, match="no VPN connection"):
        client.add_vpn_connection_route("vpn", "2000::/3")
    client.add_vpn_connection(VpnProfile("vpn", "192.0.2.1", AuthCase.MACHINE_CERT))
    client.add_vpn_connection_route("vpn", "2000::/3")
    client.add_vpn_connection_route("vpn", "2000::/3")
    client.add_vpn_connection_route("vpn", "198.18.0.0/15")
    assert [str(n) for n in client.vpn_routes["vpn"]] == ["2000::/3", "198.18.0.0/15"]
    with pytest.raises(CmdletRefused, match="::/0 is refused"):
        client.add_vpn_connection_route("vpn", "::/0")
    with pytest.raises(CmdletRefused, match="has host bits set"):
        client.add_vpn_connection_route("vpn", "198.18.0.1/15")
    assert any("Add-VpnConnectionRoute" in line for line in client.log.lines)
