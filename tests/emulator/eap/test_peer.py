"""The generic EAP peer: packets, Identity, Notification, NAK, outcomes, robustness."""

from __future__ import annotations

import pytest

from emulator.codec import EapPayload
from emulator.const import EapCode, EapType
from emulator.eap import (
    EapParseError,
    EapPeer,
    MschapV2Method,
    WinError,
    decode_eap,
    encode_eap,
    identity_response,
    nak_response,
    strip_domain,
    windows_eap_identity,
)


def _peer(identity: str = "carol") -> EapPeer:
    return EapPeer(identity, MschapV2Method(identity, "pw"))


def _request(identifier: int, eap_type: int, data: bytes = b"") -> bytes:
    return encode_eap(EapPayload(EapCode.REQUEST, identifier, eap_type, data))


def test_decode_encode_round_trip_uses_the_codec_type() -> None:
    packet = decode_eap(bytes([1, 3, 0, 6, 13, 0x20]))
    assert packet == EapPayload(EapCode.REQUEST, 3, EapType.TLS, b"\x20")
    assert encode_eap(packet) == bytes([1, 3, 0, 6, 13, 0x20])
    assert decode_eap(bytes([3, 9, 0, 4])) == EapPayload(EapCode.SUCCESS, 9)


def test_decode_ignores_link_layer_padding() -> None:
    assert decode_eap(bytes([4, 1, 0, 4, 0, 0])) == EapPayload(EapCode.FAILURE, 1)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x01\x01\x00",
        bytes([1, 1, 0, 3]),  # Length below the header
        bytes([1, 1, 0, 9, 1]),  # Length beyond the data
        bytes([1, 1, 0, 4]),  # Request without Type
        bytes([3, 1, 0, 5, 0]),  # Success with data
        bytes([5, 1, 0, 4]),  # unknown Code
    ],
)
def test_decode_rejects(raw: bytes) -> None:
    with pytest.raises(EapParseError):
        decode_eap(raw)


def test_identity_and_nak_builders() -> None:
    assert identity_response(4, "ACME\\carol") == bytes([2, 4, 0, 15, 1]) + b"ACME\\carol"
    assert nak_response(5, EapType.MSCHAPV2) == bytes([2, 5, 0, 6, 3, 26])


def test_windows_identity_forms() -> None:
    assert windows_eap_identity("carol") == "carol"
    assert windows_eap_identity("carol", "ACME") == "ACME\\carol"
    assert windows_eap_identity("User", "Windows Phone") == "Windows Phone\\User"
    assert strip_domain("carol") == "carol"
    with pytest.raises(ValueError):
        windows_eap_identity("")


def test_identity_request_is_answered_with_the_identity() -> None:
    peer = _peer("Windows Phone\\User")
    assert peer.respond(_request(1, EapType.IDENTITY)) == identity_response(
        1, "Windows Phone\\User"
    )
    assert not peer.done


def test_notification_is_acknowledged() -> None:
    peer = _peer()
    reply = peer.respond(_request(2, EapType.NOTIFICATION, b"hello\x07"))
    assert reply == bytes([2, 2, 0, 5, 2])
    assert any("'hello?'" in line for line in peer.transcript.lines)


def test_duplicate_request_gets_the_same_response() -> None:
    peer = _peer()
    request = _request(1, EapType.IDENTITY)
    first = peer.respond(request)
    assert peer.respond(request) == first
    assert "duplicate" in str(peer.transcript)


def test_eap_failure_after_identity_is_691_and_after_nak_812() -> None:
    peer = _peer()
    peer.respond(_request(1, EapType.IDENTITY))
    assert peer.respond(bytes([4, 2, 0, 4])) is None
    assert peer.failure_code == WinError.AUTHENTICATION_FAILURE
    peer = _peer()
    assert peer.respond(_request(1, EapType.TLS, b"\x20")) == nak_response(1, EapType.MSCHAPV2)
    assert peer.respond(bytes([4, 2, 0, 4])) is None
    assert peer.failure_code == WinError.SERVER_POLICY


def test_eap_success_before_any_method_is_refused() -> None:
    peer = _peer()
    assert peer.respond(bytes([3, 1, 0, 4])) is None
    assert peer.failure_code == WinError.UNABLE_TO_AUTHENTICATE_SERVER and not peer.succeeded


@pytest.mark.parametrize(
    "raw",
    [
        b"\x01",  # malformed EAP
        bytes([2, 1, 0, 5, 1]),  # a Response from the gateway
        bytes([1, 1, 0, 6, 3, 26]),  # a Nak as Request
        bytes([1, 1, 0, 6, 26, 9]),  # MSCHAPv2 OpCode 9 while expecting a Challenge
        bytes([1, 1, 0, 8, 26, 1, 1, 0]),  # truncated Challenge
    ],
)
def test_protocol_violations_end_with_an_error_not_an_exception(raw: bytes) -> None:
    peer = _peer()
    assert peer.respond(raw) is None
    assert peer.failed and peer.failure_code == WinError.IPSEC_IKE_ERROR


def test_method_switch_after_start_is_a_violation() -> None:
    peer = _peer()
    challenge = bytes([1, 1, 0, 26, 16]) + bytes(16) + b"gw"
    assert peer.respond(_request(1, EapType.MSCHAPV2, challenge)) is not None
    assert peer.respond(_request(2, EapType.TLS, b"\x20")) is None
    assert peer.failure_code == WinError.IPSEC_IKE_ERROR


def test_nothing_is_answered_after_the_end() -> None:
    peer = _peer()
    peer.respond(bytes([4, 1, 0, 4]))
    assert peer.respond(_request(2, EapType.IDENTITY)) is None
    assert peer.failure_code == WinError.AUTHENTICATION_FAILURE


def test_respond_payload_speaks_the_codec_type() -> None:
    peer = _peer()
    reply = peer.respond_payload(EapPayload(EapCode.REQUEST, 7, EapType.IDENTITY))
    assert reply == EapPayload(EapCode.RESPONSE, 7, EapType.IDENTITY, b"carol")
