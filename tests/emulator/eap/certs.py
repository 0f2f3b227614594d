"""Throw-away certificates for the EAP-TLS tests, made with ``cryptography``.

Self-contained on purpose (no infra.pki): these tests exercise TLS mechanics, so they
need a CA, a server and a user certificate, an untrusted "rogue" CA, an expired server
certificate and an intermediate, all cheap to make (P-256 keys; one RSA user key).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: Key


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    subject_cn: str,
    key: Key,
    issuer: Issued | None,
    *,
    ca: bool,
    eku: tuple[x509.ObjectIdentifier, ...] = (),
    dns: tuple[str, ...] = (),
    days: tuple[int, int] = (-1, 365),
) -> Issued:
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else _name(subject_cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW + datetime.timedelta(days=days[0]))
        .not_valid_after(_NOW + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    else:
        usage = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
    builder = builder.add_extension(usage, critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if dns:
        names = [x509.DNSName(d) for d in dns]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def _ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class Lab:
    ca: Issued
    intermediate: Issued
    server: Issued  # issued by the intermediate
    client: Issued
    client_rsa: Issued
    rogue_ca: Issued
    expired_server: Issued  # issued by the root directly


@cache
def lab() -> Lab:
    """One set per test session: generation is the slow part of these tests."""
    ca = _issue("winterop EAP test CA", _ec(), None, ca=True)
    intermediate = _issue("winterop EAP intermediate", _ec(), ca, ca=True)
    server_auth = (ExtendedKeyUsageOID.SERVER_AUTH,)
    client_auth = (ExtendedKeyUsageOID.CLIENT_AUTH,)
    server = _issue(
        "vpn.example.net", _ec(), intermediate, ca=False, eku=server_auth, dns=("vpn.example.net",)
    )
    client = _issue(
        "carol@example.net", _ec(), ca, ca=False, eku=client_auth, dns=("carol@example.net",)
    )
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client_rsa = _issue("dave@example.net", rsa_key, ca, ca=False, eku=client_auth)
    rogue_ca = _issue("rogue CA", _ec(), None, ca=True)
    expired = _issue("vpn.example.net", _ec(), ca, ca=False, eku=server_auth, days=(-30, -1))
    return Lab(ca, intermediate, server, client, client_rsa, rogue_ca, expired)
