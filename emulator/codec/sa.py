"""Wire form of the SA payload body: proposals, transforms, attributes (RFC 7296 3.3).

Decoding is strict about the nesting because a proposal whose lengths disagree is the
classic place where two implementations read different offers out of the same bytes:
every declared length must fit its parent exactly, the transform count must match,
and the "last substructure" octet must say 2/3 exactly when another substructure
follows (0 on the last one).
"""

from __future__ import annotations

from emulator.codec.errors import IkeEncodeError, IkeParseError
from emulator.codec.payloads import Proposal, Transform, TransformAttribute
from emulator.codec.reader import Reader
from emulator.const import (
    DhGroup,
    EncrId,
    EsnId,
    IntegId,
    PrfId,
    ProtocolId,
    TransformType,
    enum_or_int,
)

_MORE_PROPOSALS = 2
_MORE_TRANSFORMS = 3
_TV_FLAG = 0x8000
# Transform ids are numbered per transform type; decode names them from the right registry.
_IdRegistry = type[EncrId] | type[PrfId] | type[IntegId] | type[DhGroup] | type[EsnId]
_ID_REGISTRY: dict[int, _IdRegistry] = {
    TransformType.ENCR: EncrId,
    TransformType.PRF: PrfId,
    TransformType.INTEG: IntegId,
    TransformType.DH: DhGroup,
    TransformType.ESN: EsnId,
}


def _check(value: int, bits: int, what: str) -> None:
    if not 0 <= value < (1 << bits):
        raise IkeEncodeError(f"{what} {value} does not fit {bits} bits")


def encode_attribute(attribute: TransformAttribute) -> bytes:
    _check(attribute.attr_type, 15, "attribute type")
    if isinstance(attribute.value, int):
        _check(attribute.value, 16, "TV attribute value")
        word = _TV_FLAG | attribute.attr_type
        return word.to_bytes(2, "big") + attribute.value.to_bytes(2, "big")
    _check(len(attribute.value), 16, "TLV attribute length")
    return (
        attribute.attr_type.to_bytes(2, "big")
        + len(attribute.value).to_bytes(2, "big")
        + attribute.value
    )


def encode_transform(transform: Transform, last: bool) -> bytes:
    _check(transform.transform_type, 8, "transform type")
    _check(transform.transform_id, 16, "transform id")
    attributes = b"".join(encode_attribute(a) for a in transform.attributes)
    length = 8 + len(attributes)
    _check(length, 16, "transform length")
    return (
        bytes([0 if last else _MORE_TRANSFORMS, 0])
        + length.to_bytes(2, "big")
        + bytes([transform.transform_type, 0])
        + transform.transform_id.to_bytes(2, "big")
        + attributes
    )


def encode_proposal(proposal: Proposal, last: bool) -> bytes:
    _check(proposal.number, 8, "proposal number")
    _check(proposal.protocol, 8, "protocol id")
    _check(len(proposal.spi), 8, "SPI size")
    _check(len(proposal.transforms), 8, "transform count")
    count = len(proposal.transforms)
    transforms = b"".join(
        encode_transform(t, i == count - 1) for i, t in enumerate(proposal.transforms)
    )
    length = 8 + len(proposal.spi) + len(transforms)
    _check(length, 16, "proposal length")
    return (
        bytes([0 if last else _MORE_PROPOSALS, 0])
        + length.to_bytes(2, "big")
        + bytes([proposal.number, proposal.protocol, len(proposal.spi), count])
        + proposal.spi
        + transforms
    )


def encode_sa_body(proposals: tuple[Proposal, ...]) -> bytes:
    count = len(proposals)
    return b"".join(encode_proposal(p, i == count - 1) for i, p in enumerate(proposals))


def _decode_attributes(reader: Reader) -> tuple[TransformAttribute, ...]:
    attributes = []
    while not reader.at_end():
        word = reader.u16("attribute type")
        if word & _TV_FLAG:
            attributes.append(TransformAttribute(word & 0x7FFF, reader.u16("TV attribute value")))
        else:
            length = reader.u16("TLV attribute length")
            attributes.append(TransformAttribute(word, reader.take(length, "TLV attribute value")))
    return tuple(attributes)


def _decode_transform(reader: Reader, last: bool) -> Transform:
    start = reader.offset
    more = reader.u8("transform last-substructure octet")
    if more != (0 if last else _MORE_TRANSFORMS):
        raise IkeParseError(start, f"0 on the last transform, 3 before another (got {more})")
    reader.u8("transform reserved octet")
    length = reader.u16("transform length")
    if length < 8:
        raise reader.fail(f"transform length >= 8 (got {length})")
    body = reader.sub(length - 4, "transform body within its proposal")
    transform_type = body.u8("transform type")
    body.u8("transform reserved octet")
    transform_id = body.u16("transform id")
    attributes = _decode_attributes(body)
    registry = _ID_REGISTRY.get(transform_type)
    if registry is not None:
        transform_id = enum_or_int(registry, transform_id)
    return Transform(enum_or_int(TransformType, transform_type), transform_id, attributes)


def _decode_proposal(reader: Reader) -> Proposal:
    start = reader.offset
    more = reader.u8("proposal last-substructure octet")
    reader.u8("proposal reserved octet")
    length = reader.u16("proposal length")
    if length < 8:
        raise reader.fail(f"proposal length >= 8 (got {length})")
    body = reader.sub(length - 4, "proposal body within the SA payload")
    # Only now is it known whether another proposal follows this one.
    if more != (0 if reader.at_end() else _MORE_PROPOSALS):
        raise IkeParseError(start, f"0 on the last proposal, 2 before another (got {more})")
    number = body.u8("proposal number")
    protocol = body.u8("protocol id")
    spi_size = body.u8("SPI size")
    count = body.u8("number of transforms")
    spi = body.take(spi_size, "proposal SPI")
    transforms = tuple(_decode_transform(body, i == count - 1) for i in range(count))
    if not body.at_end():
        raise body.fail(f"end of proposal after {count} transforms")
    return Proposal(number, enum_or_int(ProtocolId, protocol), transforms, spi)


def decode_sa_body(reader: Reader) -> tuple[Proposal, ...]:
    if reader.at_end():
        raise reader.fail("at least one proposal")
    proposals = []
    while not reader.at_end():
        proposals.append(_decode_proposal(reader))
    return tuple(proposals)
