"""Wire form of TSi/TSr bodies (RFC 7296 3.13).

Address-range selectors have a fixed size (16 bytes for IPv4, 40 for IPv6), so a
selector length that disagrees with its type is an error rather than something to
guess around. Selectors of other types (Fibre Channel, security labels) are kept
opaque so a gateway that sends them can still be decoded and reported.
"""

from __future__ import annotations

import ipaddress

from emulator.codec.errors import IkeEncodeError, IkeParseError
from emulator.codec.payloads import TrafficSelector, UnknownTrafficSelector
from emulator.codec.reader import Reader
from emulator.const import TsType, enum_or_int

_RANGE_LENGTH = {TsType.IPV4_ADDR_RANGE: 16, TsType.IPV6_ADDR_RANGE: 40}


def _encode_selector(selector: TrafficSelector | UnknownTrafficSelector) -> bytes:
    if isinstance(selector, UnknownTrafficSelector):
        if not 0 <= selector.ts_type < 256 or not 0 <= selector.ip_protocol < 256:
            raise IkeEncodeError("TS type and IP protocol must fit one octet each")
        length = 4 + len(selector.data)
        if length > 0xFFFF:
            raise IkeEncodeError(f"selector length {length} does not fit 16 bits")
        return (
            bytes([selector.ts_type, selector.ip_protocol])
            + length.to_bytes(2, "big")
            + selector.data
        )
    if selector.start_address.version != selector.end_address.version:
        raise IkeEncodeError("selector start and end addresses differ in family")
    for value, bits, what in (
        (selector.ip_protocol, 8, "IP protocol"),
        (selector.start_port, 16, "start port"),
        (selector.end_port, 16, "end port"),
    ):
        if not 0 <= value < (1 << bits):
            raise IkeEncodeError(f"{what} {value} does not fit {bits} bits")
    ts_type = selector.ts_type
    return (
        bytes([ts_type, selector.ip_protocol])
        + _RANGE_LENGTH[ts_type].to_bytes(2, "big")
        + selector.start_port.to_bytes(2, "big")
        + selector.end_port.to_bytes(2, "big")
        + selector.start_address.packed
        + selector.end_address.packed
    )


def encode_ts_body(selectors: tuple[TrafficSelector | UnknownTrafficSelector, ...]) -> bytes:
    if len(selectors) > 255:
        raise IkeEncodeError(f"{len(selectors)} selectors do not fit the one-octet count")
    return bytes([len(selectors), 0, 0, 0]) + b"".join(_encode_selector(s) for s in selectors)


def _decode_selector(reader: Reader) -> TrafficSelector | UnknownTrafficSelector:
    start = reader.offset
    ts_type = reader.u8("TS type")
    ip_protocol = reader.u8("IP protocol id")
    length = reader.u16("selector length")
    if length < 4:
        raise IkeParseError(start, f"selector length >= 4 (got {length})")
    body = reader.sub(length - 4, "selector within the TS payload")
    if ts_type not in _RANGE_LENGTH:
        return UnknownTrafficSelector(enum_or_int(TsType, ts_type), ip_protocol, body.rest())
    expected = _RANGE_LENGTH[TsType(ts_type)]
    if length != expected:
        raise IkeParseError(start, f"selector length {expected} for TS type {ts_type}")
    start_port = body.u16("start port")
    end_port = body.u16("end port")
    size = 4 if ts_type == TsType.IPV4_ADDR_RANGE else 16
    start_address = ipaddress.ip_address(body.take(size, "start address"))
    end_address = ipaddress.ip_address(body.take(size, "end address"))
    return TrafficSelector(start_address, end_address, ip_protocol, start_port, end_port)


def decode_ts_body(reader: Reader) -> tuple[TrafficSelector | UnknownTrafficSelector, ...]:
    count = reader.u8("number of traffic selectors")
    reader.take(3, "TS reserved octets")
    selectors = tuple(_decode_selector(reader) for _ in range(count))
    if not reader.at_end():
        raise reader.fail(f"end of TS payload after {count} selectors")
    return selectors
