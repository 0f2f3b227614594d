"""AUTH payload computation (RFC 7296 2.15, 2.16; RFC 4754).

What is signed (the "signed octets"), for the initiator and symmetrically the responder:

    RealMessage1 | Nr | prf(SK_pi, IDi')        RealMessage2 | Ni | prf(SK_pr, IDr')

RealMessage1 is the IKE_SA_INIT request exactly as sent (the last one, after any
COOKIE or INVALID_KE_PAYLOAD restart), and IDi' is the ID payload body
(:func:`emulator.codec.id_body`). Methods:

* 1, RSA Digital Signature: PKCS#1 v1.5 with SHA-1, what Windows sends for RSA
  certificates and what strongSwan 5.9.8 verifies for method 1.
* 9 / 10, ECDSA P-256/SHA-256 and P-384/SHA-384 (RFC 4754): the signature is r | s as
  fixed-width integers, not DER.
* 2, Shared Key MIC: prf(prf(key, "Key Pad for IKEv2"), signed octets), where the key
  is the PSK or, after EAP, the MSK (RFC 7296 2.16).

RFC 7427 (method 14) is not here: Windows never negotiates it.
"""

from __future__ import annotations

import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from emulator.const import AuthMethod
from emulator.crypto.algorithms import PrfAlgorithm
from emulator.crypto.errors import AuthError

KEY_PAD = b"Key Pad for IKEv2"

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
VerifyingKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

# method -> (curve name, hash) for the RFC 4754 methods
_ECDSA: dict[AuthMethod, tuple[str, type[hashes.SHA256] | type[hashes.SHA384]]] = {
    AuthMethod.ECDSA_SHA256_P256: ("secp256r1", hashes.SHA256),
    AuthMethod.ECDSA_SHA384_P384: ("secp384r1", hashes.SHA384),
}


def signed_octets(
    real_message: bytes, peer_nonce: bytes, prf: PrfAlgorithm, sk_p: bytes, id_body: bytes
) -> bytes:
    """The octets an AUTH payload covers (RFC 7296 2.15).

    For the initiator: its IKE_SA_INIT request, Nr, SK_pi and IDi'. For checking the
    responder: the IKE_SA_INIT response, Ni, SK_pr and IDr'.
    """
    return real_message + peer_nonce + prf(sk_p, id_body)


def shared_key_mic(prf: PrfAlgorithm, key: bytes, octets: bytes) -> bytes:
    """AUTH data of method 2 (PSK, or MSK after EAP)."""
    return prf(prf(key, KEY_PAD), octets)


def method_for_key(key: SigningKey | VerifyingKey) -> AuthMethod:
    """The classic method for a certificate key: 1 for RSA, 9/10 for P-256/P-384."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return AuthMethod.RSA_SIGNATURE
    for method, (curve_name, _) in _ECDSA.items():
        if key.curve.name == curve_name:
            return method
    raise AuthError(f"no classic AUTH method for curve {key.curve.name}")


def _ecdsa_params(method: int, curve: ec.EllipticCurve) -> tuple[int, hashes.HashAlgorithm]:
    """Coordinate width and hash of an RFC 4754 method, checked against the key's curve."""
    if method not in _ECDSA:
        raise AuthError(f"AUTH method {method} is not an ECDSA method")
    curve_name, hash_cls = _ECDSA[AuthMethod(method)]
    if curve.name != curve_name:
        raise AuthError(f"AUTH method {method} needs {curve_name}, key is {curve.name}")
    return (curve.key_size + 7) // 8, hash_cls()


def sign(method: int, key: SigningKey, octets: bytes) -> bytes:
    """AUTH data of signature method 1, 9 or 10 over ``octets``."""
    if method == AuthMethod.RSA_SIGNATURE:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthError("AUTH method 1 needs an RSA key")
        return key.sign(octets, padding.PKCS1v15(), hashes.SHA1())
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise AuthError(f"AUTH method {method} needs an EC key")
    width, hash_algorithm = _ecdsa_params(method, key.curve)
    r, s = decode_dss_signature(key.sign(octets, ec.ECDSA(hash_algorithm)))
    return r.to_bytes(width, "big") + s.to_bytes(width, "big")


def verify(method: int, key: VerifyingKey, octets: bytes, signature: bytes) -> None:
    """Raise AuthError unless ``signature`` is valid AUTH data of ``method``."""
    try:
        if method == AuthMethod.RSA_SIGNATURE:
            if not isinstance(key, rsa.RSAPublicKey):
                raise AuthError("AUTH method 1 needs an RSA key")
            key.verify(signature, octets, padding.PKCS1v15(), hashes.SHA1())
            return
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise AuthError(f"AUTH method {method} needs an EC key")
        width, hash_algorithm = _ecdsa_params(method, key.curve)
        if len(signature) != 2 * width:
            raise AuthError(f"ECDSA AUTH data must be {2 * width} bytes (r | s)")
        r = int.from_bytes(signature[:width], "big")
        s = int.from_bytes(signature[width:], "big")
        key.verify(encode_dss_signature(r, s), octets, ec.ECDSA(hash_algorithm))
    except InvalidSignature:
        raise AuthError(f"AUTH method {method} signature does not verify") from None


def verify_shared_key_mic(prf: PrfAlgorithm, key: bytes, octets: bytes, data: bytes) -> None:
    """Raise AuthError unless ``data`` is the method-2 AUTH value for ``key``."""
    if not hmac.compare_digest(shared_key_mic(prf, key, octets), data):
        raise AuthError("shared key MIC does not verify")
