"""Building CA and leaf certificates with the extensions Windows and strongSwan expect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from infra.pki.keys import PrivateKey, key_type_of, signature_hash

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
IKE_INTERMEDIATE = ObjectIdentifier("1.3.6.1.5.5.8.2.2")
"""iKEIntermediate: optional for Windows, needed by old macOS; strongSwan's "ikeIntermediate"."""

LEAF_BACKDATE = timedelta(days=1)
"""notBefore of leaves lies a day in the past because Windows VMs resume from snapshots with
stale clocks and would otherwise see a "not yet valid" certificate."""
LEAF_LIFETIME = timedelta(days=365)
CA_BACKDATE = timedelta(days=730)
"""CAs start two years back so the deliberately expired leaf (400 days back) still lies
inside its issuer's validity: that variant must fail only because of its own expiry."""
CA_LIFETIME = timedelta(days=3650)
EXPIRED_NOT_BEFORE = timedelta(days=400)
EXPIRED_NOT_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Validity:
    """A notBefore / notAfter pair (timezone-aware UTC, whole seconds as X.509 stores them)."""

    not_before: datetime
    not_after: datetime

    @staticmethod
    def leaf(now: datetime) -> Validity:
        now = now.replace(microsecond=0)
        return Validity(now - LEAF_BACKDATE, now + LEAF_LIFETIME)

    @staticmethod
    def expired_leaf(now: datetime) -> Validity:
        now = now.replace(microsecond=0)
        return Validity(now - EXPIRED_NOT_BEFORE, now - EXPIRED_NOT_AFTER)

    @staticmethod
    def ca(now: datetime) -> Validity:
        now = now.replace(microsecond=0)
        return Validity(now - CA_BACKDATE, now + CA_LIFETIME)


@dataclass(frozen=True)
class Issuer:
    """A CA certificate with the key that signs for it."""

    cert: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class LeafProfile:
    """The contents of an end-entity certificate."""

    subject: x509.Name
    sans: tuple[x509.GeneralName, ...]
    ekus: tuple[ObjectIdentifier, ...]
    validity: Validity


def _ski(key: PrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def build_ca(
    key: PrivateKey, subject: x509.Name, validity: Validity, issuer: Issuer | None = None
) -> x509.Certificate:
    """A CA: self-signed root, or with ISSUER an intermediate it signs. Critical
    BasicConstraints CA, critical KeyUsage keyCertSign + cRLSign, SKI (which the AKI of
    every certificate it issues refers to; an intermediate carries its issuer's as AKI). No
    CRL distribution point anywhere: Windows would try to fetch it and fail with
    13817/13848."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key), critical=False)
    )
    if issuer is None:
        return builder.sign(key, signature_hash(key))
    issuer_ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
        critical=False,
    )
    return builder.sign(issuer.key, signature_hash(issuer.key))


def build_leaf(key: PrivateKey, profile: LeafProfile, issuer: Issuer) -> x509.Certificate:
    """An end-entity certificate signed by `issuer`.

    KeyUsage is digitalSignature (IKE AUTH and TLS signatures) plus keyEncipherment for RSA
    keys (RSA key transport in EAP-TLS / PEAP); SKI and AKI let both Windows and strongSwan
    build the chain by key identifier.
    """
    is_rsa = key_type_of(key) == "rsa"
    issuer_ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(profile.subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(profile.validity.not_before)
        .not_valid_after(profile.validity.not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=is_rsa,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(profile.ekus)), critical=False)
        .add_extension(_ski(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    )
    if profile.sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(list(profile.sans)), critical=False
        )
    return builder.sign(issuer.key, signature_hash(issuer.key))
