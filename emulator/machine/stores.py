"""Certificate stores: LocalMachine\\Root, LocalMachine\\My, CurrentUser\\My.

A real Windows machine trusts dozens of roots (53 CA hashes went out in the CERTREQ of
[SW-MSTAT]), and every one of them is listed in the IKE_AUTH CERTREQ, which is what makes
that message large enough to need fragmentation. The emulator reproduces that with
stand-in roots: real self-signed CA certificates (P-256 keys, cheap to make) generated
once per process, which never issue anything the lab uses.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class StoredCertificate:
    certificate: x509.Certificate
    key: PrivateKey | None = None
    """The private key when imported with one (PFX), None for a bare certificate."""

    @functools.cached_property
    def spki_sha1(self) -> bytes:
        """SHA-1 of the SubjectPublicKeyInfo: the CA identifier in a CERTREQ (computed once:
        it goes into every dial)."""
        spki = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashes.Hash(hashes.SHA1())
        digest.update(spki)
        return digest.finalize()

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


class CertificateStore:
    """An ordered set of certificates (re-importing the same certificate replaces it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[bytes, StoredCertificate] = {}

    def add(self, certificate: x509.Certificate, key: PrivateKey | None = None) -> None:
        fingerprint = certificate.fingerprint(hashes.SHA256())
        self._entries[fingerprint] = StoredCertificate(certificate, key)

    def entries(self) -> tuple[StoredCertificate, ...]:
        return tuple(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


@functools.cache
def stand_in_roots(count: int) -> tuple[x509.Certificate, ...]:
    """COUNT self-signed stand-ins for the roots Windows ships (generated once)."""
    now = datetime.datetime.now(datetime.UTC)
    roots = []
    for number in range(1, count + 1):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "winterop stand-in roots"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"Stand-in Root CA {number:02d}"),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        roots.append(certificate)
    return tuple(roots)


class MachineStores:
    """The three stores the VPN client reads."""

    def __init__(self, stand_ins: int) -> None:
        self.local_machine_root = CertificateStore("LocalMachine\\Root")
        self.local_machine_my = CertificateStore("LocalMachine\\My")
        self.current_user_my = CertificateStore("CurrentUser\\My")
        for root in stand_in_roots(stand_ins):
            self.local_machine_root.add(root)

    def root_hashes(self) -> tuple[bytes, ...]:
        """SHA-1 key hashes of every trusted root, in store order (CERTREQ content)."""
        return tuple(entry.spki_sha1 for entry in self.local_machine_root.entries())
