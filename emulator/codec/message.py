"""IKEv2 messages: the header, the payload chain, encode and decode (RFC 7296 3.1-3.2).

The chain is never stored: on encode each payload's Next Payload field is computed
from the payload after it, on decode it decides which class reads the next body. The
Encrypted (SK) and Encrypted Fragment (SKF) payloads end the outer chain: their Next
Payload field names the first payload *inside* them (RFC 7296 3.14, RFC 7383 2.5), so
both must be the last payload and must extend exactly to the end of the message.

``decode`` raises only :class:`IkeParseError`, whatever the input; that is what lets
the emulator feed it anything a gateway sends and lets the fuzz tests hold it to that.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from emulator.codec.bodies import ENCRYPTED_TYPES, KNOWN_TYPES, decode_body, encode_body
from emulator.codec.errors import IkeEncodeError, IkeParseError
from emulator.codec.payloads import (
    NotifyPayload,
    Payload,
    SkfPayload,
    SkPayload,
    UnknownPayload,
)
from emulator.codec.reader import Reader
from emulator.const import ExchangeType, HeaderFlag, NotifyType, PayloadType, enum_or_int

HEADER_SIZE = 28
GENERIC_HEADER_SIZE = 4
IKE_MAJOR_VERSION = 2
_CRITICAL = 0x80

_P = TypeVar("_P", bound=Payload)


@dataclass(frozen=True)
class IkeHeader:
    """The fixed IKE header, minus what encode computes (Next Payload, Length).

    ``flags`` is kept whole (not only the I/R/V bits) so decode/encode is lossless;
    the major version is always 2 and the minor version is kept as received.
    """

    spi_i: bytes
    spi_r: bytes
    exchange: int
    message_id: int
    flags: int = HeaderFlag.INITIATOR
    minor_version: int = 0

    @property
    def is_response(self) -> bool:
        return bool(self.flags & HeaderFlag.RESPONSE)

    @property
    def is_initiator(self) -> bool:
        """True when the original initiator of the IKE SA sent this message."""
        return bool(self.flags & HeaderFlag.INITIATOR)


@dataclass(frozen=True)
class IkeMessage:
    """A header and its payloads in wire order."""

    header: IkeHeader
    payloads: tuple[Payload, ...] = ()

    def find(self, cls: type[_P]) -> _P | None:
        """The first payload of class ``cls``, or None."""
        return next(self.find_all(cls), None)

    def find_all(self, cls: type[_P]) -> Iterator[_P]:
        return (p for p in self.payloads if isinstance(p, cls))

    def notifies(self, notify_type: int) -> tuple[NotifyPayload, ...]:
        return tuple(n for n in self.find_all(NotifyPayload) if n.notify_type == notify_type)


# --- encode -------------------------------------------------------------------------


def _chain(payloads: Sequence[Payload]) -> tuple[int, bytes]:
    """Encode a payload chain; returns (type of the first payload, bytes)."""
    out = bytearray()
    for index, payload in enumerate(payloads):
        last = index == len(payloads) - 1
        if isinstance(payload, SkPayload | SkfPayload):
            if not last:
                raise IkeEncodeError(f"{type(payload).__name__} must be the last payload")
            next_payload = payload.first_payload
        else:
            next_payload = PayloadType.NONE if last else payloads[index + 1].payload_type
        body = encode_body(payload)
        length = GENERIC_HEADER_SIZE + len(body)
        if length > 0xFFFF:
            raise IkeEncodeError(f"payload of {length} bytes does not fit 16-bit length")
        if not 0 <= payload.payload_type < 256 or not 0 <= next_payload < 256:
            raise IkeEncodeError("payload types must fit one octet")
        out += bytes([next_payload, _CRITICAL if payload.critical else 0])
        out += length.to_bytes(2, "big") + body
    first = payloads[0].payload_type if payloads else PayloadType.NONE
    return first, bytes(out)


def encode_payloads(payloads: Sequence[Payload]) -> tuple[int, bytes]:
    """Encode an inner payload chain (the plaintext of SK / the content of SKF).

    Returns the type of the first payload, which goes into the SK header's Next
    Payload field, and the chain bytes.
    """
    return _chain(payloads)


def encode(message: IkeMessage) -> bytes:
    """The exact bytes of ``message``; raises IkeEncodeError if a field cannot fit."""
    header = message.header
    if len(header.spi_i) != 8 or len(header.spi_r) != 8:
        raise IkeEncodeError("IKE SPIs are 8 bytes each")
    first, body = _chain(message.payloads)
    length = HEADER_SIZE + len(body)
    for value, bits, what in (
        (header.exchange, 8, "exchange type"),
        (header.flags, 8, "flags"),
        (header.minor_version, 4, "minor version"),
        (header.message_id, 32, "message id"),
        (length, 32, "message length"),
    ):
        if not 0 <= value < (1 << bits):
            raise IkeEncodeError(f"{what} {value} does not fit {bits} bits")
    return (
        header.spi_i
        + header.spi_r
        + bytes([first, (IKE_MAJOR_VERSION << 4) | header.minor_version])
        + bytes([header.exchange, header.flags])
        + header.message_id.to_bytes(4, "big")
        + length.to_bytes(4, "big")
        + body
    )


# --- decode -------------------------------------------------------------------------


def _decode_chain(reader: Reader, first: int) -> tuple[Payload, ...]:
    payloads: list[Payload] = []
    current = first
    while current != PayloadType.NONE:
        start = reader.offset
        next_payload = reader.u8("next payload type")
        critical = bool(reader.u8("critical flag octet") & _CRITICAL)
        length = reader.u16("payload length")
        if length < GENERIC_HEADER_SIZE:
            raise IkeParseError(start + 2, f"payload length >= 4 (got {length})")
        body = reader.sub(length - GENERIC_HEADER_SIZE, f"payload {current} body")
        if current in ENCRYPTED_TYPES and not reader.at_end():
            raise IkeParseError(start, "SK/SKF as the last payload, reaching the end")
        if current in KNOWN_TYPES:
            payloads.append(decode_body(current, next_payload, critical, body))
        elif critical:
            raise IkeParseError(
                start,
                f"a payload type this peer supports (critical payload {current})",
                notify=NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD,
                notify_data=bytes([current]),
            )
        else:
            payloads.append(UnknownPayload(current, body.rest(), critical=False))
        current = PayloadType.NONE if current in ENCRYPTED_TYPES else next_payload
    if not reader.at_end():
        raise reader.fail(f"end of message after the payload chain ({reader.remaining} left)")
    return tuple(payloads)


def decode_payloads(first_payload: int, data: bytes, base_offset: int = 0) -> tuple[Payload, ...]:
    """Decode an inner payload chain (decrypted SK plaintext, reassembled SKF content).

    ``base_offset`` is added to error offsets so they can point into a larger buffer.
    """
    try:
        return _decode_chain(Reader(data, base=base_offset), first_payload)
    except IkeParseError:
        raise
    except Exception as exc:  # a codec bug must still honour the one-exception contract
        raise IkeParseError(base_offset, f"decodable payloads ({exc!r})") from exc


def decode_header(data: bytes) -> tuple[IkeHeader, int, int]:
    """The header, the first payload type and the declared length.

    Used on its own by transports that must route a datagram (by SPI, message ID,
    exchange) before deciding whether to decode it fully.
    """
    reader = Reader(data)
    spi_i = reader.take(8, "initiator SPI")
    spi_r = reader.take(8, "responder SPI")
    first = reader.u8("next payload type")
    version_offset = reader.offset
    version = reader.u8("version octet")
    if version >> 4 != IKE_MAJOR_VERSION:
        raise IkeParseError(
            version_offset,
            f"major version 2 (got {version >> 4})",
            notify=NotifyType.INVALID_MAJOR_VERSION,
        )
    exchange = reader.u8("exchange type")
    flags = reader.u8("flags")
    message_id = reader.u32("message id")
    length = reader.u32("message length")
    header = IkeHeader(
        spi_i, spi_r, enum_or_int(ExchangeType, exchange), message_id, flags, version & 0x0F
    )
    return header, first, length


def decode(data: bytes) -> IkeMessage:
    """Parse one IKEv2 message (no non-ESP marker); raises only IkeParseError."""
    try:
        header, first, length = decode_header(data)
        if length != len(data):
            raise IkeParseError(24, f"message length {len(data)} (got {length})")
        payloads = _decode_chain(Reader(data, HEADER_SIZE), first)
        return IkeMessage(header, payloads)
    except IkeParseError:
        raise
    except Exception as exc:  # a codec bug must still honour the one-exception contract
        raise IkeParseError(0, f"a decodable message ({exc!r})") from exc
