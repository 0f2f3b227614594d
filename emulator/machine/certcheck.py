"""The gateway certificate checks Windows makes, each with the error it reports.

From windows-client-behavior.md section 3 ([SW-CERT]): the chain must end in a root of
LocalMachine\\Root and be within its validity period; the key must be RSA or ECDSA
P-256/P-384; the EKU must contain serverAuth; the server address typed in the VPN
profile must appear in the CN or in a dNSName SAN, and an IP address counts only as a
dNSName string, never as an iPAddress SAN. DisableIKENameEkuCheck = 1 skips the last two.
Error numbers whose choice the reference marks uncertain come from the profile.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emulator.crypto.auth import VerifyingKey
from emulator.sa.errors import ERROR_IPSEC_IKE_AUTH_FAIL, ConnectError

ACCEPTED_CURVES = ("secp256r1", "secp384r1")
MAX_CHAIN = 8


@dataclass(frozen=True)
class CertCheckPolicy:
    """What the machine's configuration and the build profile decide about the checks."""

    server_address: str
    roots: tuple[x509.Certificate, ...]
    check_name_and_eku: bool = True
    untrusted_root_error: int = ERROR_IPSEC_IKE_AUTH_FAIL
    key_type_error: int = ERROR_IPSEC_IKE_AUTH_FAIL
    expired_error: int = ERROR_IPSEC_IKE_AUTH_FAIL


def _fail(code: int, why: str) -> ConnectError:
    return ConnectError(code, f"gateway certificate rejected: {why}")


def _valid_at(certificate: x509.Certificate, now: datetime.datetime) -> bool:
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _chain(
    leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], policy: CertCheckPolicy
) -> list[x509.Certificate]:
    """Leaf to trusted root, or raise the untrusted-root error."""
    chain = [leaf]
    current = leaf
    for _ in range(MAX_CHAIN):
        root = next((r for r in policy.roots if _issued_by(current, r)), None)
        if root is not None:
            return [*chain, root]
        parent = next((c for c in intermediates if c not in chain and _issued_by(current, c)), None)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    raise _fail(
        policy.untrusted_root_error,
        f"no chain from {leaf.subject.rfc4514_string()} to a root in LocalMachine\\Root "
        f"(issuer {current.issuer.rfc4514_string()})",
    )


def _names(certificate: x509.Certificate) -> tuple[list[str], list[str]]:
    """(CNs, dNSName SANs), lower-cased."""
    cns = [
        str(a.value).lower()
        for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [name.lower() for name in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        dns = []
    return cns, dns


def check_gateway_certificate(
    ders: Sequence[bytes], policy: CertCheckPolicy, *, now: datetime.datetime | None = None
) -> VerifyingKey:
    """The gateway's public key once DERS (end entity first) pass every check."""
    now = now or datetime.datetime.now(datetime.UTC)
    try:
        certificates = [x509.load_der_x509_certificate(der) for der in ders]
    except ValueError as exc:
        raise _fail(ERROR_IPSEC_IKE_AUTH_FAIL, f"undecodable certificate ({exc})") from None
    leaf, intermediates = certificates[0], certificates[1:]
    chain = _chain(leaf, intermediates, policy)
    expired = [c for c in chain if not _valid_at(c, now)]
    if expired:
        c = expired[0]
        raise _fail(
            policy.expired_error,
            f"{c.subject.rfc4514_string()} is valid {c.not_valid_before_utc:%Y-%m-%d} to "
            f"{c.not_valid_after_utc:%Y-%m-%d}, not now",
        )
    key = leaf.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ACCEPTED_CURVES:
            raise _fail(policy.key_type_error, f"ECDSA curve {key.curve.name} (P-256/P-384 only)")
    elif not isinstance(key, rsa.RSAPublicKey):
        raise _fail(policy.key_type_error, f"{type(key).__name__} key (RSA or ECDSA only)")
    if policy.check_name_and_eku:
        _check_eku(leaf)
        _check_name(leaf, policy.server_address)
    return key


def _check_eku(leaf: x509.Certificate) -> None:
    try:
        ekus = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        ekus = x509.ExtendedKeyUsage([])
    if ExtendedKeyUsageOID.SERVER_AUTH not in ekus:
        found = ", ".join(oid.dotted_string for oid in ekus) or "none"
        raise _fail(ERROR_IPSEC_IKE_AUTH_FAIL, f"EKU lacks serverAuth 1.3.6.1.5.5.7.3.1 ({found})")


def _check_name(leaf: x509.Certificate, server_address: str) -> None:
    cns, dns = _names(leaf)
    wanted = server_address.lower()
    try:
        ipaddress.ip_address(wanted)
    except ValueError:
        if wanted not in cns and wanted not in dns:
            raise _fail(
                ERROR_IPSEC_IKE_AUTH_FAIL,
                f"server name {server_address!r} is neither the CN {cns} nor a dNSName SAN {dns}",
            ) from None
        return
    if wanted not in dns:  # an IP address counts only as a dNSName SAN (reference 3)
        raise _fail(
            ERROR_IPSEC_IKE_AUTH_FAIL,
            f"server address {server_address!r} is not a dNSName SAN {dns} (IP addresses "
            "are matched against dNSName SANs only, not the CN or iPAddress SANs)",
        )
