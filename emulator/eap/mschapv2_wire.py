"""EAP-MSCHAPv2 packet layouts (draft-kamath-pppext-eap-mschapv2-02, RFC 2759 sections 4-6).

Type-Data of EAP type 26 is ``OpCode | MS-CHAPv2-ID | MS-Length | data``, except the
peer's Success and Failure Responses, which are the OpCode alone (strongSwan's
``SHORT_HEADER_LEN``). MS-Length is "EAP Length - 5" (the Type-Data length). On receipt
it is not checked, as strongSwan 5.9.8 does not check it either; the EAP Length rules.
Success and Failure Requests carry text; strongSwan's Success text ends with a NUL
(its length includes ``sizeof`` the message), so text is cut at the first NUL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from emulator.eap.errors import EapParseError
from emulator.eap.mschapv2_crypto import CHALLENGE_LEN, NT_RESPONSE_LEN

HEADER_LEN = 4
"""OpCode, MS-CHAPv2-ID, MS-Length."""
RESPONSE_VALUE_LEN = 49
"""Peer-Challenge 16 | Reserved 8 | NT-Response 24 | Flags 1."""


class OpCode(enum.IntEnum):
    CHALLENGE = 1
    RESPONSE = 2
    SUCCESS = 3
    FAILURE = 4
    CHANGE_PASSWORD = 7


@dataclass(frozen=True)
class MschapHeader:
    opcode: int
    ms_chapv2_id: int
    body: bytes


@dataclass(frozen=True)
class Challenge:
    """An authenticator Challenge: 16 random octets and the authenticator's name."""

    challenge: bytes
    name: str


@dataclass(frozen=True)
class SuccessRequest:
    """``S=<40 hex> M=<message>``; ``authenticator`` is None if S= is absent or malformed."""

    authenticator: bytes | None
    message: str


@dataclass(frozen=True)
class FailureRequest:
    """``E=<error> R=<retry> C=<challenge> V=<version> M=<message>`` (RFC 2759 6)."""

    error: int | None
    retriable: bool
    challenge: bytes | None
    version: int | None
    message: str


def parse_header(type_data: bytes) -> MschapHeader:
    if not type_data:
        raise EapParseError(0, "an MS-CHAPv2 OpCode")
    if len(type_data) < HEADER_LEN:
        # only the peer's short Success/Failure Responses are this small.
        return MschapHeader(type_data[0], 0, b"")
    return MschapHeader(type_data[0], type_data[1], bytes(type_data[HEADER_LEN:]))


def parse_challenge(body: bytes) -> Challenge:
    """The Challenge body: Value-Size (16) | Challenge | Name (at least one octet)."""
    if len(body) < 1 + CHALLENGE_LEN + 1:
        raise EapParseError(HEADER_LEN, "Value-Size, a 16-octet challenge and a name")
    if body[0] != CHALLENGE_LEN:
        raise EapParseError(HEADER_LEN, f"Value-Size {CHALLENGE_LEN}, got {body[0]}")
    name = body[1 + CHALLENGE_LEN :].decode("utf-8", "replace")
    return Challenge(bytes(body[1 : 1 + CHALLENGE_LEN]), name)


def _text(body: bytes) -> str:
    return body.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()


def _fields(text: str) -> tuple[dict[str, str], str]:
    """Split ``K=v K=v ... M=free text`` into the keyed tokens and the M= text."""
    fields: dict[str, str] = {}
    tokens = text.split(" ")
    for index, token in enumerate(tokens):
        key, sep, value = token.partition("=")
        if not sep:
            continue
        if key.upper() == "M":
            return fields, " ".join([value, *tokens[index + 1 :]])
        fields.setdefault(key.upper(), value)
    return fields, ""


def _hex(value: str | None, octets: int) -> bytes | None:
    if value is None or len(value) != 2 * octets:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def parse_success(body: bytes) -> SuccessRequest:
    fields, message = _fields(_text(body))
    return SuccessRequest(_hex(fields.get("S"), 20), message)


def parse_failure(body: bytes) -> FailureRequest:
    fields, message = _fields(_text(body))
    error = fields.get("E", "")
    version = fields.get("V", "")
    return FailureRequest(
        error=int(error) if error.isdigit() and len(error) <= 10 else None,
        retriable=fields.get("R") == "1",
        challenge=_hex(fields.get("C"), CHALLENGE_LEN),
        version=int(version) if version.isdigit() and len(version) <= 10 else None,
        message=message,
    )


def build_response(
    ms_chapv2_id: int, peer_challenge: bytes, nt_response: bytes, name: str
) -> bytes:
    """The peer's Response Type-Data: the Name is the full identity, domain included."""
    if len(peer_challenge) != CHALLENGE_LEN or len(nt_response) != NT_RESPONSE_LEN:
        raise ValueError("peer challenge must be 16 bytes and NT-Response 24 bytes")
    value = peer_challenge + b"\x00" * 8 + nt_response + b"\x00"
    body = bytes([RESPONSE_VALUE_LEN]) + value + name.encode("utf-8")
    ms_length = HEADER_LEN + len(body)
    return bytes([OpCode.RESPONSE, ms_chapv2_id & 0xFF]) + ms_length.to_bytes(2, "big") + body


def build_short(opcode: OpCode) -> bytes:
    """The peer's Success or Failure Response: the OpCode alone (EAP Length 6)."""
    return bytes([opcode])
