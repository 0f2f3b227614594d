"""EAP-TLS Type-Data: flags, the TLS Message Length, fragmentation (RFC 5216 section 3).

Type-Data is ``Flags | [TLS Message Length (4)] | TLS data``; flag L says the length
field is present, M that more fragments follow, S that this is the server's Start. An
acknowledgement is Type-Data with flags 0 and no data (Windows sends exactly that,
strongswan/strongswan#2875; strongSwan treats any 6-octet EAP-TLS packet as an ACK in
``tls_eap.c``). Sizes follow strongSwan's convention: a fragment size is the size of the
whole EAP packet, headers included (``charon.plugins.eap-tls.fragment_size``, default
1024), and no reassembled message may exceed ``4 * (16384 + 2048)`` octets
(``TLS_MAX_MESSAGE_LEN`` in 5.9.8 ``src/libtls/tls_eap.c``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from emulator.eap.errors import EapParseError

EAP_TLS_HEADER_LEN = 6
"""EAP Code, Identifier, Length, Type and the EAP-TLS Flags octet."""
MAX_TLS_MESSAGE_LEN = 4 * (16384 + 2048)
MIN_FRAGMENT_SIZE = EAP_TLS_HEADER_LEN + 4 + 1


class TlsFlags(enum.IntFlag):
    LENGTH = 0x80
    MORE = 0x40
    START = 0x20


@dataclass(frozen=True)
class EapTlsData:
    """One parsed EAP-TLS Type-Data."""

    flags: int
    tls_length: int | None
    data: bytes

    @property
    def start(self) -> bool:
        return bool(self.flags & TlsFlags.START)

    @property
    def more(self) -> bool:
        return bool(self.flags & TlsFlags.MORE)

    @property
    def is_ack(self) -> bool:
        """No data, no length, not a Start: "send me your next fragment"."""
        return not self.data and self.tls_length is None and not self.start


ACK = bytes([0])
"""The Type-Data of an acknowledgement."""


def parse_eap_tls(type_data: bytes) -> EapTlsData:
    """Parse Type-Data; raises only :class:`EapParseError`."""
    if not type_data:
        raise EapParseError(0, "an EAP-TLS Flags octet")
    flags = type_data[0]
    if not flags & TlsFlags.LENGTH:
        return EapTlsData(flags, None, bytes(type_data[1:]))
    if len(type_data) < 5:
        raise EapParseError(1, "a 4-octet TLS Message Length (L flag set)")
    length = int.from_bytes(type_data[1:5], "big")
    data = bytes(type_data[5:])
    if length > MAX_TLS_MESSAGE_LEN or length < len(data):
        raise EapParseError(1, f"a TLS Message Length of {len(data)}..{MAX_TLS_MESSAGE_LEN}")
    return EapTlsData(flags, length, data)


def build_eap_tls(flags: int, data: bytes, tls_length: int | None = None) -> bytes:
    """Type-Data with ``flags``; the L flag is set exactly when ``tls_length`` is given."""
    flags = int(flags) & ~int(TlsFlags.LENGTH) & 0xFF
    if tls_length is None:
        return bytes([flags]) + data
    return bytes([flags | TlsFlags.LENGTH]) + tls_length.to_bytes(4, "big") + data


def fragment(message: bytes, fragment_size: int, *, length_in_single: bool) -> list[bytes]:
    """Split a TLS message (or flight) into EAP-TLS Type-Data of at most ``fragment_size``.

    The first fragment of a fragmented message carries L and M, the middle ones M, the
    last neither (RFC 5216 3.1). ``length_in_single`` adds the length field to a message
    that fits one packet (allowed by RFC 5216; strongSwan's ``include_length``).
    """
    if fragment_size < MIN_FRAGMENT_SIZE:
        raise ValueError(f"an EAP-TLS fragment size must be at least {MIN_FRAGMENT_SIZE}")
    room = fragment_size - EAP_TLS_HEADER_LEN
    total = len(message)
    if total + (4 if length_in_single else 0) <= room:
        return [build_eap_tls(0, message, total if length_in_single else None)]
    first = room - 4
    pieces = [build_eap_tls(TlsFlags.MORE, message[:first], total)]
    for offset in range(first, total, room):
        chunk = message[offset : offset + room]
        last = offset + room >= total
        pieces.append(build_eap_tls(0 if last else TlsFlags.MORE, chunk))
    return pieces


class Reassembler:
    """Collects the fragments of one incoming TLS message.

    Strict where a mismatch means a broken gateway: the data may not exceed the
    announced TLS Message Length, and must equal it when the last fragment arrives.
    A first fragment without L is accepted (strongSwan accepts it too), with no check.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._expected: int | None = None
        self._active = False

    @property
    def active(self) -> bool:
        """A fragmented message has started and its last fragment is still missing."""
        return self._active

    def add(self, part: EapTlsData) -> bytes | None:
        """Add one fragment; the whole message once the fragment without M arrives."""
        if not self._active and part.tls_length is not None:
            self._expected = part.tls_length
        elif part.tls_length is not None and part.tls_length != self._expected:
            raise EapParseError(1, f"the TLS Message Length {self._expected} again")
        self._buffer += part.data
        if len(self._buffer) > (self._expected or MAX_TLS_MESSAGE_LEN):
            raise EapParseError(5, "no more data than the announced TLS Message Length")
        if part.more:
            self._active = True
            return None
        message = bytes(self._buffer)
        expected = self._expected
        self._buffer.clear()
        self._expected = None
        self._active = False
        if expected is not None and len(message) != expected:
            raise EapParseError(1, f"TLS Message Length {len(message)}, announced {expected}")
        return message
