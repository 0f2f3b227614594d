"""The emulated Windows machine's EAP rules: identity, IDi, user certificate, profile options.

Sources per test: windows-client-behavior.md 2.6 (IDi, ExtendedIDiSupport), 2.7 (identity
forms, MS-CHAPv2 failure behaviour), 2.8 and 3 (user certificate selection, 798), 13
(profile options). Nothing here sends a packet: these are the decisions Windows makes
before (or instead of) dialling.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from emulator.codec import IdiPayload
from emulator.const import IdType
from emulator.eap import EapTlsMethod, FinalFailure, MschapV2Method, WinError
from emulator.log import ClientLog
from emulator.machine.client import EmulatedClient
from emulator.machine.dial_setup import dial_config
from emulator.machine.eap_setup import (
    eap_identity,
    eap_server_verifier,
    extended_idi,
    mschapv2_policy,
)
from emulator.machine.registry import Registry
from emulator.machine.stores import CertificateStore, MachineStores
from emulator.machine.user_certs import select_user_credential
from emulator.profiles import Confidence, load_profile
from emulator.sa.eap_authenticator import EapAuthenticator
from emulator.sa.errors import ConnectError
from infra.auth_cases import AuthCase
from infra.clients.protocol import Credentials, VpnProfile
from infra.pki.lab_pki import LabPki
from tests.emulator.eap.certs import lab

OPTIONS = load_profile("win10-22h2").options
SECRET = "not-logged-7"


def _credentials(user: str = "alice", domain: str | None = None) -> Credentials:
    return Credentials(user, SECRET, domain)


# --- identity (2.7, 12) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "domain", "expected"),
    [
        ("user", None, "alice"),
        ("user", "DOMAIN", "DOMAIN\\alice"),
        ("domain-user", None, "DESKTOP-X\\alice"),
        ("domain-user", "DOMAIN", "DOMAIN\\alice"),
        ("windows-phone", None, "Windows Phone\\alice"),
    ],
)
def test_eap_identity_forms(form: str, domain: str | None, expected: str) -> None:
    options = replace(OPTIONS, eap_identity=form)  # type: ignore[arg-type]
    assert eap_identity(options, _credentials(domain=domain), "DESKTOP-X") == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("@vpn.example.net", IdiPayload(IdType.FQDN, b"vpn.example.net")),
        ("alice@example.net", IdiPayload(IdType.RFC822_ADDR, b"alice@example.net")),
        ("alice", None),
    ],
)
def test_extended_idi_derivations(name: str, expected: IdiPayload | None) -> None:
    assert extended_idi(name) == expected


def test_mschapv2_failure_behaviour_per_build() -> None:
    win10 = mschapv2_policy(OPTIONS)
    win7 = mschapv2_policy(load_profile("win7").options)
    assert (win10.retries, win10.on_final_failure) == (0, FinalFailure.SILENT)
    assert win7.on_final_failure is FinalFailure.DELETE and win7.keep_first_user


# --- user certificate selection (2.8, 3) ---------------------------------------------------


def test_the_lab_user_certificate_is_chosen_with_its_cn(lab_pki: LabPki) -> None:
    store = CertificateStore("CurrentUser\\My")
    store.add(
        lab_pki.user_without_client_auth().cert, lab_pki.user_without_client_auth().private_key()
    )
    store.add(lab_pki.user().cert, lab_pki.user().private_key())
    chosen = select_user_credential(store)
    assert chosen.identity == "alice@example.test" and chosen.cn_in_san
    assert chosen.certificate == lab_pki.user().cert


def test_server_auth_only_certificate_is_798_naming_the_eku(lab_pki: LabPki) -> None:
    store = CertificateStore("CurrentUser\\My")
    material = lab_pki.user_without_client_auth()
    store.add(material.cert, material.private_key())
    with pytest.raises(ConnectError) as caught:
        select_user_credential(store)
    assert caught.value.code == 798 and "clientAuth" in caught.value.reason


def test_no_eku_is_accepted_but_no_key_or_expired_is_not(lab_pki: LabPki) -> None:
    certs = lab()
    no_eku = certs.client_rsa  # EKU clientAuth; build one without any EKU from the CA
    builder = (
        x509.CertificateBuilder()
        .subject_name(no_eku.cert.subject)
        .issuer_name(certs.ca.cert.subject)
        .public_key(no_eku.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(no_eku.cert.not_valid_before_utc)
        .not_valid_after(no_eku.cert.not_valid_after_utc)
    )
    bare = builder.sign(certs.ca.key, no_eku.cert.signature_hash_algorithm)  # type: ignore[arg-type]
    store = CertificateStore("CurrentUser\\My")
    store.add(bare, no_eku.key)
    assert select_user_credential(store).identity == "dave@example.net"
    assert not select_user_credential(store).cn_in_san
    keyless = CertificateStore("CurrentUser\\My")
    keyless.add(bare, None)
    with pytest.raises(ConnectError, match="no private key"):
        select_user_credential(keyless)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=4000)
    with pytest.raises(ConnectError, match="not valid now"):
        select_user_credential(store, now=later)


def test_eap_server_certificate_needs_server_auth_when_it_has_an_eku() -> None:
    certs = lab()
    assert eap_server_verifier([certs.server.cert]) is None
    rejection = eap_server_verifier([certs.client.cert])  # EKU clientAuth only
    assert rejection is not None and rejection.code == WinError.EAP_SERVER_CERT_INVALID
    assert ExtendedKeyUsageOID.SERVER_AUTH.dotted_string not in rejection.reason


# --- the dial (2.6, 13) ------------------------------------------------------------------


def _dial(
    lab_pki: LabPki,
    auth: AuthCase,
    *,
    registry: Registry | None = None,
    user: bool = True,
    credentials: Credentials | None = None,
    **options: object,
) -> EapAuthenticator:
    stores = MachineStores(0)
    stores.local_machine_root.add(lab_pki.root_ca.cert)
    if user:
        stores.current_user_my.add(lab_pki.user().cert, lab_pki.user().private_key())
    config = dial_config(
        replace(OPTIONS, **options),  # type: ignore[arg-type]
        registry or Registry(),
        stores,
        VpnProfile("vpn", lab_pki.gateway_ip, auth),
        None,
        credentials=credentials,
        time_scale=1.0,
        log=ClientLog(),
    )
    assert isinstance(config.authenticator, EapAuthenticator)
    return config.authenticator


def test_eap_tls_dial_takes_the_cn_and_the_profile_s_tls_options(lab_pki: LabPki) -> None:
    authenticator = _dial(lab_pki, AuthCase.EAP_TLS, eap_tls_version="1.3")
    assert authenticator.peer.identity == "alice@example.test"
    method = authenticator.peer.method
    assert isinstance(method, EapTlsMethod)
    assert method._config.max_version.value == "1.3"  # the profile's option
    assert method._config.fragment_size == OPTIONS.eap_tls_fragment_size
    assert method._config.trusted_roots == (lab_pki.root_ca.cert,)


def test_mschapv2_dial_uses_the_credentials(lab_pki: LabPki) -> None:
    creds = _credentials(domain="DOMAIN")
    authenticator = _dial(lab_pki, AuthCase.EAP_MSCHAPV2, credentials=creds)
    assert authenticator.peer.identity == "DOMAIN\\alice"
    assert isinstance(authenticator.peer.method, MschapV2Method)
    assert SECRET not in repr(authenticator.peer.method)


def test_extended_idi_support_registry_value(lab_pki: LabPki) -> None:
    registry = Registry()
    registry.set("ExtendedIDiSupport", 2)  # any non-zero value counts
    creds = _credentials("alice@example.test")
    mschap = _dial(lab_pki, AuthCase.EAP_MSCHAPV2, registry=registry, credentials=creds)
    assert mschap._fixed_idi == IdiPayload(IdType.RFC822_ADDR, b"alice@example.test")
    tls = _dial(lab_pki, AuthCase.EAP_TLS, registry=registry)
    assert tls._fixed_idi == IdiPayload(
        IdType.DER_ASN1_DN, lab_pki.user().cert.subject.public_bytes()
    )
    assert _dial(lab_pki, AuthCase.EAP_TLS)._fixed_idi is None  # default: the local address


def test_missing_user_certificate_before_dial_or_at_the_tls_start(lab_pki: LabPki) -> None:
    with pytest.raises(ConnectError) as caught:
        _dial(lab_pki, AuthCase.EAP_TLS, user=False)
    assert caught.value.code == 798
    late = _dial(lab_pki, AuthCase.EAP_TLS, user=False, eap_tls_no_certificate="at-tls-start")
    assert isinstance(late.peer.method, EapTlsMethod)


def test_emulated_client_fails_eap_tls_without_a_usable_certificate_before_any_packet(
    lab_pki: LabPki,
) -> None:
    client = EmulatedClient("win11-23h2", namespace=None)
    client.trust_root(lab_pki.root_ca.cert)
    material = lab_pki.user_without_client_auth()
    client.import_user_certificate(material.cert, material.private_key())
    client.add_vpn_connection(VpnProfile("vpn", lab_pki.gateway_ip, AuthCase.EAP_TLS))
    outcome = client.connect("vpn")
    assert outcome.error is not None and outcome.error.code == 798
    assert "clientAuth" in outcome.detail
    assert not any("sending packet" in line for line in client.log.lines)


def test_every_eap_option_has_a_source() -> None:
    profile = load_profile("win11-23h2")
    for option in ("eap_tls13_msk", "eap_tls_fragment_size", "eap_tls_no_certificate"):
        source = profile.source(option)
        assert source.confidence is Confidence.UNCERTAIN and "reference" in source.source
    assert profile.options.eap_tls_version == "1.3"
    assert load_profile("win10-22h2").options.eap_tls_version == "1.2"
