"""Which machine certificate Windows authenticates with (reference 2.5, 3 "Client certificates").

Candidates come from LocalMachine\\My and must be valid now and usable for client
authentication: an EKU list containing clientAuth or IKE intermediate, or no EKU at all
(a certificate with only serverAuth is ignored). With a custom policy whose DH group is
ECP256/ECP384 the build may switch machine authentication to ECDSA P-256/P-384 unless
UseRSACertForEcpDHGroups = 1. No candidate is 13806 ERROR_IPSEC_IKE_NO_CERT; a candidate
without its private key 13820 ERROR_IPSEC_IKE_NO_PRIVATE_KEY.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from emulator.const import DhGroup
from emulator.crypto import method_for_key
from emulator.machine.stores import CertificateStore, PrivateKey, StoredCertificate
from emulator.sa.errors import ERROR_IPSEC_IKE_NO_CERT, ERROR_IPSEC_IKE_NO_PRIVATE_KEY, ConnectError

IKE_INTERMEDIATE = x509.ObjectIdentifier("1.3.6.1.5.5.8.2.2")
_ECP_CURVES = {DhGroup.ECP_256: "secp256r1", DhGroup.ECP_384: "secp384r1"}


@dataclass(frozen=True)
class MachineCredential:
    certificate: x509.Certificate
    key: PrivateKey
    method: int


def _client_usable(certificate: x509.Certificate) -> bool:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in _ECP_CURVES.values():
        return False  # no classic AUTH method for other curves
    try:
        ekus = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return ExtendedKeyUsageOID.CLIENT_AUTH in ekus or IKE_INTERMEDIATE in ekus


def _curve(entry: StoredCertificate) -> str | None:
    key = entry.certificate.public_key()
    return key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None


def select_machine_credential(
    store: CertificateStore, *, ecdsa_for_group: int | None, now: datetime.datetime | None = None
) -> MachineCredential:
    """The certificate, key and AUTH method for case A, or the Windows error."""
    now = now or datetime.datetime.now(datetime.UTC)
    candidates = [
        entry
        for entry in store.entries()
        if entry.certificate.not_valid_before_utc <= now <= entry.certificate.not_valid_after_utc
        and _client_usable(entry.certificate)
    ]
    wanted_curve = _ECP_CURVES.get(DhGroup(ecdsa_for_group)) if ecdsa_for_group else None
    if wanted_curve is not None:
        candidates = [entry for entry in candidates if _curve(entry) == wanted_curve]
    if not candidates:
        need = f"an ECDSA {wanted_curve} certificate" if wanted_curve else "a certificate"
        raise ConnectError(
            ERROR_IPSEC_IKE_NO_CERT,
            f"{store.name} holds no valid client-authentication {need} "
            f"({len(store)} certificate(s) in the store)",
        )
    with_key = [entry for entry in candidates if entry.key is not None]
    if not with_key:
        raise ConnectError(
            ERROR_IPSEC_IKE_NO_PRIVATE_KEY,
            f"the machine certificate {candidates[0].certificate.subject.rfc4514_string()} "
            "has no private key",
        )
    chosen = with_key[0]
    assert chosen.key is not None
    # RSA signs with method 1, ECDSA P-256/P-384 with 9/10 (no RFC 7427: reference 2.5).
    return MachineCredential(chosen.certificate, chosen.key, method_for_key(chosen.key))
