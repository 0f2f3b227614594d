"""PRFs, prf+, SKEYSEED, SK_* and CHILD SA KEYMAT against published vectors.

Vectors used:

* HMAC: RFC 2202 3 test case 2 (HMAC-SHA-1, key "Jefe") and test case 5 (HMAC-SHA-1-96
  truncation); RFC 4231 4.3 test case 2 (HMAC-SHA-256/384), which RFC 4868 2.7.1
  repeats as its PRF-HMAC-SHA-256/384 test case 2.
* IKEv2 KDF: NIST CAVP SP 800-135 "IKEv2" component test vectors as published in
    - libreswan ``lib/libswan/ike_alg_test_prf.c`` (HMAC-SHA1: SKEYSEED, 132-byte DKM,
      SKEYSEED(Rekey)), and the output recorded in the comment of libreswan's IKEv2
      CAVS test program for the same inputs (DKM(Child SA), DKM(Child SA D-H));
    - NSS ``gtests/common/testvectors/ike_sha256_vectors.h`` and
      ``ike_sha384_vectors.h`` (entries marked "from this NIST samples": ikeGxy =
      SKEYSEED, ikeV2Rekey = SKEYSEED(Rekey), ikePlus = prf+ DKM).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pytest

from emulator.const import IntegId, PrfId
from emulator.crypto import (
    PrfAlgorithm,
    child_sa_keys,
    derive_ike_sa_keys,
    ike_sa_keys,
    integ_algorithm,
    prf_algorithm,
    prf_plus,
    rekey_skeyseed,
    skeyseed,
)
from tests.emulator.aosp_vectors import h

SHA1 = prf_algorithm(PrfId.HMAC_SHA1)
SHA256 = prf_algorithm(PrfId.HMAC_SHA2_256)
SHA384 = prf_algorithm(PrfId.HMAC_SHA2_384)

JEFE = b"Jefe"
JEFE_DATA = b"what do ya want for nothing?"


@pytest.mark.parametrize(
    ("prf_id", "expected"),
    [
        (PrfId.HMAC_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),  # RFC 2202 TC2
        (  # RFC 4231 TC2 = RFC 4868 PRF-HMAC-SHA-256 TC2
            PrfId.HMAC_SHA2_256,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (  # RFC 4231 TC2 = RFC 4868 PRF-HMAC-SHA-384 TC2
            PrfId.HMAC_SHA2_384,
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649",
        ),
    ],
)
def test_prf_known_answers(prf_id: PrfId, expected: str) -> None:
    assert prf_algorithm(prf_id)(JEFE, JEFE_DATA) == h(expected)


def test_hmac_sha1_96_truncation() -> None:
    """RFC 2202 3 test case 5: HMAC-SHA-1-96 of "Test With Truncation"."""
    integ = integ_algorithm(IntegId.HMAC_SHA1_96)
    assert integ.mac(b"\x0c" * 20, b"Test With Truncation") == h("4c1a03424b55e07fe7f27be1")


@pytest.mark.parametrize(
    ("integ_id", "hash_name", "icv"),
    [
        (IntegId.HMAC_SHA2_256_128, "sha256", 16),
        (IntegId.HMAC_SHA2_384_192, "sha384", 24),
    ],
)
def test_sha2_integrity_is_truncated_hmac(integ_id: IntegId, hash_name: str, icv: int) -> None:
    """RFC 4868 2.3: the ICV is the leftmost half of the HMAC output."""
    integ = integ_algorithm(integ_id)
    key = bytes(range(integ.key_size))
    full = hmac.new(key, JEFE_DATA, hash_name).digest()
    assert integ.icv_size == icv
    assert integ.mac(key, JEFE_DATA) == full[:icv]


def test_prf_plus_structure() -> None:
    """RFC 7296 2.13: T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02)."""
    key, seed = b"k" * 20, b"seed"
    t1 = hmac.new(key, seed + b"\x01", hashlib.sha1).digest()
    t2 = hmac.new(key, t1 + seed + b"\x02", hashlib.sha1).digest()
    assert prf_plus(SHA1, key, seed, 30) == (t1 + t2)[:30]
    assert prf_plus(SHA1, key, seed, 0) == b""


def test_prf_plus_stops_at_255_blocks() -> None:
    assert len(prf_plus(SHA1, b"k", b"s", 255 * 20)) == 5100
    with pytest.raises(ValueError):
        prf_plus(SHA1, b"k", b"s", 255 * 20 + 1)


# --- NIST CAVP IKEv2 KDF, HMAC-SHA1 (via libreswan) ----------------------------------
CAVP_SHA1 = {
    "ni": h("32b50d5f4a3763f3"),
    "nr": h("9206a04b26564cb1"),
    "gir": h("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52"),
    "gir_new": h("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330"),
    "spi_i": h("34c9e7c188868785"),
    "spi_r": h("3ff77d760d2b2199"),
    "skeyseed": h("a9a7b222b59f8f48645f28a1db5b5f5d7479cba7"),
    "dkm": h(
        "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002"
        "a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a"
        "5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119"
        "8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435"
        "a7a56cc4"
    ),
    "dkm_child": h(
        "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c581"
        "1a8e7b5d1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0dc9abd94b51ee7181"
        "4ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf"
        "285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e66499"
        "4d234cb4"
    ),
    "dkm_child_dh": h(
        "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d373016"
        "28190e38c66232eab4b3ab14c400a5197dd3730ed4820a8a10394d51e1c04000"
        "52f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a"
        "05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054"
        "d56fd74c"
    ),
    "skeyseed_rekey": h("63e81194946ebd05df7df5ebf5d8750056bf1f1d"),
}


def test_cavp_sha1_skeyseed_and_dkm() -> None:
    v = CAVP_SHA1
    seed = skeyseed(SHA1, v["ni"], v["nr"], v["gir"])
    assert seed == v["skeyseed"]
    assert prf_plus(SHA1, seed, v["ni"] + v["nr"] + v["spi_i"] + v["spi_r"], 132) == v["dkm"]


def test_cavp_sha1_split_into_seven_keys() -> None:
    """The DKM split as an AES-CBC-128 / HMAC-SHA1-96 / PRF-HMAC-SHA1 suite would cut it."""
    v = CAVP_SHA1
    keys = ike_sa_keys(SHA1, v["ni"], v["nr"], v["gir"], v["spi_i"], v["spi_r"], 16, 20)
    dkm = v["dkm"]
    assert keys.skeyseed == v["skeyseed"]
    assert keys.sk_d == dkm[0:20]
    assert (keys.sk_ai, keys.sk_ar) == (dkm[20:40], dkm[40:60])
    assert (keys.sk_ei, keys.sk_er) == (dkm[60:76], dkm[76:92])
    assert (keys.sk_pi, keys.sk_pr) == (dkm[92:112], dkm[112:132])


def test_cavp_sha1_child_keymat_without_and_with_pfs() -> None:
    v = CAVP_SHA1
    sk_d = v["dkm"][:20]
    # 132 bytes = 2 * (encryption 46 + integrity 20): any split reproduces the stream
    plain = child_sa_keys(SHA1, sk_d, v["ni"], v["nr"], 46, 20)
    assert plain.encr_i + plain.integ_i + plain.encr_r + plain.integ_r == v["dkm_child"]
    pfs = child_sa_keys(SHA1, sk_d, v["ni"], v["nr"], 46, 20, shared_secret=v["gir_new"])
    assert pfs.encr_i + pfs.integ_i + pfs.encr_r + pfs.integ_r == v["dkm_child_dh"]
    assert (pfs.encr_i, pfs.integ_r) == (v["dkm_child_dh"][:46], v["dkm_child_dh"][112:])


def test_cavp_sha1_rekey_skeyseed() -> None:
    v = CAVP_SHA1
    assert (
        rekey_skeyseed(SHA1, v["dkm"][:20], v["gir_new"], v["ni"], v["nr"]) == v["skeyseed_rekey"]
    )


# --- NIST CAVP IKEv2 KDF, HMAC-SHA-256 and HMAC-SHA-384 (via NSS) -----------------------
@dataclass(frozen=True)
class KdfVector:
    prf: PrfAlgorithm
    gir: bytes
    ni: bytes
    nr: bytes
    spi_i: bytes
    spi_r: bytes
    skeyseed: bytes
    dkm: bytes
    gir_new: bytes
    skeyseed_rekey: bytes


CAVP_SHA2 = {
    "sha256": KdfVector(
        prf=SHA256,
        gir=h("0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29"),
        ni=h("3f302be1abcb28e1"),
        nr=h("8c332ee006064c9b"),
        spi_i=h("40dac39e1e1a8640"),
        spi_r=h("8619a1cf9a6e4c07"),
        skeyseed=h("5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe"),
        dkm=h(
            "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ec"
            "e98aca531188d16041b3bb936d2dbb3b4993a6e768a809160de45d0283f273a6"
            "cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"
            "e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986"
            "d12d4aad"
        ),
        gir_new=h("25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c"),
        skeyseed_rekey=h("2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398"),
    ),
    "sha384": KdfVector(
        prf=SHA384,
        gir=h("d3288cd87565101e88fe3bad918f31939d8dd26ff1071f8b2d7f447524e58d7c"),
        ni=h("fd1b572a8e735591"),
        nr=h("6013b0ef88dacd3d"),
        spi_i=h("2116ad07ce61f749"),
        spi_r=h("24880e55f11a65b7"),
        skeyseed=h(
            "69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d"
            "7d0b596f51f7dfcf3330061888f6a94f"
        ),
        dkm=h(
            "4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cac"
            "b04cd6deeda4f952191dd9bc1f7a9502471a648d74dc06d38112de48a42501f6"
            "b1a3ad55c2099cd9a648e5f17e5bf3e34bf9b5953decb768a34f875fe2b78dca"
            "0c2fcca81ec1a412006dfaed38fa06882e61f4c148105fb8e231fdb33c4d484c"
            "001721d4"
        ),
        gir_new=h("3358f620539473aee8d07e779764c4c6a9aabddc79a28e136b3bac021dbde44a"),
        skeyseed_rekey=h(
            "e0548c1682e13bce454026b3b1bdf42985b24e4e7408095a7c529de38c3d1fcb"
            "04c9fe6868042a34c9614c6c99e3fcea"
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CAVP_SHA2))
def test_cavp_sha2(name: str) -> None:
    v = CAVP_SHA2[name]
    seed = skeyseed(v.prf, v.ni, v.nr, v.gir)
    assert seed == v.skeyseed
    assert prf_plus(v.prf, seed, v.ni + v.nr + v.spi_i + v.spi_r, 132) == v.dkm
    sk_d = v.dkm[: v.prf.key_size]
    assert rekey_skeyseed(v.prf, sk_d, v.gir_new, v.ni, v.nr) == v.skeyseed_rekey


def test_derive_keys_with_aead_sizes() -> None:
    """AES-GCM-256: 36-byte encryption keys (key + salt), no integrity keys."""
    v = CAVP_SHA1
    keys = derive_ike_sa_keys(SHA1, v["skeyseed"], v["ni"], v["nr"], v["spi_i"], v["spi_r"], 36, 0)
    assert (keys.sk_ai, keys.sk_ar) == (b"", b"")
    assert len(keys.sk_ei) == len(keys.sk_er) == 36
    assert keys.sk_ei == v["dkm"][20:56]
