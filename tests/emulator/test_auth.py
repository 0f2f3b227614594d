"""AUTH payload values: the method-2 known answer, signatures for methods 1, 9 and 10.

Vector used: AOSP ``IkeAuthPskPayloadTest`` (see ``aosp_vectors.py``): an IKE_SA_INIT
request, Nr, SK_pi, IDi' and PSK "juniper123" with PRF-HMAC-SHA1 give the AUTH data
that also appears inside the AOSP AES-CBC IKE_AUTH message.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from emulator.codec import AuthPayload, decode_payloads
from emulator.const import AuthMethod, PayloadType, PrfId
from emulator.crypto import (
    AuthError,
    method_for_key,
    prf_algorithm,
    shared_key_mic,
    sign,
    signed_octets,
    verify,
    verify_shared_key_mic,
)
from tests.emulator import aosp_vectors as v

SHA1 = prf_algorithm(PrfId.HMAC_SHA1)
OCTETS = signed_octets(v.PSK_INIT_REQUEST, v.PSK_NONCE_R, SHA1, v.PSK_SK_PI, v.PSK_IDI_BODY)


def test_signed_octets_layout() -> None:
    mac = SHA1(v.PSK_SK_PI, v.PSK_IDI_BODY)
    assert v.PSK_INIT_REQUEST + v.PSK_NONCE_R + mac == OCTETS


def test_shared_key_mic_known_answer() -> None:
    assert shared_key_mic(SHA1, v.PSK, OCTETS) == v.PSK_AUTH_DATA
    verify_shared_key_mic(SHA1, v.PSK, OCTETS, v.PSK_AUTH_DATA)


def test_shared_key_mic_matches_the_published_payload() -> None:
    # the published payload chains on to an SA payload; end the chain after it
    (payload,) = decode_payloads(PayloadType.AUTH, b"\0" + v.PSK_AUTH_PAYLOAD[1:])
    assert payload == AuthPayload(AuthMethod.SHARED_KEY_MIC, v.PSK_AUTH_DATA)


def test_shared_key_mic_rejects_other_octets() -> None:
    altered = OCTETS[:-1] + bytes([OCTETS[-1] ^ 1])
    with pytest.raises(AuthError):
        verify_shared_key_mic(SHA1, v.PSK, altered, v.PSK_AUTH_DATA)


def test_msk_keys_shorter_than_the_hash_block_give_the_same_mic() -> None:
    """HMAC zero-pads short keys, so a 32-byte MSK export equals the 64-byte one."""
    msk64 = bytes(range(32)) + bytes(32)
    assert shared_key_mic(SHA1, msk64, OCTETS) == shared_key_mic(SHA1, msk64[:32], OCTETS)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rsa_method_1_is_pkcs1v15_sha1(rsa_key: rsa.RSAPrivateKey) -> None:
    signature = sign(AuthMethod.RSA_SIGNATURE, rsa_key, OCTETS)
    rsa_key.public_key().verify(signature, OCTETS, padding.PKCS1v15(), hashes.SHA1())
    verify(AuthMethod.RSA_SIGNATURE, rsa_key.public_key(), OCTETS, signature)
    assert method_for_key(rsa_key) == AuthMethod.RSA_SIGNATURE
    with pytest.raises(AuthError):
        verify(AuthMethod.RSA_SIGNATURE, rsa_key.public_key(), OCTETS + b"x", signature)


@pytest.mark.parametrize(
    ("method", "curve", "hash_algorithm", "width"),
    [
        (AuthMethod.ECDSA_SHA256_P256, ec.SECP256R1(), hashes.SHA256(), 32),
        (AuthMethod.ECDSA_SHA384_P384, ec.SECP384R1(), hashes.SHA384(), 48),
    ],
)
def test_ecdsa_methods_use_raw_r_s(
    method: AuthMethod, curve: ec.EllipticCurve, hash_algorithm: hashes.HashAlgorithm, width: int
) -> None:
    key = ec.generate_private_key(curve)
    signature = sign(method, key, OCTETS)
    assert len(signature) == 2 * width
    r = int.from_bytes(signature[:width], "big")
    s = int.from_bytes(signature[width:], "big")
    key.public_key().verify(encode_dss_signature(r, s), OCTETS, ec.ECDSA(hash_algorithm))
    verify(method, key.public_key(), OCTETS, signature)
    assert method_for_key(key) == method
    with pytest.raises(AuthError):
        verify(method, key.public_key(), OCTETS, signature[:-1] + bytes([signature[-1] ^ 1]))
    with pytest.raises(AuthError):
        verify(method, key.public_key(), OCTETS, signature[:-1])


def test_method_and_key_must_fit(rsa_key: rsa.RSAPrivateKey) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(AuthError):
        sign(AuthMethod.RSA_SIGNATURE, p256, OCTETS)
    with pytest.raises(AuthError):
        sign(AuthMethod.ECDSA_SHA256_P256, rsa_key, OCTETS)
    with pytest.raises(AuthError):
        sign(AuthMethod.ECDSA_SHA384_P384, p256, OCTETS)
    with pytest.raises(AuthError):
        sign(AuthMethod.DIGITAL_SIGNATURE, p256, OCTETS)
    with pytest.raises(AuthError):
        method_for_key(ec.generate_private_key(ec.SECP521R1()))
