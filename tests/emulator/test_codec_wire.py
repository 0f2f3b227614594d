"""Exact wire bytes, a published message, and every strictness rule of the decoder."""

from __future__ import annotations

import ipaddress

import pytest

from emulator.codec import (
    EapPayload,
    IkeEncodeError,
    IkeHeader,
    IkeMessage,
    IkeParseError,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Proposal,
    SaPayload,
    SkPayload,
    Transform,
    TransformAttribute,
    UnknownPayload,
    VendorIdPayload,
    decode,
    decode_header,
    encode,
    id_body,
)
from emulator.codec.payloads import IdiPayload
from emulator.const import (
    DhGroup,
    EncrId,
    ExchangeType,
    HeaderFlag,
    IdType,
    IntegId,
    NotifyType,
    PayloadType,
    PrfId,
    ProtocolId,
    TransformType,
)
from tests.emulator import aosp_vectors
from tests.emulator.aosp_vectors import h
from tests.emulator.samples import SPI_I, header

# An IKE_SA_INIT request written out field by field (RFC 7296 3.1-3.3, 3.10, 3.12).
HAND_BUILT = h(
    # IKE header: SPIi, SPIr, next=SA(33), version 2.0, IKE_SA_INIT(34), flags I, MID 0, len 104
    "0123456789abcdef 0000000000000000 21 20 22 08 00000000 00000068"
    # SA: next=N(41), C=0, length 48
    "29 00 0030"
    # proposal: last, reserved, length 44, #1, IKE, SPI size 0, 4 transforms
    "00 00 002c 01 01 00 04"
    # ENCR AES_CBC(12) with Key Length 256 (TV attribute 0x800E)
    "03 00 000c 01 00 000c 800e 0100"
    # INTEG HMAC_SHA2_256_128(12)
    "03 00 0008 03 00 000c"
    # PRF HMAC_SHA2_256(5)
    "03 00 0008 02 00 0005"
    # D-H MODP_2048(14), last transform
    "00 00 0008 04 00 000e"
    # N: next=V(43), length 8, protocol 0, SPI size 0, IKEV2_FRAGMENTATION_SUPPORTED(16430)
    "2b 00 0008 00 00 402e"
    # V: last payload, length 20, MS-Negotiation Discovery Capable
    "00 00 0014 fb1de3cdf341b7ea16b7e5be0855f120"
)

HAND_BUILT_MESSAGE = IkeMessage(
    IkeHeader(SPI_I, bytes(8), ExchangeType.IKE_SA_INIT, 0, HeaderFlag.INITIATOR),
    (
        SaPayload(
            (
                Proposal(
                    1,
                    ProtocolId.IKE,
                    (
                        Transform(
                            TransformType.ENCR,
                            EncrId.AES_CBC,
                            (TransformAttribute.key_length(256),),
                        ),
                        Transform(TransformType.INTEG, IntegId.HMAC_SHA2_256_128),
                        Transform(TransformType.PRF, PrfId.HMAC_SHA2_256),
                        Transform(TransformType.DH, DhGroup.MODP_2048),
                    ),
                ),
            )
        ),
        NotifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
        VendorIdPayload(bytes.fromhex("fb1de3cdf341b7ea16b7e5be0855f120")),
    ),
)


def test_hand_built_message_encodes_to_exact_bytes() -> None:
    assert encode(HAND_BUILT_MESSAGE) == HAND_BUILT


def test_hand_built_message_decodes_to_expected_objects() -> None:
    message = decode(HAND_BUILT)
    assert message == HAND_BUILT_MESSAGE
    sa = message.find(SaPayload)
    assert sa is not None
    assert sa.proposals[0].transforms[0].key_length == 256


def test_header_only_decode_for_routing() -> None:
    parsed, first, length = decode_header(HAND_BUILT)
    assert (parsed.exchange, first, length) == (ExchangeType.IKE_SA_INIT, PayloadType.SA, 104)
    assert parsed.is_initiator and not parsed.is_response


def test_published_ike_sa_init_request_decodes() -> None:
    """The AOSP IKE_SA_INIT request (a real Android client message) decodes byte-exactly."""
    message = decode(aosp_vectors.PSK_INIT_REQUEST)
    assert encode(message) == aosp_vectors.PSK_INIT_REQUEST
    assert message.header.spi_i == bytes.fromhex("5f54bf6d8b48e6e1")
    assert [p.payload_type for p in message.payloads] == [33, 34, 40, 41, 41, 43]
    ke = message.find(KePayload)
    assert ke is not None and ke.group == DhGroup.MODP_1024 and len(ke.data) == 128
    nonce = message.find(NoncePayload)
    assert nonce is not None and len(nonce.data) == 32
    (natd_s,) = message.notifies(NotifyType.NAT_DETECTION_SOURCE_IP)
    assert natd_s.data.hex() == "e54f73b7d83f6beb881eab2051d8663f421d10b0"


def test_id_body_is_the_payload_without_generic_header() -> None:
    payload = IdiPayload(IdType.IPV4_ADDR, ipaddress.IPv4Address("10.80.80.13").packed)
    assert id_body(payload) == aosp_vectors.PSK_IDI_BODY


# --- strictness -----------------------------------------------------------------------


def _patched(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


def _error(data: bytes) -> IkeParseError:
    with pytest.raises(IkeParseError) as info:
        decode(data)
    assert info.value.__cause__ is None, "the decoder's safety net caught a bug"
    return info.value


def test_short_header() -> None:
    error = _error(HAND_BUILT[:17])
    assert error.offset == 17
    assert "version" in error.expected


def test_length_field_must_match_datagram() -> None:
    assert _error(HAND_BUILT + b"\0").offset == 24
    assert _error(_patched(HAND_BUILT, 24, (103).to_bytes(4, "big"))).offset == 24


def test_major_version_other_than_2() -> None:
    error = _error(_patched(HAND_BUILT, 17, b"\x10"))
    assert error.notify == NotifyType.INVALID_MAJOR_VERSION


def test_minor_version_and_flags_are_kept() -> None:
    wire = bytearray(HAND_BUILT)
    wire[17] = 0x21  # version 2.1
    wire[19] = 0x39  # I + V + R + a reserved bit
    message = decode(bytes(wire))
    assert message.header.minor_version == 1
    assert message.header.flags == 0x39
    assert encode(message)[17:20] == b"\x21\x22\x39"


def test_payload_length_below_generic_header() -> None:
    error = _error(_patched(HAND_BUILT, 28 + 2, b"\x00\x03"))
    assert error.offset == 30


def test_payload_length_past_message_end() -> None:
    error = _error(_patched(HAND_BUILT, 28 + 48 + 8 + 2, b"\x00\x15"))
    assert "payload 43 body" in error.expected


def test_chain_ends_before_message_end() -> None:
    # N says "no next payload" although the V payload follows
    error = _error(_patched(HAND_BUILT, 28 + 48, b"\x00"))
    assert error.offset == 28 + 48 + 8
    assert "end of message" in error.expected


def test_last_proposal_must_say_last() -> None:
    error = _error(_patched(HAND_BUILT, 32, b"\x02"))
    assert error.offset == 32


def test_transform_count_must_match() -> None:
    error = _error(_patched(HAND_BUILT, 32 + 7, b"\x03"))
    assert "0 on the last transform" in error.expected


def test_transform_length_must_fit_proposal() -> None:
    error = _error(_patched(HAND_BUILT, 40 + 2, b"\x00\x30"))
    assert "transform body" in error.expected


def test_unknown_critical_payload_is_rejected_with_its_notify() -> None:
    message = IkeMessage(header(), (UnknownPayload(99, b"x", critical=True),))
    error = _error(encode(message))
    assert error.notify == NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD
    assert error.notify_data == b"\x63"
    assert error.offset == 28


def test_unknown_noncritical_payload_is_kept_and_skipped() -> None:
    message = IkeMessage(
        header(), (UnknownPayload(99, b"skip me"), NotifyPayload(NotifyType.COOKIE, b"c" * 8))
    )
    decoded = decode(encode(message))
    assert decoded == message
    assert decoded.notifies(NotifyType.COOKIE)


def test_known_payload_with_critical_bit_is_accepted() -> None:
    message = IkeMessage(header(), (NoncePayload(b"n" * 16, critical=True),))
    assert decode(encode(message)).payloads[0].critical


def test_sk_must_be_last_on_decode() -> None:
    sealed = encode(IkeMessage(header(), (SkPayload(PayloadType.IDI, b"\0" * 32),)))
    # append a Vendor ID after the SK payload and fix the message length
    extra = b"\x00\x00\x00\x05v"
    wire = sealed[:24] + (len(sealed) + 5).to_bytes(4, "big") + sealed[28:] + extra
    error = _error(wire)
    assert error.offset == 28
    assert "last payload" in error.expected


def test_sk_must_be_last_on_encode() -> None:
    message = IkeMessage(header(), (SkPayload(35, b"\0" * 32), VendorIdPayload(b"v")))
    with pytest.raises(IkeEncodeError):
        encode(message)


def test_skf_fragment_number_range() -> None:
    from emulator.codec import SkfPayload

    for number, total in ((0, 2), (3, 2), (1, 0)):
        wire = encode(IkeMessage(header(), (SkfPayload(number, total, 0, b"\0" * 32),)))
        assert "fragment number" in _error(wire).expected


def test_eap_length_must_match_payload() -> None:
    wire = encode(IkeMessage(header(), (EapPayload(2, 1, 1, b"user"),)))
    assert "EAP length" in _error(_patched(wire, 28 + 4 + 2, b"\x00\x08")).expected


def test_eap_success_carries_no_data() -> None:
    wire = encode(IkeMessage(header(), (EapPayload(3, 1, None, b"x"),)))
    assert "no data" in _error(wire).expected


def test_eap_unknown_code() -> None:
    wire = encode(IkeMessage(header(), (EapPayload(5, 1, None),)))
    assert "EAP code" in _error(wire).expected


def test_ipv4_selector_length_is_fixed() -> None:
    from tests.emulator.samples import SAMPLE_PAYLOADS

    wire = encode(IkeMessage(header(), (SAMPLE_PAYLOADS["tsi-all"],)))
    # first selector: 4 (generic) + 4 (TS header) bytes in; its length field at +2
    assert "selector length 16" in _error(_patched(wire, 28 + 8 + 2, b"\x00\x28")).expected


def test_delete_spi_count_must_match() -> None:
    from tests.emulator.samples import SAMPLE_PAYLOADS

    wire = encode(IkeMessage(header(), (SAMPLE_PAYLOADS["delete-esp"],)))
    assert "3 SPIs of 4 bytes" in _error(_patched(wire, 28 + 4 + 2, b"\x00\x03")).expected


def test_empty_sa_payload() -> None:
    wire = encode(IkeMessage(header(), (SaPayload(()),)))
    assert "at least one proposal" in _error(wire).expected


# --- encode refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        IkeMessage(IkeHeader(b"short", bytes(8), 34, 0)),
        IkeMessage(IkeHeader(SPI_I, bytes(8), 256, 0)),
        IkeMessage(IkeHeader(SPI_I, bytes(8), 34, 2**32)),
        IkeMessage(header(), (KePayload(70000, b""),)),
        IkeMessage(header(), (NotifyPayload(NotifyType.COOKIE, spi=b"x" * 256),)),
        IkeMessage(header(), (VendorIdPayload(b"x" * 65532),)),
        IkeMessage(
            header(),
            (SaPayload((Proposal(1, 1, (Transform(1, 12, (TransformAttribute(14, 70000),)),)),)),),
        ),
    ],
    ids=["spi-size", "exchange", "message-id", "ke-group", "notify-spi", "too-long", "tv-value"],
)
def test_encode_refuses_what_has_no_wire_form(message: IkeMessage) -> None:
    with pytest.raises(IkeEncodeError):
        encode(message)
