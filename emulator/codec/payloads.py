"""Typed, immutable IKEv2 payloads (RFC 7296 section 3, SKF from RFC 7383).

These classes are plain data: no parsing, no validation. The wire rules live in
``bodies.py`` (decode is strict, encode refuses only what has no wire form), so a test
can build a deliberately odd payload and still send it. Numbers that have a registry
in :mod:`emulator.const` are typed ``int``: a decoded value is the enum member when
known and the bare number otherwise, and both compare equal to the number.

Every payload carries ``critical`` (the generic header's C bit). RFC 7296 3.2 says a
sender sets it to zero for the payloads defined there and a receiver ignores it for
types it knows, but keeping it makes decode/encode lossless and lets tests send a
critical known payload. For :class:`UnknownPayload` the bit decides whether the
message is rejected.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import ClassVar

from emulator.const import (
    CfgType,
    ConfigAttributeType,
    PayloadType,
    ProtocolId,
    TransformAttributeType,
    TsType,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, kw_only=True)
class PayloadBase:
    """What every payload has besides its body: the critical bit."""

    TYPE: ClassVar[int] = PayloadType.NONE
    critical: bool = False

    @property
    def payload_type(self) -> int:
        """The Next Payload number announcing this payload."""
        return self.TYPE


# --- SA payload substructures (RFC 7296 3.3) ---------------------------------------


@dataclass(frozen=True)
class TransformAttribute:
    """One transform attribute: an ``int`` value is sent in TV form, ``bytes`` in TLV form."""

    attr_type: int
    value: int | bytes

    @classmethod
    def key_length(cls, bits: int) -> TransformAttribute:
        """The Key Length attribute (type 14, TV: ``800E xxxx``)."""
        return cls(TransformAttributeType.KEY_LENGTH, bits)


@dataclass(frozen=True)
class Transform:
    """One transform: type (ENCR, PRF, INTEG, DH, ESN), its id, and attributes."""

    transform_type: int
    transform_id: int
    attributes: tuple[TransformAttribute, ...] = ()

    @property
    def key_length(self) -> int | None:
        """The Key Length attribute value in bits, or None when absent."""
        for attribute in self.attributes:
            if attribute.attr_type == TransformAttributeType.KEY_LENGTH and isinstance(
                attribute.value, int
            ):
                return attribute.value
        return None


@dataclass(frozen=True)
class Proposal:
    """One proposal; ``number`` is sent as given (Windows numbers them 1..N)."""

    number: int
    protocol: int
    transforms: tuple[Transform, ...]
    spi: bytes = b""


# --- Traffic selectors (RFC 7296 3.13.1) --------------------------------------------


@dataclass(frozen=True)
class TrafficSelector:
    """An address range selector; the TS type follows from the address family."""

    start_address: IPAddress
    end_address: IPAddress
    ip_protocol: int = 0
    start_port: int = 0
    end_port: int = 65535

    @property
    def ts_type(self) -> TsType:
        if self.start_address.version == 4:
            return TsType.IPV4_ADDR_RANGE
        return TsType.IPV6_ADDR_RANGE

    @classmethod
    def any_ipv4(cls) -> TrafficSelector:
        """0.0.0.0-255.255.255.255, all protocols and ports."""
        return cls(ipaddress.IPv4Address(0), ipaddress.IPv4Address(2**32 - 1))

    @classmethod
    def any_ipv6(cls) -> TrafficSelector:
        """::-ffff:...:ffff, all protocols and ports."""
        return cls(ipaddress.IPv6Address(0), ipaddress.IPv6Address(2**128 - 1))


@dataclass(frozen=True)
class UnknownTrafficSelector:
    """A selector of a type the codec does not interpret, kept byte for byte."""

    ts_type: int
    ip_protocol: int
    data: bytes


# --- Configuration attributes (RFC 7296 3.15.1) -------------------------------------


@dataclass(frozen=True)
class ConfigAttribute:
    """One CP attribute; an empty value is how a CFG_REQUEST asks for something."""

    attr_type: int
    value: bytes = b""

    @classmethod
    def request(cls, attr_type: ConfigAttributeType) -> ConfigAttribute:
        return cls(attr_type)


# --- Payloads -----------------------------------------------------------------------


@dataclass(frozen=True)
class SaPayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.SA
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True)
class KePayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.KE
    group: int
    data: bytes


@dataclass(frozen=True)
class NoncePayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.NONCE
    data: bytes


@dataclass(frozen=True)
class IdPayload(PayloadBase):
    """Common shape of IDi and IDr; use the two subclasses."""

    id_type: int
    data: bytes


@dataclass(frozen=True)
class IdiPayload(IdPayload):
    TYPE: ClassVar[int] = PayloadType.IDI


@dataclass(frozen=True)
class IdrPayload(IdPayload):
    TYPE: ClassVar[int] = PayloadType.IDR


@dataclass(frozen=True)
class CertPayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.CERT
    encoding: int
    data: bytes


@dataclass(frozen=True)
class CertReqPayload(PayloadBase):
    """CERTREQ; for X.509 the data is concatenated 20-byte SHA-1 hashes of CA keys."""

    TYPE: ClassVar[int] = PayloadType.CERTREQ
    encoding: int
    data: bytes

    @property
    def authorities(self) -> tuple[bytes, ...]:
        """The data split into 20-byte SHA-1 key hashes (RFC 7296 3.7)."""
        return tuple(self.data[i : i + 20] for i in range(0, len(self.data), 20))


@dataclass(frozen=True)
class AuthPayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.AUTH
    method: int
    data: bytes


@dataclass(frozen=True)
class NotifyPayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.NOTIFY
    notify_type: int
    data: bytes = b""
    protocol_id: int = ProtocolId.NONE
    spi: bytes = b""


@dataclass(frozen=True)
class DeletePayload(PayloadBase):
    """Delete; ``spi_size`` is explicit because an empty SPI list still carries one."""

    TYPE: ClassVar[int] = PayloadType.DELETE
    protocol_id: int
    spi_size: int = 0
    spis: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class VendorIdPayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.VENDOR_ID
    data: bytes


@dataclass(frozen=True)
class TsPayload(PayloadBase):
    """Common shape of TSi and TSr; use the two subclasses."""

    selectors: tuple[TrafficSelector | UnknownTrafficSelector, ...]


@dataclass(frozen=True)
class TsiPayload(TsPayload):
    TYPE: ClassVar[int] = PayloadType.TSI


@dataclass(frozen=True)
class TsrPayload(TsPayload):
    TYPE: ClassVar[int] = PayloadType.TSR


@dataclass(frozen=True)
class SkPayload(PayloadBase):
    """The Encrypted payload, still sealed.

    ``first_payload`` is the type of the first inner payload (the SK header's Next
    Payload field); ``data`` is IV | ciphertext | ICV, which only the crypto layer can
    split because the sizes depend on the negotiated algorithms.
    """

    TYPE: ClassVar[int] = PayloadType.SK
    first_payload: int
    data: bytes


@dataclass(frozen=True)
class SkfPayload(PayloadBase):
    """One Encrypted Fragment (RFC 7383 2.5); ``first_payload`` is 0 except in fragment 1."""

    TYPE: ClassVar[int] = PayloadType.SKF
    fragment_number: int
    total_fragments: int
    first_payload: int
    data: bytes


@dataclass(frozen=True)
class CpPayload(PayloadBase):
    TYPE: ClassVar[int] = PayloadType.CP
    cfg_type: int = CfgType.REQUEST
    attributes: tuple[ConfigAttribute, ...] = ()


@dataclass(frozen=True)
class EapPayload(PayloadBase):
    """One EAP packet; ``eap_type`` is None for Success/Failure (no Type octet)."""

    TYPE: ClassVar[int] = PayloadType.EAP
    code: int
    identifier: int
    eap_type: int | None = None
    data: bytes = b""


@dataclass(frozen=True)
class UnknownPayload(PayloadBase):
    """A payload type the codec does not implement, kept byte for byte."""

    unknown_type: int
    data: bytes

    @property
    def payload_type(self) -> int:
        return self.unknown_type


Payload = (
    SaPayload
    | KePayload
    | NoncePayload
    | IdiPayload
    | IdrPayload
    | CertPayload
    | CertReqPayload
    | AuthPayload
    | NotifyPayload
    | DeletePayload
    | VendorIdPayload
    | TsiPayload
    | TsrPayload
    | SkPayload
    | SkfPayload
    | CpPayload
    | EapPayload
    | UnknownPayload
)
"""Any payload the codec produces or accepts."""
