"""EAP-TLS end to end: the emulator's peer against an in-process TLS server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cryptography import x509
from cryptography.x509.oid import NameOID

from emulator.eap import (
    EapPeer,
    EapTlsMethod,
    ServerCertRejection,
    Tls13Msk,
    TlsPeerConfig,
    TlsVersion,
    WinError,
)
from tests.emulator.eap.certs import Issued, lab
from tests.emulator.eap.conversation import converse
from tests.emulator.eap.tls_server import EapTlsServer

IDENTITY = "carol@example.net"


def _config(user: Issued | None = None, **options: object) -> TlsPeerConfig:
    user = user or lab().client
    config = TlsPeerConfig(user.cert, user.key, trusted_roots=(lab().ca.cert,))
    return replace(config, **options)  # type: ignore[arg-type]


def _server(**options: object) -> EapTlsServer:
    certs = lab()
    defaults: dict[str, object] = {"chain": (certs.intermediate.cert,), "client_ca": certs.ca.cert}
    return EapTlsServer(certs.server, **{**defaults, **options})  # type: ignore[arg-type]


def _run(
    config: TlsPeerConfig, server: EapTlsServer
) -> tuple[EapPeer, list[tuple[bytes, bytes | None]]]:
    peer = EapPeer(IDENTITY, EapTlsMethod(config))
    return peer, converse(peer.respond, server, server.start())


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_tls12_with_client_certificate() -> None:
    server = _server()
    peer, _ = _run(_config(), server)
    assert peer.succeeded, peer.transcript
    assert server.outcome == "success" and server.conn.get_protocol_version_name() == "TLSv1.2"
    assert peer.msk is not None and peer.msk == server.msk and len(peer.msk) == 64
    assert server.client_certificate is not None and _cn(server.client_certificate) == IDENTITY
    assert isinstance(peer.method, EapTlsMethod) and peer.method.tls_version == "TLSv1.2"


def test_rsa_user_key() -> None:
    server = _server()
    peer, _ = _run(_config(lab().client_rsa), server)
    assert peer.succeeded and peer.msk == server.msk


def test_small_fragments_both_ways() -> None:
    server = _server(fragment_size=60)
    peer, exchanges = _run(_config(fragment_size=48), server)
    assert peer.succeeded and peer.msk == server.msk
    # The server acknowledged many client fragments and the peer many server fragments.
    assert server.acks_received >= 20 and server.fragments_received >= 20
    peer_acks = sum(1 for _, reply in exchanges if reply is not None and len(reply) == 6)
    assert peer_acks >= 30
    assert all(reply is None or len(reply) <= 48 for _, reply in exchanges)


def test_without_length_in_unfragmented_messages() -> None:
    server = _server(include_length=False)
    peer, exchanges = _run(_config(length_in_unfragmented=False, fragment_size=4000), server)
    assert peer.succeeded and peer.msk == server.msk
    client_hello = exchanges[0][1]
    assert client_hello is not None and client_hello[5] == 0  # no L flag


def test_client_hello_is_small_like_schannel() -> None:
    """One ECDHE group, no post-quantum hybrid share: the ClientHello fits one packet."""
    for version in (TlsVersion.TLS1_2, TlsVersion.TLS1_3):
        peer = EapPeer(IDENTITY, EapTlsMethod(_config(max_version=version)))
        hello = peer.respond(_server().start())
        assert hello is not None and len(hello) < 400
        assert hello[5] == 0x80  # L flag, unfragmented


def test_verifier_sees_the_chain_and_its_rejection_is_the_outcome() -> None:
    seen: list[list[str]] = []

    def verifier(chain: Sequence[x509.Certificate]) -> ServerCertRejection | None:
        seen.append([_cn(c) for c in chain])
        return ServerCertRejection(WinError.IPSEC_IKE_AUTH_FAIL, "name not in the profile")

    server = _server()
    peer, exchanges = _run(_config(verifier=verifier), server)
    assert seen == [["vpn.example.net", "winterop EAP intermediate", "winterop EAP test CA"]]
    assert peer.failed and peer.failure_code == 13801 and not peer.succeeded
    assert server.outcome == "failure" and server.error is not None  # it got our alert
    assert exchanges[-1][0][0] == 4  # EAP-Failure, after which the peer stops
    assert "name not in the profile" in str(peer.transcript)


def test_verifier_accepting_lets_the_handshake_finish() -> None:
    server = _server()
    peer, _ = _run(_config(verifier=lambda chain: None), server)
    assert peer.succeeded


def test_untrusted_root() -> None:
    server = _server()
    peer, _ = _run(_config(trusted_roots=(lab().rogue_ca.cert,)), server)
    assert peer.failure_code == WinError.IPSEC_IKE_AUTH_FAIL
    server = _server()
    peer, _ = _run(_config(trusted_roots=(lab().rogue_ca.cert,), untrusted_root_error=864), server)
    assert peer.failure_code == 864


def test_expired_server_certificate() -> None:
    server = EapTlsServer(lab().expired_server, client_ca=lab().ca.cert)
    peer, _ = _run(_config(), server)
    assert peer.failure_code == WinError.EAP_SERVER_CERT_EXPIRED


def test_no_user_certificate_is_798() -> None:
    config = TlsPeerConfig(None, None, trusted_roots=(lab().ca.cert,))
    peer = EapPeer(IDENTITY, EapTlsMethod(config))
    assert peer.respond(_server().start()) is None
    assert peer.failure_code == WinError.NO_EAPTLS_CERTIFICATE == 798


def test_gateway_rejecting_the_user_certificate() -> None:
    server = _server(client_ca=lab().rogue_ca.cert)
    peer, _ = _run(_config(), server)
    assert server.outcome == "failure" and peer.failed
    assert peer.failure_code == WinError.IPSEC_IKE_AUTH_FAIL


def test_eap_success_before_the_handshake_finished_is_refused() -> None:
    peer = EapPeer(IDENTITY, EapTlsMethod(_config()))
    server = _server()
    assert peer.respond(server.start()) is not None
    assert peer.respond(bytes([3, server.identifier + 1, 0, 4])) is None
    assert peer.failure_code == WinError.UNABLE_TO_AUTHENTICATE_SERVER and peer.msk is None


def test_nak_to_tls_when_mschapv2_is_proposed() -> None:
    peer = EapPeer(IDENTITY, EapTlsMethod(_config()))
    challenge = bytes([1, 3, 0, 28, 26, 1, 3, 0, 23, 16]) + bytes(16) + b"gw"
    assert peer.respond(challenge) == bytes([2, 3, 0, 6, 3, 13])


# --- TLS 1.3 ----------------------------------------------------------------------------


def test_tls13_against_strongswan_59() -> None:
    server = _server(max_version="1.3", mode="strongswan-5.9")
    config = _config(max_version=TlsVersion.TLS1_3, tls13_msk=Tls13Msk.STRONGSWAN_59)
    peer, _ = _run(config, server)
    assert peer.succeeded, peer.transcript
    assert server.conn.get_protocol_version_name() == "TLSv1.3"
    assert peer.msk == server.msk


def test_tls13_rfc9190_with_success_indication() -> None:
    server = _server(max_version="1.3", mode="rfc9190")
    peer, _ = _run(_config(max_version=TlsVersion.TLS1_3), server)
    assert peer.succeeded and peer.msk == server.msk
    assert "protected success indication" in str(peer.transcript)


def test_rfc9190_client_against_strongswan_59_fails() -> None:
    """A real Windows 11 with TLS 1.3 vs 5.9.8 with version_max 1.3: no indication."""
    server = _server(max_version="1.3", mode="strongswan-5.9")
    peer, _ = _run(_config(max_version=TlsVersion.TLS1_3), server)
    assert server.outcome == "success" and peer.failure_code == 778
    # Without insisting on the indication the EAP "succeeds", but the MSKs differ, so the
    # gateway would reject the IKE AUTH payload.
    server = _server(max_version="1.3", mode="strongswan-5.9")
    peer, _ = _run(_config(max_version=TlsVersion.TLS1_3, require_success_indication=False), server)
    assert peer.succeeded and peer.msk is not None and peer.msk != server.msk


def test_tls13_client_against_a_default_tls12_gateway() -> None:
    """5.9.8 defaults to version_max 1.2: Windows 11 offering 1.3 negotiates 1.2."""
    server = _server(max_version="1.2")
    peer, _ = _run(_config(max_version=TlsVersion.TLS1_3), server)
    assert peer.succeeded and peer.msk == server.msk
    assert isinstance(peer.method, EapTlsMethod) and peer.method.tls_version == "TLSv1.2"


def test_tls13_small_fragments_and_client_auth() -> None:
    server = _server(max_version="1.3", mode="rfc9190", fragment_size=100)
    peer, _ = _run(_config(max_version=TlsVersion.TLS1_3, fragment_size=64), server)
    assert peer.succeeded and peer.msk == server.msk
    assert server.client_certificate is not None


def test_tls13_verifier_rejection() -> None:
    server = _server(max_version="1.3")
    config = _config(
        max_version=TlsVersion.TLS1_3,
        verifier=lambda chain: ServerCertRejection(801, "server EKU"),
    )
    peer, _ = _run(config, server)
    assert peer.failure_code == 801 and server.outcome == "failure"


def test_transcript_has_no_key_material() -> None:
    server = _server()
    peer, _ = _run(_config(), server)
    assert peer.msk is not None
    text = str(peer.transcript).lower()
    assert peer.msk[:16].hex() not in text and "private" not in text
    assert "private_key" not in repr(_config())
