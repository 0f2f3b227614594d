"""IKE SA and CHILD SA key derivation (RFC 7296 2.14, 2.17, 2.18).

    SKEYSEED = prf(Ni | Nr, g^ir)
    {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
    rekeyed IKE SA:  SKEYSEED = prf_old(SK_d_old, g^ir_new | Ni | Nr)
    CHILD SA:        KEYMAT = prf+(SK_d, [g^ir_new |] Ni | Nr)

Nonces go in without payload headers and the HMAC PRFs take ``Ni | Nr`` as key at any
length, so no truncation or padding is done here. charon logs SKEYSEED and every SK_*
at log level 4, which is why the SKEYSEED is kept alongside the keys: an integration
test can compare both sides byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.crypto.algorithms import PrfAlgorithm
from emulator.crypto.prf import prf_plus


@dataclass(frozen=True)
class IkeSaKeys:
    """The seven IKE SA keys; ``*_i`` protect/authenticate what the initiator sends."""

    skeyseed: bytes
    sk_d: bytes
    sk_ai: bytes
    sk_ar: bytes
    sk_ei: bytes
    sk_er: bytes
    sk_pi: bytes
    sk_pr: bytes


@dataclass(frozen=True)
class ChildSaKeys:
    """CHILD SA keys in prf+ order; ``*_i`` protect traffic from initiator to responder.

    For AES-GCM the encryption keys carry the 4-byte salt and the integrity keys are empty.
    """

    encr_i: bytes
    integ_i: bytes
    encr_r: bytes
    integ_r: bytes


def skeyseed(prf: PrfAlgorithm, ni: bytes, nr: bytes, shared_secret: bytes) -> bytes:
    """SKEYSEED of a new IKE SA (IKE_SA_INIT)."""
    return prf(ni + nr, shared_secret)


def rekey_skeyseed(
    old_prf: PrfAlgorithm, old_sk_d: bytes, shared_secret: bytes, ni: bytes, nr: bytes
) -> bytes:
    """SKEYSEED of an IKE SA created by rekeying; RFC 7296 2.18 uses the *old* SA's PRF.

    ``ni``/``nr`` are the nonces of the CREATE_CHILD_SA exchange, in initiator and
    responder order of that exchange.
    """
    return old_prf(old_sk_d, shared_secret + ni + nr)


def derive_ike_sa_keys(
    prf: PrfAlgorithm,
    seed_key: bytes,
    ni: bytes,
    nr: bytes,
    spi_i: bytes,
    spi_r: bytes,
    encr_key_size: int,
    integ_key_size: int,
) -> IkeSaKeys:
    """Split prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) into the seven keys.

    ``encr_key_size`` includes any AEAD salt; ``integ_key_size`` is 0 for AEAD suites.
    For a rekeyed SA pass the new SA's PRF, nonces and SPIs.
    """
    sizes = (
        prf.key_size,
        integ_key_size,
        integ_key_size,
        encr_key_size,
        encr_key_size,
        prf.key_size,
        prf.key_size,
    )
    stream = prf_plus(prf, seed_key, ni + nr + spi_i + spi_r, sum(sizes))
    keys = []
    offset = 0
    for size in sizes:
        keys.append(stream[offset : offset + size])
        offset += size
    sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr = keys
    return IkeSaKeys(seed_key, sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr)


def ike_sa_keys(
    prf: PrfAlgorithm,
    ni: bytes,
    nr: bytes,
    shared_secret: bytes,
    spi_i: bytes,
    spi_r: bytes,
    encr_key_size: int,
    integ_key_size: int,
) -> IkeSaKeys:
    """All keys of a fresh IKE SA from the IKE_SA_INIT values."""
    seed = skeyseed(prf, ni, nr, shared_secret)
    return derive_ike_sa_keys(prf, seed, ni, nr, spi_i, spi_r, encr_key_size, integ_key_size)


def child_sa_keys(
    prf: PrfAlgorithm,
    sk_d: bytes,
    ni: bytes,
    nr: bytes,
    encr_key_size: int,
    integ_key_size: int,
    shared_secret: bytes | None = None,
) -> ChildSaKeys:
    """KEYMAT of a CHILD SA (RFC 7296 2.17); ``shared_secret`` is the PFS g^ir, if any.

    ``ni``/``nr`` are the nonces of the exchange that created the CHILD SA (those of
    IKE_SA_INIT for the first CHILD SA).
    """
    seed = (shared_secret or b"") + ni + nr
    stream = prf_plus(prf, sk_d, seed, 2 * (encr_key_size + integ_key_size))
    e, a = encr_key_size, integ_key_size
    return ChildSaKeys(
        encr_i=stream[0:e],
        integ_i=stream[e : e + a],
        encr_r=stream[e + a : 2 * e + a],
        integ_r=stream[2 * e + a : 2 * (e + a)],
    )
