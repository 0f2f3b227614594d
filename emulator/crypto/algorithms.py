"""The IKE algorithms the emulator runs, described by what the protocol needs to know.

A negotiated proposal only gives transform numbers; key sizes, block and IV sizes and
ICV lengths follow from RFC 7296 / RFC 4868 / RFC 5282 and live here, in one table,
so key derivation and SK protection cannot disagree about them. Hashing uses the
standard library's OpenSSL-backed ``hmac``; ciphers come from ``cryptography``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from emulator.codec.payloads import Proposal
from emulator.const import DhGroup, EncrId, IntegId, PrfId, TransformType, enum_or_int
from emulator.crypto.errors import UnsupportedTransformError


@dataclass(frozen=True)
class PrfAlgorithm:
    """An HMAC-based PRF (RFC 2104 / RFC 4868); its preferred key size is its output size."""

    transform_id: PrfId
    hash_name: str
    output_size: int

    @property
    def key_size(self) -> int:
        """Length of SK_d, SK_pi and SK_pr (RFC 7296 2.14: the PRF's preferred key size)."""
        return self.output_size

    def __call__(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, self.hash_name).digest()


@dataclass(frozen=True)
class IntegAlgorithm:
    """A truncated HMAC integrity transform (RFC 2404, RFC 4868)."""

    transform_id: IntegId
    hash_name: str
    key_size: int
    icv_size: int

    def mac(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, self.hash_name).digest()[: self.icv_size]


@dataclass(frozen=True)
class EncrAlgorithm:
    """An SK encryption transform.

    ``key_size`` is the length of keying material taken from prf+, which for AES-GCM
    includes the 4-byte salt (RFC 5282 7.1). ``block_size`` is what the plaintext is
    padded to (1 for GCM, which needs only the Pad Length octet); ``icv_size`` is the
    AEAD tag length, 0 for the CBC ciphers that need a separate INTEG transform.
    """

    transform_id: EncrId
    key_bits: int
    key_size: int
    block_size: int
    iv_size: int
    icv_size: int = 0

    @property
    def is_aead(self) -> bool:
        return self.icv_size > 0

    @property
    def salt_size(self) -> int:
        return self.key_size - self.key_bits // 8


PRFS = {
    PrfId.HMAC_SHA1: PrfAlgorithm(PrfId.HMAC_SHA1, "sha1", 20),
    PrfId.HMAC_SHA2_256: PrfAlgorithm(PrfId.HMAC_SHA2_256, "sha256", 32),
    PrfId.HMAC_SHA2_384: PrfAlgorithm(PrfId.HMAC_SHA2_384, "sha384", 48),
    PrfId.HMAC_SHA2_512: PrfAlgorithm(PrfId.HMAC_SHA2_512, "sha512", 64),
}

INTEGS = {
    IntegId.HMAC_SHA1_96: IntegAlgorithm(IntegId.HMAC_SHA1_96, "sha1", 20, 12),
    IntegId.HMAC_SHA2_256_128: IntegAlgorithm(IntegId.HMAC_SHA2_256_128, "sha256", 32, 16),
    IntegId.HMAC_SHA2_384_192: IntegAlgorithm(IntegId.HMAC_SHA2_384_192, "sha384", 48, 24),
    IntegId.HMAC_SHA2_512_256: IntegAlgorithm(IntegId.HMAC_SHA2_512_256, "sha512", 64, 32),
}

_GCM_SALT = 4
_GCM_IV = 8
_GCM_TAG = 16


def prf_algorithm(transform_id: int) -> PrfAlgorithm:
    try:
        return PRFS[PrfId(transform_id)]
    except (KeyError, ValueError):
        raise UnsupportedTransformError(f"PRF transform {transform_id}") from None


def integ_algorithm(transform_id: int) -> IntegAlgorithm:
    try:
        return INTEGS[IntegId(transform_id)]
    except (KeyError, ValueError):
        raise UnsupportedTransformError(f"INTEG transform {transform_id}") from None


def encr_algorithm(transform_id: int, key_bits: int | None = None) -> EncrAlgorithm:
    """The ENCR transform with its Key Length attribute (None for fixed-size 3DES)."""
    if transform_id == EncrId.TRIPLE_DES and key_bits in (None, 192):
        return EncrAlgorithm(EncrId.TRIPLE_DES, 192, 24, 8, 8)
    if key_bits in (128, 192, 256):
        if transform_id == EncrId.AES_CBC:
            return EncrAlgorithm(EncrId.AES_CBC, key_bits, key_bits // 8, 16, 16)
        if transform_id == EncrId.AES_GCM_16:
            return EncrAlgorithm(
                EncrId.AES_GCM_16, key_bits, key_bits // 8 + _GCM_SALT, 1, _GCM_IV, _GCM_TAG
            )
    raise UnsupportedTransformError(f"ENCR transform {transform_id} with key length {key_bits}")


@dataclass(frozen=True)
class IkeSuite:
    """The algorithms of one IKE SA, as chosen by the responder's single proposal."""

    encr: EncrAlgorithm
    integ: IntegAlgorithm | None
    prf: PrfAlgorithm
    dh_group: int

    @classmethod
    def from_proposal(cls, proposal: Proposal) -> IkeSuite:
        """Read a chosen IKE proposal (one transform of each type).

        Raises UnsupportedTransformError when a needed transform is missing, when an
        AEAD cipher comes with a real INTEG transform, or a CBC cipher without one.
        """
        first: dict[int, tuple[int, int | None]] = {}
        for transform in proposal.transforms:
            first.setdefault(
                transform.transform_type, (transform.transform_id, transform.key_length)
            )
        try:
            encr_id, key_bits = first[TransformType.ENCR]
            prf_id, _ = first[TransformType.PRF]
            dh_id, _ = first[TransformType.DH]
        except KeyError as missing:
            raise UnsupportedTransformError(f"proposal lacks transform type {missing}") from None
        encr = encr_algorithm(encr_id, key_bits)
        integ_id = first.get(TransformType.INTEG, (IntegId.NONE, None))[0]
        if encr.is_aead:
            if integ_id != IntegId.NONE:
                raise UnsupportedTransformError("AEAD cipher combined with an INTEG transform")
            integ = None
        elif integ_id == IntegId.NONE:
            raise UnsupportedTransformError("CBC cipher without an INTEG transform")
        else:
            integ = integ_algorithm(integ_id)
        return cls(encr, integ, prf_algorithm(prf_id), enum_or_int(DhGroup, dh_id))
