"""EAP packet encode/decode (RFC 3748 section 4) on the codec's :class:`EapPayload`.

The IKE codec already carries an EAP packet as :class:`emulator.codec.EapPayload`
(code, identifier, type, type-data); this module turns raw EAP bytes into that type and
back, so the IKE state machine and the EAP peer share one representation. Decode is
strict in the same way as the codec's (an EAP payload body is exactly one EAP packet in
IKEv2, RFC 7296 3.16), with one RFC 3748 4.1 allowance: octets beyond the Length field
are link-layer padding and are ignored.
"""

from __future__ import annotations

from emulator.codec import EapPayload
from emulator.const import EapCode, EapType, enum_or_int
from emulator.eap.errors import EapParseError

HEADER_LEN = 4
"""Code, Identifier, Length."""


def decode_eap(data: bytes) -> EapPayload:
    """Parse one EAP packet; raises only :class:`EapParseError`."""
    if len(data) < HEADER_LEN:
        raise EapParseError(len(data), f"a {HEADER_LEN}-octet EAP header")
    code, identifier = data[0], data[1]
    length = int.from_bytes(data[2:4], "big")
    if length < HEADER_LEN or length > len(data):
        raise EapParseError(2, f"an EAP Length between {HEADER_LEN} and {len(data)}, got {length}")
    if code in (EapCode.REQUEST, EapCode.RESPONSE):
        if length < HEADER_LEN + 1:
            raise EapParseError(4, "a Type octet in an EAP Request/Response")
        eap_type = enum_or_int(EapType, data[4])
        return EapPayload(EapCode(code), identifier, eap_type, bytes(data[5:length]))
    if code in (EapCode.SUCCESS, EapCode.FAILURE):
        if length != HEADER_LEN:
            raise EapParseError(2, f"Length {HEADER_LEN} in an EAP Success/Failure, got {length}")
        return EapPayload(EapCode(code), identifier)
    raise EapParseError(0, f"an EAP Code 1-4, got {code}")


def encode_eap(packet: EapPayload) -> bytes:
    """The wire form of ``packet`` (the Length field is computed)."""
    type_octet = b"" if packet.eap_type is None else bytes([packet.eap_type])
    length = HEADER_LEN + len(type_octet) + len(packet.data)
    if not (0 <= packet.code <= 0xFF and 0 <= packet.identifier <= 0xFF and length <= 0xFFFF):
        raise ValueError("EAP code, identifier or length out of range")
    return (
        bytes([packet.code, packet.identifier])
        + length.to_bytes(2, "big")
        + type_octet
        + packet.data
    )


def response(identifier: int, eap_type: int, type_data: bytes = b"") -> bytes:
    """An EAP-Response of ``eap_type`` echoing the request's identifier (RFC 3748 4.1)."""
    return encode_eap(EapPayload(EapCode.RESPONSE, identifier, eap_type, type_data))


def identity_response(identifier: int, identity: str) -> bytes:
    """EAP-Response/Identity; the identity is sent as UTF-8 without a terminator."""
    return response(identifier, EapType.IDENTITY, identity.encode("utf-8"))


def nak_response(identifier: int, desired: int) -> bytes:
    """EAP-Response/Nak (legacy, type 3) naming the one method the peer wants (RFC 3748 5.3.1)."""
    return response(identifier, EapType.NAK, bytes([desired]))


def type_name(eap_type: int | None) -> str:
    """``TLS``, ``MSCHAPV2``, or the number for types without a name."""
    if eap_type is None:
        return "-"
    return eap_type.name if isinstance(eap_type, EapType) else str(eap_type)


def describe(packet: EapPayload) -> str:
    """One line for the transcript, e.g. ``EAP-Request/TLS id=2 (6 bytes)``."""
    kind = {1: "Request", 2: "Response", 3: "Success", 4: "Failure"}.get(packet.code, "?")
    if packet.eap_type is None:
        return f"EAP-{kind} id={packet.identifier}"
    size = HEADER_LEN + 1 + len(packet.data)
    return f"EAP-{kind}/{type_name(packet.eap_type)} id={packet.identifier} ({size} bytes)"
