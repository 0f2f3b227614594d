"""The ESP transforms the data path runs, with the sizes key derivation needs.

Kept separate from the IKE ciphers (emulator.crypto.algorithms) because ESP has its own
rules: RFC 4303 pads to the cipher block *and* to 4 bytes, NULL encryption is allowed,
single DES can be negotiated (Windows offers it by default), and GCM uses RFC 4106
(nonce = salt | 8-byte IV, AAD = SPI | sequence number). Ciphers come from
``cryptography``; single DES, which ``cryptography`` does not have, from pycryptodome.
"""

from __future__ import annotations

from dataclasses import dataclass

from Crypto.Cipher import DES
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.ciphers.algorithms import AES

from emulator.codec import Proposal
from emulator.const import EncrId, IntegId, TransformType
from emulator.crypto.algorithms import IntegAlgorithm, integ_algorithm
from emulator.crypto.errors import IntegrityError, UnsupportedTransformError


@dataclass(frozen=True)
class EspCipher:
    encr_id: int
    key_bits: int
    key_size: int
    """Keying material from KEYMAT (GCM: key + 4-byte salt)."""
    block_size: int
    iv_size: int
    icv_size: int = 0
    """AEAD tag size; 0 for ciphers that need an INTEG transform."""

    @property
    def is_aead(self) -> bool:
        return self.icv_size > 0

    def encrypt(self, key: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """Ciphertext (with the tag appended for GCM)."""
        if self.encr_id == EncrId.NULL:
            return plaintext
        if self.encr_id == EncrId.AES_GCM_16:
            return AESGCM(key[:-4]).encrypt(key[-4:] + iv, plaintext, aad)
        if self.encr_id == EncrId.DES:
            return bytes(DES.new(key, DES.MODE_CBC, iv=iv).encrypt(plaintext))
        encryptor = self._cbc(key, iv).encryptor()
        return encryptor.update(plaintext) + encryptor.finalize()

    def decrypt(self, key: bytes, iv: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        if self.encr_id == EncrId.NULL:
            return ciphertext
        if self.encr_id == EncrId.AES_GCM_16:
            try:
                return AESGCM(key[:-4]).decrypt(key[-4:] + iv, ciphertext, aad)
            except InvalidTag:
                raise IntegrityError("ESP AES-GCM tag does not verify") from None
        if self.encr_id == EncrId.DES:
            return bytes(DES.new(key, DES.MODE_CBC, iv=iv).decrypt(ciphertext))
        decryptor = self._cbc(key, iv).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()

    def _cbc(self, key: bytes, iv: bytes) -> Cipher[modes.CBC]:
        if self.encr_id == EncrId.AES_CBC:
            return Cipher(AES(key), modes.CBC(iv))
        return Cipher(TripleDES(key), modes.CBC(iv))


_HMAC_MD5_96 = IntegAlgorithm(IntegId.HMAC_MD5_96, "md5", 16, 12)
"""ESP also takes HMAC-MD5-96 (RFC 2403), which the IKE SA layer does not offer."""


def esp_cipher(encr_id: int, key_bits: int | None) -> EspCipher:
    if encr_id == EncrId.NULL:
        return EspCipher(EncrId.NULL, 0, 0, 4, 0)
    if encr_id == EncrId.DES and key_bits in (None, 64):
        return EspCipher(EncrId.DES, 64, 8, 8, 8)
    if encr_id == EncrId.TRIPLE_DES and key_bits in (None, 192):
        return EspCipher(EncrId.TRIPLE_DES, 192, 24, 8, 8)
    if key_bits in (128, 192, 256):
        if encr_id == EncrId.AES_CBC:
            return EspCipher(EncrId.AES_CBC, key_bits, key_bits // 8, 16, 16)
        if encr_id == EncrId.AES_GCM_16:
            return EspCipher(EncrId.AES_GCM_16, key_bits, key_bits // 8 + 4, 4, 8, 16)
    raise UnsupportedTransformError(f"ESP ENCR {encr_id} with key length {key_bits}")


def esp_integ(integ_id: int) -> IntegAlgorithm:
    """ESP integrity transforms: the IKE ones (one IANA registry) plus HMAC-MD5-96."""
    if integ_id == IntegId.HMAC_MD5_96:
        return _HMAC_MD5_96
    return integ_algorithm(integ_id)


@dataclass(frozen=True)
class EspSuite:
    """The algorithms of a negotiated ESP proposal."""

    cipher: EspCipher
    integ: IntegAlgorithm | None

    @property
    def encr_key_size(self) -> int:
        return self.cipher.key_size

    @property
    def integ_key_size(self) -> int:
        return 0 if self.integ is None else self.integ.key_size

    @classmethod
    def from_proposal(cls, proposal: Proposal) -> EspSuite:
        encrs = [t for t in proposal.transforms if t.transform_type == TransformType.ENCR]
        encr = encrs[0] if encrs else None
        if encr is None:
            raise UnsupportedTransformError("ESP proposal without an ENCR transform")
        cipher = esp_cipher(encr.transform_id, encr.key_length)
        integ_ids = [
            t.transform_id
            for t in proposal.transforms
            if t.transform_type == TransformType.INTEG and t.transform_id != IntegId.NONE
        ]
        if cipher.is_aead:
            if integ_ids:
                raise UnsupportedTransformError("AEAD ESP cipher combined with an INTEG")
            return cls(cipher, None)
        if not integ_ids:
            raise UnsupportedTransformError("ESP without integrity protection")
        return cls(cipher, esp_integ(integ_ids[0]))
