"""Example payloads and messages shared by the codec tests: one or more of every kind.

The values follow what windows-client-behavior.md says Windows sends where that is
known (proposal layout, vendor IDs, CP request, traffic selectors), with lab
addresses from the documentation ranges.
"""

from __future__ import annotations

import ipaddress

from emulator.codec import (
    AuthPayload,
    CertPayload,
    CertReqPayload,
    ConfigAttribute,
    CpPayload,
    DeletePayload,
    EapPayload,
    IdiPayload,
    IdrPayload,
    IkeHeader,
    IkeMessage,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    SkfPayload,
    SkPayload,
    TrafficSelector,
    Transform,
    TransformAttribute,
    TsiPayload,
    TsrPayload,
    UnknownPayload,
    UnknownTrafficSelector,
    VendorIdPayload,
)
from emulator.const import (
    AuthMethod,
    CertEncoding,
    CfgType,
    ConfigAttributeType,
    DhGroup,
    EapCode,
    EapType,
    EncrId,
    ExchangeType,
    HeaderFlag,
    IdType,
    IntegId,
    NotifyType,
    PrfId,
    ProtocolId,
    TransformType,
)

SPI_I = bytes.fromhex("0123456789abcdef")
SPI_R = bytes.fromhex("fedcba9876543210")

MS_VENDOR_IDS = (
    bytes.fromhex("1e2b516905991c7d7c96fcbfb587e46100000009"),
    bytes.fromhex("fb1de3cdf341b7ea16b7e5be0855f120"),
    bytes.fromhex("26244d38eddb61b3172a36e3d0cfb819"),
    bytes.fromhex("01528bbbc00696121849ab9a1c5b2a5100000002"),
)


def ike_proposal(number: int, key_bits: int | None, integ: int, prf: int) -> Proposal:
    """A Windows-shaped IKE proposal: ENCR, INTEG, PRF, D-H in that wire order."""
    encr_id = EncrId.TRIPLE_DES if key_bits is None else EncrId.AES_CBC
    attributes = () if key_bits is None else (TransformAttribute.key_length(key_bits),)
    return Proposal(
        number,
        ProtocolId.IKE,
        (
            Transform(TransformType.ENCR, encr_id, attributes),
            Transform(TransformType.INTEG, integ),
            Transform(TransformType.PRF, prf),
            Transform(TransformType.DH, DhGroup.MODP_1024),
        ),
    )


WINDOWS_IKE_SA = SaPayload(
    (
        ike_proposal(1, None, IntegId.HMAC_SHA1_96, PrfId.HMAC_SHA1),
        ike_proposal(2, 128, IntegId.HMAC_SHA2_256_128, PrfId.HMAC_SHA2_256),
        ike_proposal(3, 256, IntegId.HMAC_SHA2_384_192, PrfId.HMAC_SHA2_384),
    )
)

ESP_SA = SaPayload(
    (
        Proposal(
            1,
            ProtocolId.ESP,
            (
                Transform(
                    TransformType.ENCR, EncrId.AES_CBC, (TransformAttribute.key_length(256),)
                ),
                Transform(TransformType.INTEG, IntegId.HMAC_SHA1_96),
                Transform(TransformType.ESN, 0),
            ),
            spi=bytes.fromhex("c0ffee01"),
        ),
        Proposal(
            2,
            ProtocolId.ESP,
            (Transform(TransformType.ENCR, EncrId.AES_GCM_16, (TransformAttribute(99, b"xyz"),)),),
            spi=bytes.fromhex("c0ffee02"),
        ),
    )
)

CP_REQUEST = CpPayload(
    CfgType.REQUEST,
    tuple(
        ConfigAttribute(a)
        for a in (
            ConfigAttributeType.INTERNAL_IP4_ADDRESS,
            ConfigAttributeType.INTERNAL_IP4_DNS,
            ConfigAttributeType.INTERNAL_IP4_NBNS,
            ConfigAttributeType.INTERNAL_IP4_SERVER,
            ConfigAttributeType.INTERNAL_IP6_ADDRESS,
            ConfigAttributeType.INTERNAL_IP6_DNS,
            ConfigAttributeType.INTERNAL_IP6_SERVER,
        )
    ),
)

ALL_TRAFFIC = (TrafficSelector.any_ipv4(), TrafficSelector.any_ipv6())

SAMPLE_PAYLOADS: dict[str, Payload] = {
    "sa-ike-windows": WINDOWS_IKE_SA,
    "sa-esp-spi-tlv": ESP_SA,
    "ke-modp1024": KePayload(DhGroup.MODP_1024, bytes(range(128))),
    "ke-empty": KePayload(DhGroup.ECP_256, b""),
    "nonce": NoncePayload(bytes(range(48))),
    "idi-ipv4": IdiPayload(IdType.IPV4_ADDR, ipaddress.IPv4Address("198.51.100.7").packed),
    "idi-dn": IdiPayload(IdType.DER_ASN1_DN, b"\x30\x0b\x31\x09\x30\x07\x06\x03\x55\x04\x03"),
    "idr-fqdn": IdrPayload(IdType.FQDN, b"vpn.example.org"),
    "cert": CertPayload(CertEncoding.X509_SIGNATURE, b"\x30\x82\x01\x00" + bytes(10)),
    "certreq-two-cas": CertReqPayload(CertEncoding.X509_SIGNATURE, bytes(20) + b"\x01" * 20),
    "certreq-empty": CertReqPayload(CertEncoding.X509_SIGNATURE, b""),
    "auth-rsa": AuthPayload(AuthMethod.RSA_SIGNATURE, b"\xaa" * 256),
    "notify-frag-sup": NotifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
    "notify-natd": NotifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, bytes(20)),
    "notify-rekey-esp": NotifyPayload(
        NotifyType.REKEY_SA, protocol_id=ProtocolId.ESP, spi=b"\x01\x02\x03\x04"
    ),
    "notify-ms-status": NotifyPayload(NotifyType.MS_NOTIFY_STATUS, (13863).to_bytes(4, "big")),
    "notify-unknown-type": NotifyPayload(40000, b"?"),
    "delete-ike": DeletePayload(ProtocolId.IKE),
    "delete-esp": DeletePayload(ProtocolId.ESP, 4, (b"\x00\x00\x00\x01", b"\xff\xff\xff\xfe")),
    "delete-esp-none": DeletePayload(ProtocolId.ESP, 4, ()),
    "vendor-ms": VendorIdPayload(MS_VENDOR_IDS[0]),
    "tsi-all": TsiPayload(ALL_TRAFFIC),
    "tsr-narrow": TsrPayload(
        (
            TrafficSelector(
                ipaddress.IPv4Address("203.0.113.0"),
                ipaddress.IPv4Address("203.0.113.255"),
                17,
                53,
                53,
            ),
            TrafficSelector(
                ipaddress.IPv6Address("2001:db8::"), ipaddress.IPv6Address("2001:db8::ffff"), 6
            ),
        )
    ),
    "tsi-unknown-type": TsiPayload((UnknownTrafficSelector(10, 0, b"label"),)),
    "tsr-empty": TsrPayload(()),
    "cp-request-windows": CP_REQUEST,
    "cp-reply": CpPayload(
        CfgType.REPLY,
        (
            ConfigAttribute(ConfigAttributeType.INTERNAL_IP4_ADDRESS, bytes([198, 18, 0, 1])),
            ConfigAttribute(ConfigAttributeType.INTERNAL_IP6_ADDRESS, bytes(16) + b"\x80"),
        ),
    ),
    "cp-empty": CpPayload(CfgType.SET),
    "eap-identity-response": EapPayload(EapCode.RESPONSE, 7, EapType.IDENTITY, b"alice"),
    "eap-nak": EapPayload(EapCode.RESPONSE, 8, EapType.NAK, bytes([EapType.MSCHAPV2])),
    "eap-success": EapPayload(EapCode.SUCCESS, 9),
    "eap-failure": EapPayload(EapCode.FAILURE, 10),
    "unknown-noncritical": UnknownPayload(200, b"opaque"),
    "critical-known": NoncePayload(b"n" * 16, critical=True),
}
"""Every payload kind (SK/SKF are in :data:`SEALED_PAYLOADS`: they must come last)."""

SEALED_PAYLOADS: dict[str, Payload] = {
    "sk": SkPayload(35, b"\x11" * 16 + b"\x22" * 32 + b"\x33" * 12),
    "skf-first": SkfPayload(1, 3, 35, b"\x44" * 40),
    "skf-last": SkfPayload(3, 3, 0, b"\x55" * 40),
}


def header(
    exchange: int = ExchangeType.IKE_SA_INIT,
    message_id: int = 0,
    flags: int = HeaderFlag.INITIATOR,
    spi_r: bytes = bytes(8),
) -> IkeHeader:
    return IkeHeader(SPI_I, spi_r, exchange, message_id, flags)


def windows_sa_init() -> IkeMessage:
    """The Windows 10 1803+ IKE_SA_INIT request shape (behaviour spec 1.2)."""
    return IkeMessage(
        header(),
        (
            WINDOWS_IKE_SA,
            KePayload(DhGroup.MODP_1024, bytes(128)),
            NoncePayload(bytes(48)),
            NotifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
            NotifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, bytes(20)),
            NotifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, bytes(20)),
            *(VendorIdPayload(v) for v in MS_VENDOR_IDS),
        ),
    )
