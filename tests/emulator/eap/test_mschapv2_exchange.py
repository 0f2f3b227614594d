"""EAP-MSCHAPv2 end to end: the emulator's peer against the in-test authenticator."""

from __future__ import annotations

from emulator.eap import (
    EapPeer,
    FinalFailure,
    MschapV2Method,
    MschapV2Policy,
    RetryCredential,
    WinError,
    windows_eap_identity,
)
from tests.emulator.eap.conversation import converse
from tests.emulator.eap.mschap_server import MschapV2Server

PASSWORD = "correct horse"


def _peer(identity: str, password: str = PASSWORD, **policy: object) -> EapPeer:
    return EapPeer(identity, MschapV2Method(identity, password, MschapV2Policy(**policy)))  # type: ignore[arg-type]


def test_success_msk_matches_the_server() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol")
    exchanges = converse(peer.respond, server, server.start())
    assert peer.succeeded and not peer.failed and peer.failure_code is None
    assert server.state == "done" and server.msk is not None
    assert peer.msk == server.msk and len(server.msk) == 64 and server.msk[32:] == bytes(32)
    # Identity, Challenge, Success request, EAP-Success: 3 responses then the end.
    assert [reply is None for _, reply in exchanges] == [False, False, False, True]


def test_wire_forms_of_the_responses() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol")
    converse(peer.respond, server, server.start())
    identity, response, success = server.received
    assert identity[4:] == b"\x01carol"
    assert response[4:6] == bytes([26, 2])  # MSCHAPV2, OpCode Response
    assert int.from_bytes(response[7:9], "big") == len(response) - 5  # MS-Length
    assert response[6] == server.ms_id  # MS-CHAPv2-ID echoes the Challenge
    assert len(success) == 6 and success[4:] == bytes([26, 3])  # short Success Response


def test_eap_dynamic_tls_first_gets_a_nak() -> None:
    server = MschapV2Server({"carol": PASSWORD}, propose_tls_first=True)
    peer = _peer("carol")
    converse(peer.respond, server, server.start())
    assert peer.succeeded
    nak = server.received[1]
    assert nak[0] == 2 and int.from_bytes(nak[2:4], "big") == 6 and nak[4:] == bytes([3, 26])
    assert any("NAK, desired MSCHAPV2" in line for line in peer.transcript.lines)


def test_domain_and_windows_phone_identities_hash_the_user_part() -> None:
    for identity in (
        windows_eap_identity("carol", "ACME"),
        windows_eap_identity("User", "Windows Phone"),
    ):
        server = MschapV2Server({identity: PASSWORD})
        peer = _peer(identity)
        converse(peer.respond, server, server.start())
        assert peer.succeeded, peer.transcript
        assert server.identity == identity and server.names == [identity]


def test_wrong_password_without_retries_ends_with_691_silently() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol", "wrong")
    exchanges = converse(peer.respond, server, server.start())
    assert peer.failed and peer.failure_code == WinError.AUTHENTICATION_FAILURE == 691
    assert not peer.delete_requested and peer.msk is None
    assert exchanges[-1][0][4:6] == bytes([26, 4])  # it stopped at the Failure Request
    assert server.retries == 1 and server.state == "response"


def test_wrong_password_retry_then_691() -> None:
    """R=1 retry with a still-wrong password, then the second Failure ends it: 691."""
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol", "wrong", retries=1, retry_credentials=(RetryCredential("carol", "bad2"),))
    converse(peer.respond, server, server.start())
    assert peer.failure_code == 691 and server.retries == 2
    assert len(server.names) == 2
    assert any("retry 1 of 1" in line for line in peer.transcript.lines)


def test_retry_with_the_right_password_succeeds() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    retry = (RetryCredential("carol", PASSWORD),)
    peer = _peer("carol", "wrong", retries=2, retry_credentials=retry)
    converse(peer.respond, server, server.start())
    assert peer.succeeded and peer.msk == server.msk and server.retries == 1


def test_gateway_runs_out_of_retries_eap_failure_is_691() -> None:
    """strongSwan allows 2 retries, then sends EAP-Failure instead of another Failure Request."""
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol", "wrong", retries=5)
    converse(peer.respond, server, server.start())
    assert peer.failure_code == 691 and server.retries == 3 and server.state == "done"


def test_windows7_keeps_the_first_user_name_on_retry() -> None:
    server = MschapV2Server({"carol": PASSWORD, "dave": PASSWORD})
    retry = (RetryCredential("dave", PASSWORD),)
    peer = _peer("carol", "wrong", retries=1, retry_credentials=retry, keep_first_user=True)
    converse(peer.respond, server, server.start())
    assert server.names == ["carol", "carol"]
    assert peer.succeeded  # carol's secret equals the retyped password


def test_retyped_user_name_is_used_when_configured() -> None:
    server = MschapV2Server({"dave": PASSWORD})
    retry = (RetryCredential("dave", PASSWORD),)
    peer = _peer("carol", "wrong", retries=1, retry_credentials=retry, keep_first_user=False)
    converse(peer.respond, server, server.start())
    assert server.names == ["carol", "dave"] and peer.succeeded


def test_windows7_deletes_instead_of_answering() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol", "wrong", on_final_failure=FinalFailure.DELETE)
    converse(peer.respond, server, server.start())
    assert peer.failure_code == 691 and peer.delete_requested


def test_rfc_failure_response_option() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol", "wrong", on_final_failure=FinalFailure.FAILURE_RESPONSE)
    exchanges = converse(peer.respond, server, server.start())
    assert server.received[-1][4:] == bytes([26, 4]) and len(server.received[-1]) == 6
    assert exchanges[-1][0][0] == 4  # the gateway ended with EAP-Failure
    assert peer.failure_code == 691


def test_non_retriable_error_code_is_reported() -> None:
    server = MschapV2Server({"carol": PASSWORD}, failure_text=b"E=648 R=0 V=3 M=expired")
    peer = _peer("carol", "wrong", retries=2)
    converse(peer.respond, server, server.start())
    assert peer.failure_code == 648


def test_bad_authenticator_response_fails_the_gateway() -> None:
    server = MschapV2Server({"carol": PASSWORD}, forge_authenticator=True)
    peer = _peer("carol")
    exchanges = converse(peer.respond, server, server.start())
    assert peer.failed and peer.failure_code == WinError.UNABLE_TO_AUTHENTICATE_SERVER
    assert exchanges[-1][1] is None and len(server.received) == 2  # no Success Response
    assert not peer.succeeded and peer.msk is None
    assert any("S= does not match" in line for line in peer.transcript.lines)


def test_eap_success_without_success_request_is_refused() -> None:
    server = MschapV2Server({"carol": PASSWORD}, skip_success_request=True)
    peer = _peer("carol")
    converse(peer.respond, server, server.start())
    assert peer.failure_code == WinError.UNABLE_TO_AUTHENTICATE_SERVER and peer.msk is None


def test_transcript_never_holds_secrets() -> None:
    server = MschapV2Server({"carol": PASSWORD})
    peer = _peer("carol")
    converse(peer.respond, server, server.start())
    text = str(peer.transcript)
    assert PASSWORD not in text and peer.msk is not None
    for secret in (peer.msk[:16], peer.msk[16:32]):
        assert secret.hex() not in text.lower()
    assert PASSWORD not in repr(RetryCredential("x", PASSWORD)) + repr(peer.method)


def test_rfc_vectors_through_the_method() -> None:
    """With RFC 2759's peer challenge, the Response carries RFC 2759's NT-Response."""
    peer_challenge = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
    method = MschapV2Method("User", "clientPass", random_bytes=lambda n: peer_challenge[:n])
    peer = EapPeer("User", method)
    challenge = bytes([1, 5, 0, 4 + 1 + 16 + 10, 16]) + bytes.fromhex(
        "5B5D7C7D7B3F2F3E3C2C602132262628"
    )
    body = bytes([26]) + challenge + b"strongSwan"
    request = bytes([1, 9]) + (4 + len(body)).to_bytes(2, "big") + body
    reply = peer.respond(request)
    assert reply is not None
    assert reply[34:58] == bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
    success = bytes([26, 3, 5, 0, 46]) + b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=hi"
    reply = peer.respond(bytes([1, 10]) + (4 + len(success)).to_bytes(2, "big") + success)
    assert reply == bytes([2, 10, 0, 6, 26, 3])
    assert peer.respond(bytes([3, 11, 0, 4])) is None and peer.succeeded
    assert peer.msk is not None and peer.msk[16:32] == bytes.fromhex(
        "8B7CDC149B993A1BA118CB153F56DCCB"
    )
