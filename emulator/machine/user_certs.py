"""Which user certificate Windows uses for EAP-TLS (windows-client-behavior.md 2.8, 3).

[SW-CERT] "Client Certificates": Windows sends the certificate's CN as the EAP identity
(so the CN must also be a subjectAltName for strongSwan to match it, a gateway-side
rule), and if the certificate carries any EKU it must include clientAuth. Candidates
come from CurrentUser\\My, must be within their validity period, have their private key
(a certificate without one cannot sign the TLS CertificateVerify) and an RSA or ECDSA
P-256/P-384 key with a CN. No candidate is RAS 798 ERROR_NO_EAPTLS_CERTIFICATE.
Which of several candidates Windows picks is not recorded (*uncertain*): the first one
imported, as the store lists them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emulator.machine.stores import CertificateStore, PrivateKey, StoredCertificate
from emulator.sa.errors import ERROR_NO_EAPTLS_CERTIFICATE, ConnectError

_CURVES = ("secp256r1", "secp384r1")


@dataclass(frozen=True)
class UserCredential:
    certificate: x509.Certificate
    key: PrivateKey
    identity: str
    """The CN: what Windows sends as EAP identity."""
    cn_in_san: bool
    """Whether the CN is also a SAN (rfc822Name or dNSName); strongSwan needs it to be."""


def common_name(certificate: x509.Certificate) -> str | None:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _eku_allows_client_auth(certificate: x509.Certificate) -> bool:
    try:
        ekus = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return ExtendedKeyUsageOID.CLIENT_AUTH in ekus


def _key_usable(certificate: x509.Certificate) -> bool:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name in _CURVES
    return isinstance(key, rsa.RSAPublicKey)


def _san_names(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.RFC822Name), *san.get_values_for_type(x509.DNSName)]


def _why_not(entry: StoredCertificate, now: datetime.datetime) -> str | None:
    certificate = entry.certificate
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return "not valid now"
    if not _eku_allows_client_auth(certificate):
        return "its EKU lacks clientAuth 1.3.6.1.5.5.7.3.2"
    if not _key_usable(certificate):
        return "key is neither RSA nor ECDSA P-256/P-384"
    if common_name(certificate) is None:
        return "no CN to send as EAP identity"
    if entry.key is None:
        return "no private key"
    return None


def select_user_credential(
    store: CertificateStore, *, now: datetime.datetime | None = None
) -> UserCredential:
    """The EAP-TLS user certificate, or ConnectError(798) saying why each one was refused."""
    now = now or datetime.datetime.now(datetime.UTC)
    refused = []
    for entry in store.entries():
        why = _why_not(entry, now)
        if why is not None:
            refused.append(f"{entry.certificate.subject.rfc4514_string()}: {why}")
            continue
        identity = common_name(entry.certificate)
        assert identity is not None and entry.key is not None
        return UserCredential(
            entry.certificate,
            entry.key,
            identity,
            identity.lower() in (n.lower() for n in _san_names(entry.certificate)),
        )
    detail = "; ".join(refused) if refused else "the store is empty"
    raise ConnectError(
        ERROR_NO_EAPTLS_CERTIFICATE,
        f"{store.name} holds no certificate usable for EAP-TLS ({detail})",
    )
