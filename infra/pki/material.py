"""PkiMaterial: one certificate with its key, plus the names tests and configs need."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from infra.pki.keys import KeyType, PrivateKey, load_private_key_pem


@dataclass(frozen=True)
class PkiMaterial:
    """A certificate and its private key as immutable PEM bytes.

    Bytes rather than parsed objects so the value is hashable, picklable across xdist
    workers and directly loadable over VICI or into a Windows store. The PEMs are left out of
    repr because the key is a secret that must not reach reports or logs.
    """

    name: str
    """Entry name in the lab set, e.g. "gateway-good"; also the file name stem."""
    cert_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    """Unencrypted PKCS#8 PEM."""
    key_type: KeyType
    subject_dn: str
    """The subject as strongSwan prints it: "C=CH, O=winterop, CN=gw.example.test"."""
    identity: str
    """The IKE identity a peer should configure for this certificate's owner."""
    issuer_name: str
    """`name` of the issuing CA entry (its own name for a self-signed CA)."""

    @property
    def cert(self) -> x509.Certificate:
        """The parsed certificate."""
        return x509.load_pem_x509_certificate(self.cert_pem)

    def cert_der(self) -> bytes:
        """DER encoding, as carried in an IKE CERT payload (encoding 4)."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_sha1_spki(self) -> bytes:
        """SHA-1 of the DER SubjectPublicKeyInfo.

        This is the CA identifier of RFC 7296 section 3.7 that Windows lists in its CERTREQ
        payload for every trusted root, so a test can look for the lab root in it.
        """
        spki = self.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashes.Hash(hashes.SHA1())
        digest.update(spki)
        return digest.finalize()

    def private_key(self) -> PrivateKey:
        """The parsed private key (for the emulator's AUTH signatures)."""
        return load_private_key_pem(self.key_pem)
