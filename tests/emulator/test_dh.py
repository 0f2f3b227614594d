"""Diffie-Hellman: published test exchanges, parameter checks, peer-value validation.

Vectors used:

* RFC 5903 8.1 (256-bit random ECP group, IKE group 19) and 8.2 (384-bit, group 20):
  private values i and r, public values g^i, g^r as x | y, shared secret g^ir as x.
* RFC 5114 A.3 (2048-bit MODP group with 256-bit prime order subgroup, IKE group 24):
  private values xA, xB, public values yA, yB and shared secret Z.
* RFC 2409 6.1/6.2 and RFC 3526 3: the MODP primes are recomputed from their defining
  formula p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k).
"""

from __future__ import annotations

import pytest

from emulator.const import DhGroup
from emulator.crypto import DhError, UnsupportedTransformError, key_exchange, supported_groups
from emulator.crypto.dh import MODP_GROUPS
from tests.emulator.aosp_vectors import h

RFC5903 = {
    DhGroup.ECP_256: {  # RFC 5903 8.1
        "i": "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
        "gi": "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
        "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
        "r": "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
        "gr": "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
        "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
        "gir": "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE",
    },
    DhGroup.ECP_384: {  # RFC 5903 8.2
        "i": "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
        "E35B5380 41E649EE 3FAEF896 783AB194",
        "gi": "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
        "DE3AC808 ACB4BDB4 C88732AE E95F41AA 9482ED1F C0EEB9CA FC498462 5CCFC23F"
        "65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
        "r": "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
        "E0308312 916B8ED2 960E4BD5 5A7448FC",
        "gr": "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
        "0D1AC43A 0336DEF9 6FDA41D0 774A3571 DCFBEC7A ACF31964 72169E83 8430367F"
        "66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
        "gir": "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
        "D6031355 69B9E9D0 9CF5D4A2 70F59746",
    },
}


@pytest.mark.parametrize("group", sorted(RFC5903))
def test_rfc5903_ecp_known_answers(group: DhGroup) -> None:
    v = {name: h(value) for name, value in RFC5903[group].items()}
    initiator = key_exchange(group, int.from_bytes(v["i"], "big"))
    responder = key_exchange(group, int.from_bytes(v["r"], "big"))
    assert initiator.public_value == v["gi"]
    assert responder.public_value == v["gr"]
    assert initiator.shared_secret(v["gr"]) == v["gir"]
    assert responder.shared_secret(v["gi"]) == v["gir"]


RFC5114_A3 = {
    "xa": "0881382C DB87660C 6DC13E61 4938D5B9 C8B2F248 581CC5E3 1B354543 97FCE50E",
    "ya": "2E9380C8 323AF975 45BC4941 DEB0EC37 42C62FE0 ECE824A6 ABDBE66C 59BEE024"
    "2911BFB9 67235CEB A35AE13E 4EC752BE 630B92DC 4BDE2847 A9C62CB8 15274542"
    "1FB7EB60 A63C0FE9 159FCCE7 26CE7CD8 523D7450 667EF840 E4919121 EB5F01C8"
    "C9B0D3D6 48A93BFB 75689E82 44AC134A F544711C E79A02DC C3422668 4780DDDC"
    "B4985941 06C37F5B C7985648 7AF5AB02 2A2E5E42 F09897C1 A85A11EA 0212AF04"
    "D9B4CEBC 937C3C1A 3E15A8A0 342E3376 15C84E7F E3B8B9B8 7FB1E73A 15AF12A3"
    "0D746E06 DFC34F29 0D797CE5 1AA13AA7 85BF6658 AFF5E4B0 93003CBE AF665B3C"
    "2E113A3A 4E905269 341DC071 1426685F 4EF37E86 8A8126FF 3F2279B5 7CA67E29",
    "xb": "7D62A7E3 EF36DE61 7B13D1AF B82C780D 83A23BD4 EE670564 5121F371 F546A53D",
    "yb": "575F0351 BD2B1B81 7448BDF8 7A6C362C 1E289D39 03A30B98 32C5741F A250363E"
    "7ACBC7F7 7F3DACBC 1F131ADD 8E03367E FF8FBBB3 E1C57844 24809B25 AFE4D226"
    "2A1A6FD2 FAB64105 CA30A674 E07F7809 85208863 2FC04923 3791AD4E DD083A97"
    "8B883EE6 18BC5E0D D047415F 2D95E683 CF14826B 5FBE10D3 CE41C6C1 20C78AB2"
    "0008C698 BF7F0BCA B9D7F407 BED0F43A FB2970F5 7F8D1204 3963E66D DD320D59"
    "9AD9936C 8F44137C 08B180EC 5E985CEB E186F3D5 49677E80 607331EE 17AF3380"
    "A725B078 2317D7DD 43F59D7A F9568A9B B63A84D3 65F92244 ED120988 219302F4"
    "2924C7CA 90B89D24 F71B0AB6 97823D7D EB1AFF5B 0E8E4A45 D49F7F53 757E1913",
    "z": "86C70BF8 D0BB81BB 01078A17 219CB7D2 7203DB2A 19C877F1 D1F19FD7 D77EF225"
    "46A68F00 5AD52DC8 4553B78F C60330BE 51EA7C06 72CAC151 5E4B35C0 47B9A551"
    "B88F39DC 26DA14A0 9EF74774 D47C762D D177F9ED 5BC2F11E 52C879BD 95098504"
    "CD9EECD8 A8F9B3EF BD1F008A C5853097 D9D1837F 2B18F77C D7BE01AF 80A7C7B5"
    "EA3CA54C C02D0C11 6FEE3F95 BB873993 85875D7E 86747E67 6E728938 ACBFF709"
    "8E05BE4D CFB24052 B83AEFFB 14783F02 9ADBDE7F 53FAE920 84224090 E007CEE9"
    "4D4BF2BA CE9FFD4B 57D2AF7C 724D0CAA 19BF0501 F6F17B4A A10F425E 3EA76080"
    "B4B9D6B3 CEFEA115 B2CEB878 9BB8A3B0 EA87FEBE 63B6C8F8 46EC6DB0 C26C5D7C",
}


def test_rfc5114_group24_known_answer() -> None:
    v = {name: h(value) for name, value in RFC5114_A3.items()}
    a = key_exchange(DhGroup.MODP_2048_256, int.from_bytes(v["xa"], "big"))
    b = key_exchange(DhGroup.MODP_2048_256, int.from_bytes(v["xb"], "big"))
    assert a.public_value == v["ya"]
    assert b.public_value == v["yb"]
    assert a.shared_secret(v["yb"]) == v["z"]
    assert b.shared_secret(v["ya"]) == v["z"]


def _pi_fixed_point(bits: int) -> int:
    """floor(pi * 2^bits) via Machin's formula in integer arithmetic (64 guard bits)."""
    one = 1 << (bits + 64)

    def arctan_inverse(x: int) -> int:
        total = term = one // x
        n, sign = 1, -1
        while term:
            term //= x * x
            n += 2
            total += sign * (term // n)
            sign = -sign
        return total

    return (4 * (4 * arctan_inverse(5) - arctan_inverse(239))) >> 64


@pytest.mark.parametrize(
    ("group", "bits", "k"),
    [
        (DhGroup.MODP_768, 768, 149686),
        (DhGroup.MODP_1024, 1024, 129093),
        (DhGroup.MODP_2048, 2048, 124476),
    ],
)
def test_modp_primes_follow_their_definition(group: DhGroup, bits: int, k: int) -> None:
    expected = 2**bits - 2 ** (bits - 64) - 1 + 2**64 * (_pi_fixed_point(bits - 130) + k)
    assert MODP_GROUPS[group].prime == expected
    assert MODP_GROUPS[group].generator == 2


def test_group24_generator_has_the_published_order() -> None:
    params = MODP_GROUPS[DhGroup.MODP_2048_256]
    assert params.order is not None
    assert pow(params.generator, params.order, params.prime) == 1
    assert params.order.bit_length() == 256


@pytest.mark.parametrize("group", supported_groups())
def test_both_sides_agree_and_values_have_wire_size(group: DhGroup) -> None:
    a, b = key_exchange(group), key_exchange(group)
    expected = {1: 96, 2: 128, 14: 256, 24: 256, 19: 64, 20: 96}[group]
    assert len(a.public_value) == len(b.public_value) == expected
    secret = a.shared_secret(b.public_value)
    assert secret == b.shared_secret(a.public_value)
    assert len(secret) == (expected if group not in (19, 20) else expected // 2)


def test_modp_values_are_left_padded() -> None:
    """A private value of 1 gives g^1 = 2: the KE data is still 128 bytes."""
    exchange = key_exchange(DhGroup.MODP_1024, 1)
    assert exchange.public_value == bytes(127) + b"\x02"
    peer = key_exchange(DhGroup.MODP_1024)
    assert len(exchange.shared_secret(peer.public_value)) == 128


@pytest.mark.parametrize(
    ("group", "peer"),
    [
        (DhGroup.MODP_1024, bytes(127)),  # short
        (DhGroup.MODP_1024, bytes(128)),  # zero
        (DhGroup.MODP_1024, bytes(127) + b"\x01"),  # one
        (DhGroup.MODP_1024, b"\xff" * 128),  # >= p
        (DhGroup.MODP_2048_256, bytes(255) + b"\x02"),  # 2 is outside the order-q subgroup
        (DhGroup.ECP_256, bytes(64)),  # (0, 0) is not on the curve
        (DhGroup.ECP_256, b"\x01" * 65),  # wrong size
        (DhGroup.ECP_384, b"\x05" * 96),  # not on the curve
    ],
    ids=["short", "zero", "one", "too-big", "subgroup", "ecp-zero", "ecp-size", "ecp-off-curve"],
)
def test_invalid_peer_values_are_rejected(group: DhGroup, peer: bytes) -> None:
    with pytest.raises(DhError):
        key_exchange(group).shared_secret(peer)


@pytest.mark.parametrize("group", [0, 5, 21, 31, 999])
def test_unsupported_groups(group: int) -> None:
    with pytest.raises(UnsupportedTransformError):
        key_exchange(group)
