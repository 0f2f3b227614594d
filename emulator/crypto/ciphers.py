"""Raw block cipher and AEAD calls for SK payloads, from ``cryptography``.

Kept apart from ``protect.py`` so the message-level rules (what is padded, what is
authenticated) can be read without cipher plumbing. 3DES lives in ``cryptography``'s
``decrepit`` package since version 43; it is still what the default Windows proposal
offers first, so the emulator needs it.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.ciphers.algorithms import AES

from emulator.const import EncrId
from emulator.crypto.algorithms import EncrAlgorithm
from emulator.crypto.errors import IntegrityError, UnsupportedTransformError


def _cbc(alg: EncrAlgorithm, key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    if len(key) != alg.key_size:
        raise ValueError(f"{alg.transform_id.name} needs a {alg.key_size}-byte key")
    if alg.transform_id == EncrId.AES_CBC:
        return Cipher(AES(key), modes.CBC(iv))
    if alg.transform_id == EncrId.TRIPLE_DES:
        return Cipher(TripleDES(key), modes.CBC(iv))
    raise UnsupportedTransformError(f"{alg.transform_id.name} is not a CBC cipher")


def cbc_encrypt(alg: EncrAlgorithm, key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """Encrypt block-aligned ``plaintext`` (the caller has added IKE padding)."""
    encryptor = _cbc(alg, key, iv).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize()


def cbc_decrypt(alg: EncrAlgorithm, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    decryptor = _cbc(alg, key, iv).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def _gcm(alg: EncrAlgorithm, key_material: bytes, iv: bytes) -> tuple[AESGCM, bytes]:
    """RFC 5282 / RFC 4106: the last 4 key bytes are the salt, nonce = salt | IV."""
    if alg.transform_id != EncrId.AES_GCM_16:
        raise UnsupportedTransformError(f"{alg.transform_id.name} is not an AEAD cipher")
    if len(key_material) != alg.key_size or len(iv) != alg.iv_size:
        raise ValueError(f"AES-GCM needs {alg.key_size} key bytes and a {alg.iv_size}-byte IV")
    key, salt = key_material[: -alg.salt_size], key_material[-alg.salt_size :]
    return AESGCM(key), salt + iv


def aead_seal(
    alg: EncrAlgorithm, key_material: bytes, iv: bytes, aad: bytes, plaintext: bytes
) -> bytes:
    """Ciphertext followed by the 16-byte tag."""
    aead, nonce = _gcm(alg, key_material, iv)
    return aead.encrypt(nonce, plaintext, aad)


def aead_open(
    alg: EncrAlgorithm, key_material: bytes, iv: bytes, aad: bytes, sealed: bytes
) -> bytes:
    aead, nonce = _gcm(alg, key_material, iv)
    try:
        return aead.decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise IntegrityError("AES-GCM tag does not verify") from None
