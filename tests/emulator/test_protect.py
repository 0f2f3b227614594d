"""SK/SKF protection: published messages decrypt and re-encrypt byte for byte; tampering fails.

Vectors used:

* AOSP ``IkeEncryptedPayloadBodyTest`` (see ``aosp_vectors.py``): AES-CBC-128 +
  HMAC-SHA1-96 IKE_AUTH request, 3DES + HMAC-SHA1-96 message and SKF fragment 5/5,
  AES-GCM-16-256 message and SKF fragment 2/2.
* AES-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)" (the test
  vectors NIST's GCM specification reproduces), test cases 4 (AES-128) and 16
  (AES-256): 60-byte plaintext, 20-byte AAD, 96-bit IV. The 96-bit IV is read as the
  RFC 5282 nonce salt(4) | IV(8), which is how the SK layer builds it.
"""

from __future__ import annotations

import pytest

from emulator.codec import (
    IkeHeader,
    IkeMessage,
    NotifyPayload,
    Payload,
    SkfPayload,
    SkPayload,
    decode,
    decode_payloads,
    encode,
    summarize,
)
from emulator.const import (
    DhGroup,
    EncrId,
    ExchangeType,
    HeaderFlag,
    IntegId,
    NotifyType,
    PayloadType,
    PrfId,
)
from emulator.crypto import (
    DecryptError,
    IkeSaKeys,
    IkeSuite,
    IntegrityError,
    SkProtection,
    encr_algorithm,
    integ_algorithm,
    prf_algorithm,
    protect_fragment,
    protect_fragments,
    protect_message,
    reassemble,
    unprotect_fragment,
    unprotect_message,
)
from emulator.crypto.ciphers import aead_open, aead_seal
from tests.emulator import aosp_vectors as v
from tests.emulator.samples import SAMPLE_PAYLOADS, SPI_I, SPI_R

SHA1_96 = integ_algorithm(IntegId.HMAC_SHA1_96)
AES_CBC_128 = encr_algorithm(EncrId.AES_CBC, 128)
TDES = encr_algorithm(EncrId.TRIPLE_DES)
GCM_256 = encr_algorithm(EncrId.AES_GCM_16, 256)

# --- McGrew-Viega GCM test cases 4 and 16 ----------------------------------------------
GCM_P = v.h(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
GCM_A = v.h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
GCM_K = v.h("feffe9928665731c6d6a8f9467308308")
GCM_SALT, GCM_EXPLICIT_IV = v.h("cafebabe"), v.h("facedbaddecaf888")


@pytest.mark.parametrize(
    ("key", "ciphertext", "tag"),
    [
        (
            GCM_K,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47",
        ),
        (
            GCM_K + GCM_K,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b",
        ),
    ],
    ids=["gcm-test-case-4-aes128", "gcm-test-case-16-aes256"],
)
def test_gcm_known_answers(key: bytes, ciphertext: str, tag: str) -> None:
    alg = encr_algorithm(EncrId.AES_GCM_16, len(key) * 8)
    key_material = key + GCM_SALT
    sealed = aead_seal(alg, key_material, GCM_EXPLICIT_IV, GCM_A, GCM_P)
    assert sealed == v.h(ciphertext + tag)
    assert aead_open(alg, key_material, GCM_EXPLICIT_IV, GCM_A, sealed) == GCM_P
    with pytest.raises(IntegrityError):
        aead_open(alg, key_material, GCM_EXPLICIT_IV, GCM_A + b"x", sealed)


# --- AOSP messages ---------------------------------------------------------------------

CBC = SkProtection(AES_CBC_128, SHA1_96, v.CBC_ENCR_KEY, v.CBC_INTEG_KEY)


def test_aes_cbc_message_decrypts() -> None:
    message, inner = unprotect_message(v.CBC_MESSAGE, CBC)
    assert inner == decode_payloads(PayloadType.IDI, v.CBC_PLAINTEXT)
    assert summarize(inner) == "[ IDi IDr AUTH SA TSi TSr N(INIT_CONTACT) N(SET_WINSIZE) ]"
    assert message.header.message_id == 1


def test_aes_cbc_message_reencrypts_byte_exact() -> None:
    message, inner = unprotect_message(v.CBC_MESSAGE, CBC)
    again = protect_message(message.header, inner, CBC, iv=v.CBC_IV, padding=v.CBC_PADDING)
    assert again == v.CBC_MESSAGE


def test_3des_message_decrypts() -> None:
    protection = SkProtection(TDES, SHA1_96, v.TDES_ENCR_KEY, v.TDES_INTEG_KEY)
    message, inner = unprotect_message(v.TDES_MESSAGE, protection)
    sealed = decode(v.TDES_MESSAGE).payloads[-1]
    assert isinstance(sealed, SkPayload)
    assert inner == decode_payloads(sealed.first_payload, v.TDES_PLAINTEXT)
    assert summarize(inner) == "[ EAP/REQ/MSCHAPV2 ]"
    assert message.header.is_response


def test_3des_fragment_decrypts_and_reencrypts() -> None:
    protection = SkProtection(TDES, SHA1_96, v.TDES_FRAGMENT_ENCR_KEY, v.TDES_FRAGMENT_INTEG_KEY)
    message, fragment, chunk = unprotect_fragment(v.TDES_FRAGMENT, protection)
    assert (fragment.fragment_number, fragment.total_fragments) == (5, 5)
    assert fragment.first_payload == PayloadType.NONE
    assert chunk == v.TDES_FRAGMENT_PLAINTEXT
    again = protect_fragment(
        message.header,
        fragment,
        chunk,
        protection,
        iv=v.TDES_FRAGMENT_IV,
        padding=v.TDES_FRAGMENT_PADDING,
    )
    assert again == v.TDES_FRAGMENT


def test_gcm_message_decrypts_and_reencrypts() -> None:
    protection = SkProtection(GCM_256, None, v.GCM_KEY)
    message, inner = unprotect_message(v.GCM_MESSAGE, protection)
    assert inner == decode_payloads(PayloadType.AUTH, v.GCM_PLAINTEXT)
    assert protect_message(message.header, inner, protection, iv=v.GCM_IV, padding=b"") == (
        v.GCM_MESSAGE
    )


def test_gcm_fragment_decrypts_and_reencrypts() -> None:
    protection = SkProtection(GCM_256, None, v.GCM_FRAGMENT_KEY)
    message, fragment, chunk = unprotect_fragment(v.GCM_FRAGMENT, protection)
    assert (fragment.fragment_number, fragment.total_fragments) == (2, 2)
    assert chunk == v.GCM_FRAGMENT_PLAINTEXT
    again = protect_fragment(message.header, fragment, chunk, protection, iv=v.GCM_FRAGMENT_IV)
    assert again == v.GCM_FRAGMENT


# --- every suite the Windows proposals use: round trip and tampering ----------------------

SUITES = {
    "3des-sha1": (TDES, IntegId.HMAC_SHA1_96),
    "aes128-sha256": (AES_CBC_128, IntegId.HMAC_SHA2_256_128),
    "aes192-sha384": (encr_algorithm(EncrId.AES_CBC, 192), IntegId.HMAC_SHA2_384_192),
    "aes256-sha1": (encr_algorithm(EncrId.AES_CBC, 256), IntegId.HMAC_SHA1_96),
    "aes128gcm16": (encr_algorithm(EncrId.AES_GCM_16, 128), None),
    "aes256gcm16": (GCM_256, None),
}


def _protection(name: str) -> SkProtection:
    encr, integ_id = SUITES[name]
    integ = None if integ_id is None else integ_algorithm(integ_id)
    return SkProtection(
        encr,
        integ,
        bytes(range(encr.key_size)),
        b"" if integ is None else bytes(range(100, 100 + integ.key_size)),
    )


AUTH_HEADER = IkeHeader(SPI_I, SPI_R, ExchangeType.IKE_AUTH, 1, HeaderFlag.INITIATOR)
INNER: tuple[Payload, ...] = (
    SAMPLE_PAYLOADS["idi-ipv4"],
    SAMPLE_PAYLOADS["certreq-two-cas"],
    NotifyPayload(NotifyType.MOBIKE_SUPPORTED),
    SAMPLE_PAYLOADS["cp-request-windows"],
    SAMPLE_PAYLOADS["sa-esp-spi-tlv"],
    SAMPLE_PAYLOADS["tsi-all"],
    SAMPLE_PAYLOADS["tsr-narrow"],
)


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_round_trip(suite: str) -> None:
    protection = _protection(suite)
    wire = protect_message(AUTH_HEADER, INNER, protection)
    message, inner = unprotect_message(wire, protection)
    assert inner == INNER
    assert message.header == AUTH_HEADER
    assert len(wire) == int.from_bytes(wire[24:28], "big")


@pytest.mark.parametrize("suite", sorted(SUITES))
@pytest.mark.parametrize("where", ["header", "sk-header", "iv", "ciphertext", "icv"])
def test_tampering_is_detected(suite: str, where: str) -> None:
    protection = _protection(suite)
    wire = bytearray(protect_message(AUTH_HEADER, INNER, protection))
    sealed = decode(bytes(wire)).payloads[-1]
    assert isinstance(sealed, SkPayload)
    iv_offset = len(wire) - len(sealed.data)
    offset = {
        "header": 20,  # message ID
        "sk-header": iv_offset - 3,  # SK critical/reserved octet
        "iv": iv_offset,
        "ciphertext": iv_offset + protection.encr.iv_size + 1,
        "icv": len(wire) - 1,
    }[where]
    wire[offset] ^= 0x01
    with pytest.raises(IntegrityError):
        unprotect_message(bytes(wire), protection)


def test_wrong_key_is_an_integrity_error() -> None:
    wire = protect_message(AUTH_HEADER, INNER, _protection("aes256-sha1"))
    other = SkProtection(encr_algorithm(EncrId.AES_CBC, 256), SHA1_96, bytes(32), bytes(20))
    with pytest.raises(IntegrityError):
        unprotect_message(wire, other)


def test_minimal_padding() -> None:
    """CBC pads to the block size with the Pad Length octet; GCM adds only that octet."""
    payloads = (NotifyPayload(NotifyType.COOKIE, b"x" * 11),)  # 19-byte inner chain
    cbc = protect_message(AUTH_HEADER, payloads, _protection("aes128-sha256"))
    gcm = protect_message(AUTH_HEADER, payloads, _protection("aes128gcm16"))
    assert len(cbc) == 28 + 4 + 16 + 32 + 16  # header, SK header, IV, 2 blocks, ICV
    assert len(gcm) == 28 + 4 + 8 + 20 + 16  # header, SK header, IV, 19 + 1, tag


def test_bad_padding_argument() -> None:
    with pytest.raises(ValueError):
        protect_message(AUTH_HEADER, INNER, _protection("aes256-sha1"), padding=b"\0")


def test_impossible_ciphertext_size() -> None:
    protection = _protection("aes256-sha1")
    wire = protect_message(AUTH_HEADER, INNER, protection)
    message = decode(wire)
    sealed = message.payloads[-1]
    assert isinstance(sealed, SkPayload)
    truncated = SkPayload(sealed.first_payload, sealed.data[:-13])
    with pytest.raises(DecryptError):
        unprotect_message(encode(IkeMessage(message.header, (truncated,))), protection)


def test_unprotect_requires_sk() -> None:
    with pytest.raises(DecryptError):
        unprotect_message(v.PSK_INIT_REQUEST, CBC)


@pytest.mark.parametrize("suite", ["3des-sha1", "aes256gcm16"])
@pytest.mark.parametrize("chunk_size", [64, 100, 1000])
def test_fragments_round_trip(suite: str, chunk_size: int) -> None:
    protection = _protection(suite)
    fragments = protect_fragments(AUTH_HEADER, INNER, protection, chunk_size)
    chunks = []
    first_payload = -1
    for number, raw in enumerate(fragments, start=1):
        message, fragment, chunk = unprotect_fragment(raw, protection)
        assert isinstance(fragment, SkfPayload)
        assert (fragment.fragment_number, fragment.total_fragments) == (number, len(fragments))
        assert message.header == AUTH_HEADER
        if number == 1:
            first_payload = fragment.first_payload
        else:
            assert fragment.first_payload == 0
        assert len(chunk) <= chunk_size
        chunks.append(chunk)
    assert first_payload == PayloadType.IDI
    assert reassemble(first_payload, chunks) == INNER


def test_tampered_fragment_is_rejected() -> None:
    protection = _protection("aes256-sha1")
    fragment = bytearray(protect_fragments(AUTH_HEADER, INNER, protection, 64)[1])
    fragment[33] ^= 0x01  # fragment number field
    with pytest.raises(IntegrityError):
        unprotect_fragment(bytes(fragment), protection)


def test_protection_from_suite_and_keys() -> None:
    """for_sender picks SK_ei/SK_ai for the initiator and SK_er/SK_ar for the responder."""
    suite = IkeSuite(AES_CBC_128, SHA1_96, prf_algorithm(PrfId.HMAC_SHA1), DhGroup.MODP_2048)
    keys = IkeSaKeys(b"s", b"d", b"a" * 20, b"b" * 20, b"e" * 16, b"f" * 16, b"p", b"q")
    initiator = SkProtection.for_sender(suite, keys, initiator=True)
    responder = SkProtection.for_sender(suite, keys, initiator=False)
    assert (initiator.encr_key, initiator.integ_key) == (b"e" * 16, b"a" * 20)
    assert (responder.encr_key, responder.integ_key) == (b"f" * 16, b"b" * 20)
    wire = protect_message(AUTH_HEADER, INNER, initiator)
    with pytest.raises(IntegrityError):
        unprotect_message(wire, responder)


def test_protection_checks_key_sizes() -> None:
    with pytest.raises(ValueError):
        SkProtection(AES_CBC_128, SHA1_96, bytes(15), bytes(20))
    with pytest.raises(ValueError):
        SkProtection(GCM_256, SHA1_96, bytes(36), bytes(20))
    with pytest.raises(ValueError):
        SkProtection(AES_CBC_128, None, bytes(16))
