"""Wire form of each payload body (everything after the 4-byte generic header).

The generic header and the chaining live in ``message.py``; this module only maps one
body to bytes and back. Decoders consume the whole body they are given and fail on
leftovers, so a length that is too long is caught as surely as one that is too short.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.codec.errors import IkeEncodeError, IkeParseError
from emulator.codec.payloads import (
    AuthPayload,
    CertPayload,
    CertReqPayload,
    ConfigAttribute,
    CpPayload,
    DeletePayload,
    EapPayload,
    IdiPayload,
    IdrPayload,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    SaPayload,
    SkfPayload,
    SkPayload,
    TsiPayload,
    TsrPayload,
    UnknownPayload,
    VendorIdPayload,
)
from emulator.codec.reader import Reader
from emulator.codec.sa import decode_sa_body, encode_sa_body
from emulator.codec.ts import decode_ts_body, encode_ts_body
from emulator.const import (
    AuthMethod,
    CertEncoding,
    CfgType,
    ConfigAttributeType,
    DhGroup,
    EapCode,
    EapType,
    IdType,
    NotifyType,
    PayloadType,
    ProtocolId,
    enum_or_int,
)


def _u(value: int, octets: int, what: str) -> bytes:
    if not 0 <= value < (1 << (8 * octets)):
        raise IkeEncodeError(f"{what} {value} does not fit {octets} octet(s)")
    return value.to_bytes(octets, "big")


# --- encode -------------------------------------------------------------------------


def _encode_cp(payload: CpPayload) -> bytes:
    out = bytearray(_u(payload.cfg_type, 1, "CFG type") + b"\0\0\0")
    for attribute in payload.attributes:
        if not 0 <= attribute.attr_type < 0x8000:
            raise IkeEncodeError(f"CP attribute type {attribute.attr_type} does not fit 15 bits")
        out += attribute.attr_type.to_bytes(2, "big")
        out += _u(len(attribute.value), 2, "CP attribute length") + attribute.value
    return bytes(out)


def _encode_eap(payload: EapPayload) -> bytes:
    type_octet = b"" if payload.eap_type is None else _u(payload.eap_type, 1, "EAP type")
    length = 4 + len(type_octet) + len(payload.data)
    return (
        _u(payload.code, 1, "EAP code")
        + _u(payload.identifier, 1, "EAP identifier")
        + _u(length, 2, "EAP length")
        + type_octet
        + payload.data
    )


def _encode_delete(payload: DeletePayload) -> bytes:
    if any(len(spi) != payload.spi_size for spi in payload.spis):
        raise IkeEncodeError(f"every Delete SPI must be {payload.spi_size} bytes")
    return (
        _u(payload.protocol_id, 1, "protocol id")
        + _u(payload.spi_size, 1, "SPI size")
        + _u(len(payload.spis), 2, "number of SPIs")
        + b"".join(payload.spis)
    )


def encode_body(payload: Payload) -> bytes:
    """The body bytes of ``payload`` (without the generic payload header)."""
    match payload:
        case SaPayload():
            return encode_sa_body(payload.proposals)
        case KePayload():
            return _u(payload.group, 2, "KE group") + b"\0\0" + payload.data
        case NoncePayload() | VendorIdPayload() | UnknownPayload():
            return payload.data
        case IdiPayload() | IdrPayload():
            return _u(payload.id_type, 1, "ID type") + b"\0\0\0" + payload.data
        case CertPayload() | CertReqPayload():
            return _u(payload.encoding, 1, "certificate encoding") + payload.data
        case AuthPayload():
            return _u(payload.method, 1, "auth method") + b"\0\0\0" + payload.data
        case NotifyPayload():
            return (
                _u(payload.protocol_id, 1, "protocol id")
                + _u(len(payload.spi), 1, "SPI size")
                + _u(payload.notify_type, 2, "notify type")
                + payload.spi
                + payload.data
            )
        case DeletePayload():
            return _encode_delete(payload)
        case TsiPayload() | TsrPayload():
            return encode_ts_body(payload.selectors)
        case SkPayload():
            return payload.data
        case SkfPayload():
            return (
                _u(payload.fragment_number, 2, "fragment number")
                + _u(payload.total_fragments, 2, "total fragments")
                + payload.data
            )
        case CpPayload():
            return _encode_cp(payload)
        case EapPayload():
            return _encode_eap(payload)
    raise IkeEncodeError(f"not a payload: {payload!r}")


def id_body(payload: IdiPayload | IdrPayload) -> bytes:
    """IDi' / IDr' of RFC 7296 2.15: the ID payload without its generic header."""
    return encode_body(payload)


# --- decode -------------------------------------------------------------------------


def _decode_notify(r: Reader, critical: bool) -> NotifyPayload:
    protocol = r.u8("notify protocol id")
    spi_size = r.u8("notify SPI size")
    notify_type = r.u16("notify type")
    spi = r.take(spi_size, "notify SPI")
    return NotifyPayload(
        enum_or_int(NotifyType, notify_type),
        r.rest(),
        enum_or_int(ProtocolId, protocol),
        spi,
        critical=critical,
    )


def _decode_delete(r: Reader, critical: bool) -> DeletePayload:
    protocol = r.u8("delete protocol id")
    spi_size = r.u8("delete SPI size")
    count = r.u16("number of SPIs")
    if r.remaining != spi_size * count:
        raise r.fail(f"{count} SPIs of {spi_size} bytes ({spi_size * count} bytes)")
    spis = tuple(r.take(spi_size, "SPI") for _ in range(count))
    return DeletePayload(enum_or_int(ProtocolId, protocol), spi_size, spis, critical=critical)


def _decode_cp(r: Reader, critical: bool) -> CpPayload:
    cfg_type = r.u8("CFG type")
    r.take(3, "CP reserved octets")
    attributes = []
    while not r.at_end():
        attr_type = r.u16("CP attribute type") & 0x7FFF  # the top bit is reserved
        length = r.u16("CP attribute length")
        value = r.take(length, "CP attribute value")
        attributes.append(ConfigAttribute(enum_or_int(ConfigAttributeType, attr_type), value))
    return CpPayload(enum_or_int(CfgType, cfg_type), tuple(attributes), critical=critical)


def _decode_eap(r: Reader, critical: bool) -> EapPayload:
    start = r.offset
    total = r.remaining
    code = r.u8("EAP code")
    identifier = r.u8("EAP identifier")
    length = r.u16("EAP length")
    if length != total:
        raise IkeParseError(start + 2, f"EAP length {total} (the payload body), got {length}")
    if code in (EapCode.REQUEST, EapCode.RESPONSE):
        eap_type = r.u8("EAP type of a Request/Response")
        return EapPayload(
            EapCode(code), identifier, enum_or_int(EapType, eap_type), r.rest(), critical=critical
        )
    if code in (EapCode.SUCCESS, EapCode.FAILURE):
        if not r.at_end():
            raise r.fail("no data in EAP Success/Failure")
        return EapPayload(EapCode(code), identifier, critical=critical)
    raise IkeParseError(start, f"EAP code 1-4 (got {code})")


def _decode_skf(r: Reader, critical: bool, next_payload: int) -> SkfPayload:
    start = r.offset
    number = r.u16("fragment number")
    total = r.u16("total fragments")
    if not 1 <= number <= total:
        raise IkeParseError(start, f"1 <= fragment number <= total (got {number}/{total})")
    return SkfPayload(
        number, total, enum_or_int(PayloadType, next_payload), r.rest(), critical=critical
    )


def _ke(r: Reader, c: bool) -> KePayload:
    group = r.u16("KE group")
    r.take(2, "KE reserved octets")
    return KePayload(enum_or_int(DhGroup, group), r.rest(), critical=c)


def _id(cls: type[IdiPayload] | type[IdrPayload]) -> Callable[[Reader, bool], Payload]:
    def decode(r: Reader, c: bool) -> Payload:
        id_type = r.u8("ID type")
        r.take(3, "ID reserved octets")
        return cls(enum_or_int(IdType, id_type), r.rest(), critical=c)

    return decode


def _cert(cls: type[CertPayload] | type[CertReqPayload]) -> Callable[[Reader, bool], Payload]:
    def decode(r: Reader, c: bool) -> Payload:
        encoding = r.u8("certificate encoding")
        return cls(enum_or_int(CertEncoding, encoding), r.rest(), critical=c)

    return decode


def _auth(r: Reader, c: bool) -> AuthPayload:
    method = r.u8("auth method")
    r.take(3, "AUTH reserved octets")
    return AuthPayload(enum_or_int(AuthMethod, method), r.rest(), critical=c)


_DECODERS: dict[int, Callable[[Reader, bool], Payload]] = {
    PayloadType.SA: lambda r, c: SaPayload(decode_sa_body(r), critical=c),
    PayloadType.KE: _ke,
    PayloadType.IDI: _id(IdiPayload),
    PayloadType.IDR: _id(IdrPayload),
    PayloadType.CERT: _cert(CertPayload),
    PayloadType.CERTREQ: _cert(CertReqPayload),
    PayloadType.AUTH: _auth,
    PayloadType.NONCE: lambda r, c: NoncePayload(r.rest(), critical=c),
    PayloadType.NOTIFY: _decode_notify,
    PayloadType.DELETE: _decode_delete,
    PayloadType.VENDOR_ID: lambda r, c: VendorIdPayload(r.rest(), critical=c),
    PayloadType.TSI: lambda r, c: TsiPayload(decode_ts_body(r), critical=c),
    PayloadType.TSR: lambda r, c: TsrPayload(decode_ts_body(r), critical=c),
    PayloadType.CP: _decode_cp,
    PayloadType.EAP: _decode_eap,
}

ENCRYPTED_TYPES = frozenset({PayloadType.SK, PayloadType.SKF})
"""Payload types whose Next Payload field names the first inner payload, not the next one."""

KNOWN_TYPES = frozenset(_DECODERS) | ENCRYPTED_TYPES
"""Payload types decoded into a typed class; anything else becomes UnknownPayload."""


def decode_body(payload_type: int, next_payload: int, critical: bool, r: Reader) -> Payload:
    """Decode one body of a known ``payload_type``; ``r`` spans exactly that body."""
    if payload_type == PayloadType.SK:
        return SkPayload(enum_or_int(PayloadType, next_payload), r.rest(), critical=critical)
    if payload_type == PayloadType.SKF:
        return _decode_skf(r, critical, next_payload)
    payload = _DECODERS[payload_type](r, critical)
    if not r.at_end():
        raise r.fail("end of payload body")
    return payload
