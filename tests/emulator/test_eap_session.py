"""EAP in IKE_AUTH (cases B and C) against the scripted responder on 127.0.0.1.

The responder authenticates the client with the in-test EAP servers of tests/emulator/eap
(written from the RFCs, copying strongSwan 5.9.8's observable choices) and checks the
client's MSK-based AUTH itself, so "connected" here means both ends derived the same MSK.
Windows' order (windows-client-behavior.md 2.2, 2.6): the first IKE_AUTH carries no AUTH,
no CERT and no EAP; the client waits for EAP-Request/Identity; then AUTH method 2 both ways.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from emulator.codec import AuthPayload, DeletePayload, EapPayload, IdiPayload, Payload
from emulator.const import ExchangeType, IdType, PayloadType, ProtocolId
from emulator.eap import (
    EapPeer,
    EapTlsMethod,
    FinalFailure,
    MschapV2Method,
    MschapV2Policy,
    Tls13Msk,
    TlsPeerConfig,
    TlsVersion,
)
from emulator.log import ClientLog
from emulator.sa.dial import DialConfig
from emulator.sa.eap_authenticator import EapAuthenticator, address_idi
from infra.pki.lab_pki import LabPki
from tests.emulator.eap.certs import lab
from tests.emulator.eap.mschap_server import MschapV2Server
from tests.emulator.eap.tls_server import EapTlsServer
from tests.emulator.responder import EapServer, Script, ScriptedResponder
from tests.emulator.test_session import HOSTILE, config, connect, dial, failure, hang_up

PASSWORD = "Correct horse 42"
ROOT_HASH = bytes(range(20))


def _mschapv2(
    lab_pki: LabPki,
    *,
    password: str = PASSWORD,
    identity: str = "carol",
    on_final_failure: FinalFailure = FinalFailure.SILENT,
    idi: IdiPayload | None = None,
    time_scale: float = 10.0,
) -> tuple[DialConfig, EapAuthenticator]:
    policy = MschapV2Policy(on_final_failure=on_final_failure)
    peer = EapPeer(identity, MschapV2Method(identity, password, policy))
    authenticator = EapAuthenticator(peer, (ROOT_HASH,), ClientLog(), idi=idi)
    return replace(config(lab_pki, time_scale=time_scale), authenticator=authenticator), (
        authenticator
    )


def _responder(lab_pki: LabPki, server: EapServer, **script: object) -> ScriptedResponder:
    return ScriptedResponder(lab_pki.gateway(), Script(eap=server, **script))  # type: ignore[arg-type]


def _auth_requests(gateway: ScriptedResponder) -> list[tuple[Payload, ...]]:
    return [p for x, p in gateway.inner if x == ExchangeType.IKE_AUTH]


def test_mschapv2_the_windows_way_and_method_2_auth_both_ways(lab_pki: LabPki) -> None:
    server = MschapV2Server({"carol": PASSWORD})
    gateway = _responder(lab_pki, server)
    try:
        dial_config, authenticator = _mschapv2(lab_pki)
        session = dial(gateway, dial_config)
        connect(session)
        assert session.up and gateway.client_auth_verified is True
        requests = _auth_requests(gateway)
        # 2.2: IDi CERTREQ N(MOBIKE_SUP) CP SA TSi TSr, no AUTH / CERT / EAP / IDr
        assert [p.payload_type for p in requests[0]] == [35, 38, 41, 47, 33, 44, 45]
        idi = requests[0][0]
        assert idi == IdiPayload(IdType.IPV4_ADDR, bytes([127, 0, 0, 1]))
        assert not gateway.unsolicited_eap
        # then exactly one EAP payload per request: identity, response, success response
        eap = [r for r in requests[1:-1]]
        assert all(len(r) == 1 and isinstance(r[0], EapPayload) for r in eap)
        assert [r[0].eap_type for r in eap if isinstance(r[0], EapPayload)] == [1, 26, 26]
        last = requests[-1]
        assert len(last) == 1 and isinstance(last[0], AuthPayload) and last[0].method == 2
        assert server.identity == "carol" and server.state == "done"
        log = "\n".join(authenticator._log.lines)
        assert "EAP method succeeded" in log and PASSWORD not in log
        assert server.msk is not None and server.msk[:16].hex() not in log.lower()
        hang_up(session)
    finally:
        gateway.close()
    assert not gateway.errors, gateway.errors


def test_idi_carries_the_local_address_of_either_family() -> None:
    """2.6: ID_IPV4_ADDR; over an IPv6 underlay presumably ID_IPV6_ADDR (uncertain)."""
    v4, v6 = ipaddress.ip_address("198.51.100.7"), ipaddress.ip_address("2001:db8::7")
    assert address_idi(v4) == IdiPayload(IdType.IPV4_ADDR, v4.packed)
    assert address_idi(v6) == IdiPayload(IdType.IPV6_ADDR, v6.packed)


def test_nak_when_the_gateway_offers_eap_tls_first(lab_pki: LabPki) -> None:
    """strongSwan's eap-dynamic offers EAP-TLS first (reference 2.7); a password client
    answers with a NAK naming MS-CHAPv2 and goes on."""
    server = MschapV2Server({"carol": PASSWORD}, propose_tls_first=True)
    gateway = _responder(lab_pki, server)
    try:
        session = dial(gateway, _mschapv2(lab_pki)[0])
        connect(session)
        assert session.up and gateway.client_auth_verified is True
        types = [
            r[0].eap_type for r in _auth_requests(gateway)[1:] if r and isinstance(r[0], EapPayload)
        ]
        assert types == [1, 3, 26, 26]
        hang_up(session)
    finally:
        gateway.close()


@pytest.mark.parametrize(
    ("final", "deletes"),
    [(FinalFailure.SILENT, False), (FinalFailure.DELETE, True)],
    ids=["windows-8-and-later", "windows-7"],
)
def test_wrong_password_is_691_and_only_windows_7_deletes(
    lab_pki: LabPki, final: FinalFailure, deletes: bool
) -> None:
    server = MschapV2Server({"carol": PASSWORD})
    gateway = _responder(lab_pki, server)
    try:
        dial_config, authenticator = _mschapv2(lab_pki, password="wrong", on_final_failure=final)
        error, elapsed = failure(dial(gateway, dial_config))
        assert error.code == 691 and "E=691 R=1" in error.reason
        assert elapsed < 2.0
        assert authenticator.peer.failure_code == 691
        # the gateway's Failure request is never answered in EAP
        assert len(_auth_requests(gateway)) == 3
        if deletes:
            assert gateway.events.get(timeout=2) == "auth"
            while (event := gateway.events.get(timeout=2)) == "auth":
                pass
            assert event == "informational"
        informational = [p for x, p in gateway.inner if x == ExchangeType.INFORMATIONAL]
        assert informational == ([(DeletePayload(ProtocolId.IKE),)] if deletes else [])
    finally:
        gateway.close()


def test_the_identity_is_sent_as_windows_builds_it(lab_pki: LabPki) -> None:
    server = MschapV2Server({"DOMAIN\\carol": PASSWORD})
    gateway = _responder(lab_pki, server)
    try:
        session = dial(gateway, _mschapv2(lab_pki, identity="DOMAIN\\carol")[0])
        connect(session)
        assert server.identity == "DOMAIN\\carol" and server.names == ["DOMAIN\\carol"]
        hang_up(session)
    finally:
        gateway.close()


def test_extended_idi_replaces_the_address(lab_pki: LabPki) -> None:
    server = MschapV2Server({"carol@example.net": PASSWORD})
    gateway = _responder(lab_pki, server)
    idi = IdiPayload(IdType.RFC822_ADDR, b"carol@example.net")
    try:
        dial_config, _ = _mschapv2(lab_pki, identity="carol@example.net", idi=idi)
        session = dial(gateway, dial_config)
        connect(session)
        assert _auth_requests(gateway)[0][0] == idi
        hang_up(session)
    finally:
        gateway.close()


@pytest.mark.parametrize(
    "script",
    [{"forge_eap_auth": True}, {"eap_auth_method": 1}],
    ids=["forged-msk-auth", "signature-after-eap"],
)
def test_a_gateway_that_cannot_prove_the_msk_is_13801(
    lab_pki: LabPki, script: dict[str, object]
) -> None:
    gateway = _responder(lab_pki, MschapV2Server({"carol": PASSWORD}), **script)
    try:
        error, _ = failure(dial(gateway, _mschapv2(lab_pki)[0]))
        assert error.code == 13801 and "after EAP" in error.reason
        assert gateway.client_auth_verified is True  # the client's own AUTH was right
    finally:
        gateway.close()


def test_a_gateway_that_rejects_the_msk_auth_is_13801(lab_pki: LabPki) -> None:
    server = MschapV2Server({"carol": PASSWORD})
    gateway = _responder(lab_pki, server)
    try:
        dial_config, authenticator = _mschapv2(lab_pki)
        # The client derives its MSK from its own password; a gateway that holds another
        # one for the user would fail EAP already, so corrupt the MSK the gateway keeps.
        original = server._success

        def corrupt(*args: object) -> bytes:
            reply = original(*args)  # type: ignore[arg-type]
            assert server.msk is not None
            server.msk = bytes(b ^ 0xFF for b in server.msk)
            return reply

        server._success = corrupt  # type: ignore[method-assign]
        error, _ = failure(dial(gateway, dial_config))
        assert error.code == 13801 and "AUTHENTICATION_FAILED" in error.reason
        assert gateway.client_auth_verified is False
        assert authenticator.peer.succeeded
    finally:
        gateway.close()


def test_missing_eap_payload_mid_conversation_is_classified(lab_pki: LabPki) -> None:
    def drop_eap(payloads: list[Payload]) -> list[Payload]:
        return (
            [p for p in payloads if not isinstance(p, EapPayload)]
            if len(payloads) == 1
            else (payloads)
        )

    gateway = _responder(lab_pki, MschapV2Server({"carol": PASSWORD}), edit_auth=drop_eap)
    try:
        error, elapsed = failure(dial(gateway, _mschapv2(lab_pki, time_scale=HOSTILE)[0]))
        assert error.code == 13843 and "EAP" in error.reason and elapsed < 2.0
    finally:
        gateway.close()


# --- EAP-TLS ----------------------------------------------------------------------------


def _tls_config(lab_pki: LabPki, **options: object) -> DialConfig:
    certs = lab()
    tls = TlsPeerConfig(certs.client.cert, certs.client.key, trusted_roots=(certs.ca.cert,))
    peer = EapPeer("carol@example.net", EapTlsMethod(replace(tls, **options)))  # type: ignore[arg-type]
    authenticator = EapAuthenticator(peer, (ROOT_HASH,), ClientLog())
    return replace(config(lab_pki), authenticator=authenticator)


class IdentityFirst:
    """strongSwan's eap-identity in front of an EAP-TLS server: Request/Identity, then the
    method's Start (the in-test TLS server starts with the Start itself)."""

    def __init__(self, server: EapTlsServer) -> None:
        self.server = server
        self.identity: str | None = None

    @property
    def msk(self) -> bytes | None:
        return self.server.msk

    def start(self) -> bytes:
        return bytes([1, 0, 0, 5, 1])

    def handle(self, response: bytes) -> bytes:
        if self.identity is None:
            assert response[:2] == bytes([2, 0]) and response[4] == 1, "Response/Identity"
            self.identity = response[5:].decode()
            return self.server.start()
        return self.server.handle(response)


def _tls_server(**options: object) -> IdentityFirst:
    certs = lab()
    defaults: dict[str, object] = {"chain": (certs.intermediate.cert,), "client_ca": certs.ca.cert}
    return IdentityFirst(EapTlsServer(certs.server, **{**defaults, **options}))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("server_options", "client_options"),
    [
        ({}, {}),
        (
            {"max_version": "1.3", "mode": "strongswan-5.9"},
            {"max_version": TlsVersion.TLS1_3, "tls13_msk": Tls13Msk.STRONGSWAN_59},
        ),
        ({"max_version": "1.3", "mode": "rfc9190"}, {"max_version": TlsVersion.TLS1_3}),
    ],
    ids=["tls12", "tls13-strongswan-5.9-msk", "tls13-rfc9190"],
)
def test_eap_tls_with_fragments_and_the_msk_in_ike_auth(
    lab_pki: LabPki, server_options: dict[str, object], client_options: dict[str, object]
) -> None:
    server = _tls_server(**server_options)
    gateway = _responder(lab_pki, server)
    try:
        session = dial(gateway, _tls_config(lab_pki, **client_options))
        connect(session)
        assert session.up and gateway.client_auth_verified is True
        assert server.identity == "carol@example.net"
        assert server.server.outcome == "success" and server.server.fragments_sent >= 1
        rounds = _auth_requests(gateway)[1:-1]
        assert all(len(r) == 1 and isinstance(r[0], EapPayload) for r in rounds)
        # identity, ClientHello, the ACK of the server's first fragment, the client's flight
        assert len(rounds) >= 4
        hang_up(session)
    finally:
        gateway.close()


def test_eap_tls_with_the_wrong_tls13_msk_fails_at_the_ike_auth(lab_pki: LabPki) -> None:
    """An RFC 9190 client against strongSwan 5.9's TLS 1.3 MSK: the TLS handshake works,
    the gateway sends EAP-Success without the protected success indication, and the client
    does not accept it (reference 2.8: a real Windows 11 fails against a 5.9.8 gateway
    configured for TLS 1.3)."""
    server = _tls_server(max_version="1.3", mode="strongswan-5.9")
    gateway = _responder(lab_pki, server)
    try:
        dial_config = _tls_config(lab_pki, max_version=TlsVersion.TLS1_3)
        error, _ = failure(dial(gateway, dial_config))
        assert error.code == 778 and "success indication" in error.reason
    finally:
        gateway.close()


def test_eap_tls_server_certificate_from_an_untrusted_root(lab_pki: LabPki) -> None:
    certs = lab()
    server = _tls_server()
    gateway = _responder(lab_pki, server)
    try:
        error, _ = failure(
            dial(gateway, _tls_config(lab_pki, trusted_roots=(certs.rogue_ca.cert,)))
        )
        assert error.code == 13801 and "server chain" in error.reason
        assert server.server.outcome == "failure"  # the alert reached it, it ended EAP
    finally:
        gateway.close()


def test_eap_tls_without_a_user_certificate_is_798_at_the_start(lab_pki: LabPki) -> None:
    certs = lab()
    tls = TlsPeerConfig(None, None, trusted_roots=(certs.ca.cert,))
    authenticator = EapAuthenticator(EapPeer("", EapTlsMethod(tls)), (), ClientLog())
    gateway = _responder(lab_pki, _tls_server())
    try:
        dial_config = replace(config(lab_pki), authenticator=authenticator)
        error, _ = failure(dial(gateway, dial_config))
        assert error.code == 798
        first = _auth_requests(gateway)[0]
        assert PayloadType.CERTREQ not in [p.payload_type for p in first]  # no root hashes
    finally:
        gateway.close()
