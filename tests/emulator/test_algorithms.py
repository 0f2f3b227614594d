"""Transform numbers map to the right algorithm parameters; proposals map to suites."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator.codec import Proposal, Transform, TransformAttribute
from emulator.const import DhGroup, EncrId, IntegId, PrfId, ProtocolId, TransformType
from emulator.crypto import (
    IkeSuite,
    UnsupportedTransformError,
    encr_algorithm,
    integ_algorithm,
    prf_algorithm,
)
from tests.emulator.samples import WINDOWS_IKE_SA


@pytest.mark.parametrize(
    ("encr_id", "bits", "key_size", "block", "iv", "icv"),
    [
        (EncrId.TRIPLE_DES, None, 24, 8, 8, 0),
        (EncrId.AES_CBC, 128, 16, 16, 16, 0),
        (EncrId.AES_CBC, 192, 24, 16, 16, 0),
        (EncrId.AES_CBC, 256, 32, 16, 16, 0),
        (EncrId.AES_GCM_16, 128, 20, 1, 8, 16),  # RFC 5282: key + 4-byte salt, 8-byte IV
        (EncrId.AES_GCM_16, 256, 36, 1, 8, 16),
    ],
)
def test_encryption_parameters(
    encr_id: EncrId, bits: int | None, key_size: int, block: int, iv: int, icv: int
) -> None:
    alg = encr_algorithm(encr_id, bits)
    assert (alg.key_size, alg.block_size, alg.iv_size, alg.icv_size) == (key_size, block, iv, icv)


@pytest.mark.parametrize(
    ("integ_id", "key_size", "icv"),
    [
        (IntegId.HMAC_SHA1_96, 20, 12),
        (IntegId.HMAC_SHA2_256_128, 32, 16),
        (IntegId.HMAC_SHA2_384_192, 48, 24),
    ],
)
def test_integrity_parameters(integ_id: IntegId, key_size: int, icv: int) -> None:
    alg = integ_algorithm(integ_id)
    assert (alg.key_size, alg.icv_size) == (key_size, icv)


@pytest.mark.parametrize(
    ("prf_id", "size"),
    [(PrfId.HMAC_SHA1, 20), (PrfId.HMAC_SHA2_256, 32), (PrfId.HMAC_SHA2_384, 48)],
)
def test_prf_key_size_is_output_size(prf_id: PrfId, size: int) -> None:
    assert prf_algorithm(prf_id).key_size == size


@pytest.mark.parametrize(
    "lookup",
    [
        lambda: encr_algorithm(EncrId.AES_CBC, None),
        lambda: encr_algorithm(EncrId.AES_CBC, 100),
        lambda: encr_algorithm(EncrId.DES),
        lambda: encr_algorithm(EncrId.TRIPLE_DES, 128),
        lambda: integ_algorithm(IntegId.HMAC_MD5_96),
        lambda: integ_algorithm(999),
        lambda: prf_algorithm(PrfId.HMAC_MD5),
    ],
)
def test_unsupported_transforms(lookup: Callable[[], object]) -> None:
    with pytest.raises(UnsupportedTransformError):
        lookup()


def test_suite_from_windows_proposal() -> None:
    suite = IkeSuite.from_proposal(WINDOWS_IKE_SA.proposals[1])
    assert suite.encr == encr_algorithm(EncrId.AES_CBC, 128)
    assert suite.integ == integ_algorithm(IntegId.HMAC_SHA2_256_128)
    assert suite.prf == prf_algorithm(PrfId.HMAC_SHA2_256)
    assert suite.dh_group == DhGroup.MODP_1024


def _proposal(*transforms: Transform) -> Proposal:
    return Proposal(1, ProtocolId.IKE, transforms)


GCM = Transform(TransformType.ENCR, EncrId.AES_GCM_16, (TransformAttribute.key_length(256),))
PRF = Transform(TransformType.PRF, PrfId.HMAC_SHA2_384)
DH = Transform(TransformType.DH, DhGroup.ECP_384)


def test_suite_from_gcm_proposal() -> None:
    suite = IkeSuite.from_proposal(_proposal(GCM, PRF, DH))
    assert suite.integ is None and suite.encr.is_aead
    explicit_none = _proposal(GCM, Transform(TransformType.INTEG, IntegId.NONE), PRF, DH)
    assert IkeSuite.from_proposal(explicit_none) == suite


@pytest.mark.parametrize(
    "proposal",
    [
        _proposal(GCM, PRF),  # no D-H
        _proposal(GCM, Transform(TransformType.INTEG, IntegId.HMAC_SHA1_96), PRF, DH),
        _proposal(
            Transform(TransformType.ENCR, EncrId.AES_CBC, (TransformAttribute(14, 128),)), PRF, DH
        ),
    ],
    ids=["missing-dh", "aead-with-integ", "cbc-without-integ"],
)
def test_unusable_proposals(proposal: Proposal) -> None:
    with pytest.raises(UnsupportedTransformError):
        IkeSuite.from_proposal(proposal)
