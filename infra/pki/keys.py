"""Private key generation and (de)serialisation for the lab PKI.

Keys are generated in a thread pool: OpenSSL releases the GIL while it searches for RSA
primes, and RSA-2048 generation dominates the time to build the whole lab set (about a
dozen keys), which every fresh test session pays once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from infra.pki.errors import PkiError

KeyType = Literal["rsa", "ecdsa"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_RSA_PUBLIC_EXPONENT = 65537


class KeySpec(Enum):
    """Algorithm and size of a key.

    RSA-2048 is the default everywhere because it is what Windows machines enrol with and it
    is the cheapest RSA size to generate; the larger sizes and curves exist for variants that
    test Windows' key-type checks (windows-client-behavior.md section 3).
    """

    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"
    RSA_4096 = "rsa-4096"
    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    ECDSA_P521 = "ecdsa-p521"

    @property
    def key_type(self) -> KeyType:
        """ "rsa" or "ecdsa", the family that decides the IKE AUTH method."""
        return "rsa" if self in _RSA_BITS else "ecdsa"


_RSA_BITS = {KeySpec.RSA_2048: 2048, KeySpec.RSA_3072: 3072, KeySpec.RSA_4096: 4096}
_CURVES: dict[KeySpec, type[ec.EllipticCurve]] = {
    KeySpec.ECDSA_P256: ec.SECP256R1,
    KeySpec.ECDSA_P384: ec.SECP384R1,
    KeySpec.ECDSA_P521: ec.SECP521R1,
}


def generate_key(spec: KeySpec) -> PrivateKey:
    """Generate one private key of the given spec."""
    if spec in _RSA_BITS:
        return rsa.generate_private_key(
            public_exponent=_RSA_PUBLIC_EXPONENT, key_size=_RSA_BITS[spec]
        )
    return ec.generate_private_key(_CURVES[spec]())


def generate_keys(specs: Sequence[KeySpec]) -> list[PrivateKey]:
    """Generate keys for all specs concurrently, in the order given."""
    if not specs:
        return []
    workers = max(1, min(len(specs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pki-keygen") as pool:
        return list(pool.map(generate_key, specs))


def key_type_of(key: PrivateKey) -> KeyType:
    """The key family of a private key."""
    return "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"


def signature_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    """The hash a CA key signs certificates with.

    SHA-256 for RSA and P-256, and the curve-matched hash for the larger curves, as
    strongSwan's pki tool chooses; Windows accepts all of them.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP521R1):
            return hashes.SHA512()
        if isinstance(key.curve, ec.SECP384R1):
            return hashes.SHA384()
    return hashes.SHA256()


def private_key_pem(key: PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, the form both VICI load-key and Windows' PFX import accept."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def load_private_key_pem(pem: bytes) -> PrivateKey:
    """Parse a PEM private key, accepting only the RSA and ECDSA keys this PKI creates."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"key_pem: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PkiError(f"key_pem: unsupported key type {type(key).__name__}; expected RSA or ECDSA")
    return key
