"""A scripted in-process IKEv2 responder for testing the initiator state machine.

It speaks enough real IKEv2 (built from the emulator's own codec and crypto, which have
their own known-answer tests) to complete IKE_SA_INIT and a certificate IKE_AUTH on
127.0.0.1, and can be told to misbehave in the ways a hostile or broken gateway does:
stay silent, refuse proposals, demand a cookie or another group, truncate or corrupt its
answers, use foreign SPIs, sign wrongly. It also checks the client's AUTH signature, so a
test can tell "the gateway accepted the client" from "the client did not notice".
The real-gateway behaviour is covered by the suites against charon.
"""

from __future__ import annotations

import ipaddress
import os
import queue
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emulator.codec import (
    AuthPayload,
    CertPayload,
    ConfigAttribute,
    CpPayload,
    DeletePayload,
    EapPayload,
    IdiPayload,
    IdrPayload,
    IkeHeader,
    IkeMessage,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    SaPayload,
    SkfPayload,
    TrafficSelector,
    TsiPayload,
    TsrPayload,
    decode,
    encode,
    id_body,
)
from emulator.const import (
    AuthMethod,
    CertEncoding,
    CfgType,
    ConfigAttributeType,
    ExchangeType,
    HeaderFlag,
    IdType,
    NotifyType,
    ProtocolId,
    TransformType,
)
from emulator.crypto import (
    AuthError,
    IkeSaKeys,
    IkeSuite,
    SkProtection,
    ike_sa_keys,
    key_exchange,
    method_for_key,
    protect_message,
    reassemble,
    sign,
    signed_octets,
    unprotect_fragment,
    unprotect_message,
    verify,
)
from emulator.crypto.auth import SigningKey, shared_key_mic, verify_shared_key_mic
from emulator.eap import decode_eap, encode_eap
from emulator.sa.natt import natd_hash
from infra.pki.material import PkiMaterial

MARKER = b"\x00\x00\x00\x00"
VIRTUAL_IP = ipaddress.IPv4Address("198.19.3.1")
ESP_SPI = bytes.fromhex("c0ffee01")

Mutation = Callable[[bytes], bytes]


class EapServer(Protocol):
    """An in-test EAP authenticator (tests/emulator/eap): Request/Identity first, then one
    request per response; ``msk`` once it has sent EAP-Success."""

    msk: bytes | None

    def start(self) -> bytes: ...

    def handle(self, response: bytes) -> bytes: ...


RekeyReply = tuple[Payload, ...] | bytes | None


@dataclass
class Script:
    """How the responder behaves; the defaults make a well-behaved gateway."""

    silent_init: bool = False
    silent_auth: bool = False
    refuse_proposals: bool = False
    cookie: bytes | None = None
    want_group: int | None = None
    mutate_init: Mutation | None = None
    mutate_auth: Mutation | None = None
    forge_auth: bool = False
    auth_failed_notify: bool = False
    child_notify: int | None = None
    fragmentation: bool = True
    edit_auth: Callable[[list[Payload]], list[Payload]] | None = None
    """Rewrites the IKE_AUTH response payloads before they are sealed (authentic garbage)."""
    fragment_auth: Callable[[IkeHeader, tuple[Payload, ...], SkProtection], list[bytes]] | None = (
        None
    )
    """Sends the IKE_AUTH response as these datagrams (RFC 7383 fragments cut, reordered,
    repeated or broken at will) instead of one sealed message."""
    silent_informational: bool = False
    eap: EapServer | None = None
    """Authenticate the client with EAP (cases B and C) when its first IKE_AUTH has no AUTH."""
    forge_eap_auth: bool = False
    """Send a method-2 AUTH that does not match the MSK after EAP-Success."""
    eap_auth_method: int = AuthMethod.SHARED_KEY_MIC
    """The method of the gateway's AUTH after EAP (2 is the only right one)."""
    rekey_reply: Callable[[_Sa, tuple[Payload, ...]], RekeyReply] | None = None
    """How to answer the client's CREATE_CHILD_SA: payloads to seal, raw bytes (sent as
    they are: garbage, foreign SPIs), or None (no answer). None here: not at all."""


@dataclass
class _Sa:
    spi_i: bytes
    spi_r: bytes
    suite: IkeSuite
    keys: IkeSaKeys
    request: bytes
    response: bytes
    nonce_i: bytes
    nonce_r: bytes
    chunks: dict[int, bytes] = field(default_factory=dict)
    first_payload: int = 0
    idi: IdiPayload | None = None
    idr: IdrPayload | None = None
    offer: SaPayload | None = None


class ScriptedResponder:
    """Two UDP sockets on 127.0.0.1 (IKE and NAT-T ports) and a thread answering on them."""

    def __init__(self, gateway: PkiMaterial, script: Script | None = None) -> None:
        self.gateway = gateway
        self.key: SigningKey = gateway.private_key()
        self.script = script or Script()
        self.ike = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.natt = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.ike.bind(("127.0.0.1", 0))
        self.natt.bind(("127.0.0.1", 0))
        self.received: list[IkeMessage] = []
        self.inner: list[tuple[int, tuple[Payload, ...]]] = []
        """(exchange, decrypted payloads) of every authenticated request."""
        self.client_auth_verified: bool | None = None
        self.unsolicited_eap = False
        """The client put an EAP payload into its first IKE_AUTH (Windows never does)."""
        self.sa: _Sa | None = None
        self.client: tuple[str, int] | None = None
        self.events: queue.Queue[str] = queue.Queue()
        self.errors: list[BaseException] = []
        self._answered: dict[bytes, list[bytes]] = {}
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._cookie_sent = False
        self._thread = threading.Thread(target=self._run, name="scripted-responder", daemon=True)
        self._thread.start()

    @property
    def ports(self) -> tuple[int, int]:
        return int(self.ike.getsockname()[1]), int(self.natt.getsockname()[1])

    def close(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self.ike.close()
        self.natt.close()

    # --- loop ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.ike, self.natt, self._wake_r], [], [])
            for sock in ready:
                if sock is self._wake_r:
                    continue
                assert isinstance(sock, socket.socket)
                data, peer = sock.recvfrom(65535)
                natt = sock is self.natt
                if natt:
                    if data == b"\xff":
                        self.events.put("keepalive")
                        continue
                    if data[:4] != MARKER:
                        continue
                    data = data[4:]
                self.client = peer
                self.received.append(decode(data))
                replies = self._answered.get(data)
                if replies is None:
                    try:
                        replies = self._handle(data, peer)
                    except Exception as exc:  # reported to the test, never silently lost
                        self.errors.append(exc)
                        replies = []
                    self._answered[data] = replies  # a retransmission gets the same answer
                for reply in replies:
                    sock.sendto(MARKER + reply if natt else reply, peer)

    def _handle(self, data: bytes, peer: tuple[str, int]) -> list[bytes]:
        message = decode(data)
        header = message.header
        if header.exchange == ExchangeType.IKE_SA_INIT:
            return self._init(message, data, peer)
        sa = self.sa
        if sa is None:
            return []
        opened = self._open(message, data, sa)
        if opened is None:
            return []
        self.inner.append((header.exchange, opened))
        if header.is_response:
            self.events.put(f"response {header.exchange}")
            return []
        if header.exchange == ExchangeType.IKE_AUTH:
            return self._auth(sa, header, opened)
        if header.exchange == ExchangeType.CREATE_CHILD_SA and self.script.rekey_reply:
            self.events.put("create_child_sa")
            reply = self.script.rekey_reply(sa, opened)
            if reply is None:
                return []
            if isinstance(reply, bytes):
                return [reply]
            return [self._seal(sa, header.exchange, header.message_id, reply, response=True)]
        if header.exchange == ExchangeType.INFORMATIONAL:
            if self.script.silent_informational:
                self.events.put("informational (unanswered)")
                return []
            deletes = [p for p in opened if isinstance(p, DeletePayload)]
            answer: tuple[Payload, ...] = ()
            if deletes and deletes[0].protocol_id == ProtocolId.ESP:
                answer = (DeletePayload(ProtocolId.ESP, 4, (ESP_SPI,)),)
            self.events.put("informational")
            return [self._seal(sa, header.exchange, header.message_id, answer, response=True)]
        return []

    def _open(self, message: IkeMessage, data: bytes, sa: _Sa) -> tuple[Payload, ...] | None:
        protection = SkProtection.for_sender(sa.suite, sa.keys, initiator=True)
        last = message.payloads[-1]
        if isinstance(last, SkfPayload):
            _, skf, chunk = unprotect_fragment(data, protection)
            sa.chunks[skf.fragment_number] = chunk
            if skf.fragment_number == 1:
                sa.first_payload = skf.first_payload
            if len(sa.chunks) < skf.total_fragments:
                return None
            ordered = [sa.chunks[n] for n in range(1, skf.total_fragments + 1)]
            sa.chunks = {}
            return reassemble(sa.first_payload, ordered)
        _, payloads = unprotect_message(data, protection)
        return payloads

    # --- IKE_SA_INIT -----------------------------------------------------------------

    def _init(self, message: IkeMessage, data: bytes, peer: tuple[str, int]) -> list[bytes]:
        script = self.script
        if script.silent_init:
            return []
        header = message.header
        spi_r = os.urandom(8)
        reply_header = IkeHeader(header.spi_i, bytes(8), ExchangeType.IKE_SA_INIT, 0, 0x20)
        if script.refuse_proposals:
            return [
                encode(IkeMessage(reply_header, (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),)))
            ]
        if script.cookie is not None and not message.notifies(NotifyType.COOKIE):
            self._cookie_sent = True
            cookie = NotifyPayload(NotifyType.COOKIE, script.cookie)
            return [encode(IkeMessage(reply_header, (cookie,)))]
        ke = message.find(KePayload)
        sa = message.find(SaPayload)
        nonce = message.find(NoncePayload)
        assert ke is not None and sa is not None and nonce is not None
        if script.want_group is not None and ke.group != script.want_group:
            notify = NotifyPayload(
                NotifyType.INVALID_KE_PAYLOAD, script.want_group.to_bytes(2, "big")
            )
            return [encode(IkeMessage(reply_header, (notify,)))]
        proposal = next(
            p
            for p in sa.proposals
            if any(
                t.transform_type == TransformType.DH and t.transform_id == ke.group
                for t in p.transforms
            )
        )
        ours = key_exchange(ke.group)
        nonce_r = os.urandom(32)
        suite = IkeSuite.from_proposal(proposal)
        keys = ike_sa_keys(
            suite.prf,
            nonce.data,
            nonce_r,
            ours.shared_secret(ke.data),
            header.spi_i,
            spi_r,
            suite.encr.key_size,
            0 if suite.integ is None else suite.integ.key_size,
        )
        address = ipaddress.ip_address(peer[0])
        payloads: list[Payload] = [
            SaPayload((proposal,)),
            KePayload(ke.group, ours.public_value),
            NoncePayload(nonce_r),
            NotifyPayload(
                NotifyType.NAT_DETECTION_SOURCE_IP,
                natd_hash(header.spi_i, spi_r, ipaddress.ip_address("127.0.0.1"), self.ports[0]),
            ),
            NotifyPayload(
                NotifyType.NAT_DETECTION_DESTINATION_IP,
                natd_hash(header.spi_i, spi_r, address, peer[1]),
            ),
        ]
        if script.fragmentation and message.notifies(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED):
            payloads.append(NotifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED))
        response_header = replace(reply_header, spi_r=spi_r)
        response = encode(IkeMessage(response_header, tuple(payloads)))
        if script.mutate_init is not None:
            response = script.mutate_init(response)  # and sign what was really sent
        self.sa = _Sa(header.spi_i, spi_r, suite, keys, data, response, nonce.data, nonce_r)
        return [response]

    # --- IKE_AUTH --------------------------------------------------------------------

    def _auth(self, sa: _Sa, header: IkeHeader, payloads: tuple[Payload, ...]) -> list[bytes]:
        script = self.script
        if script.eap is not None and sa.idi is None:
            sa.idi = next((p for p in payloads if isinstance(p, IdiPayload)), None)
            sa.offer = next((p for p in payloads if isinstance(p, SaPayload)), None)
        if script.eap is not None and not any(isinstance(p, AuthPayload) for p in payloads):
            return self._eap_round(sa, header, payloads)
        if script.eap is not None:
            return self._eap_final(sa, header, payloads)
        self._verify_client(sa, payloads)
        if script.silent_auth:
            return []
        if script.auth_failed_notify:
            notify = NotifyPayload(NotifyType.AUTHENTICATION_FAILED)
            return [self._seal(sa, header.exchange, header.message_id, (notify,), response=True)]
        idr = IdrPayload(IdType.FQDN, self.gateway.identity.encode())
        method = method_for_key(self.key)
        octets = signed_octets(sa.response, sa.nonce_i, sa.suite.prf, sa.keys.sk_pr, id_body(idr))
        signature = sign(method, self.key, octets)
        if script.forge_auth:
            signature = bytes(len(signature))
        offered = next(p for p in payloads if isinstance(p, SaPayload))
        answer: list[Payload] = [
            idr,
            CertPayload(CertEncoding.X509_SIGNATURE, self.gateway.cert_der()),
            AuthPayload(method, signature),
            *self._child(offered),
        ]
        return self._answer_auth(sa, header, answer)

    def _child(self, offered: SaPayload) -> list[Payload]:
        """The CHILD SA part of the last IKE_AUTH response (or the script's refusal)."""
        if self.script.child_notify is not None:
            return [NotifyPayload(self.script.child_notify)]
        chosen = replace(offered.proposals[0], spi=ESP_SPI)
        return [
            CpPayload(
                CfgType.REPLY,
                (ConfigAttribute(ConfigAttributeType.INTERNAL_IP4_ADDRESS, VIRTUAL_IP.packed),),
            ),
            SaPayload((chosen,)),
            TsiPayload((TrafficSelector(VIRTUAL_IP, VIRTUAL_IP),)),
            TsrPayload((TrafficSelector.any_ipv4(),)),
        ]

    def _answer_auth(self, sa: _Sa, header: IkeHeader, answer: list[Payload]) -> list[bytes]:
        script = self.script
        if script.edit_auth is not None:
            answer = script.edit_auth(answer)
        sealed = self._seal(sa, header.exchange, header.message_id, tuple(answer), response=True)
        self.events.put("auth")
        if script.fragment_auth is not None:
            reply = IkeHeader(
                sa.spi_i, sa.spi_r, header.exchange, header.message_id, HeaderFlag.RESPONSE
            )
            protection = SkProtection.for_sender(sa.suite, sa.keys, initiator=False)
            return script.fragment_auth(reply, tuple(answer), protection)
        if script.mutate_auth is not None:
            return [script.mutate_auth(sealed)]
        return [sealed]

    # --- IKE_AUTH with EAP (RFC 7296 2.16) ----------------------------------------------

    def _eap_round(self, sa: _Sa, header: IkeHeader, payloads: tuple[Payload, ...]) -> list[bytes]:
        """The first request gets `IDr CERT AUTH EAP/REQ/ID`; every later one the server's
        answer to the EAP response it carries."""
        server = self.script.eap
        assert server is not None
        eap = next((p for p in payloads if isinstance(p, EapPayload)), None)
        if sa.idr is None:
            if eap is not None:
                self.unsolicited_eap = True
            sa.idr = IdrPayload(IdType.FQDN, self.gateway.identity.encode())
            method = method_for_key(self.key)
            octets = signed_octets(
                sa.response, sa.nonce_i, sa.suite.prf, sa.keys.sk_pr, id_body(sa.idr)
            )
            answer: list[Payload] = [
                sa.idr,
                CertPayload(CertEncoding.X509_SIGNATURE, self.gateway.cert_der()),
                AuthPayload(method, sign(method, self.key, octets)),
                decode_eap(server.start()),
            ]
            return self._answer_auth(sa, header, answer)
        assert eap is not None, "an EAP round without an EAP payload"
        reply = decode_eap(server.handle(encode_eap(eap)))
        return self._answer_auth(sa, header, [reply])

    def _eap_final(self, sa: _Sa, header: IkeHeader, payloads: tuple[Payload, ...]) -> list[bytes]:
        """Check the client's MSK AUTH; answer with ours and the CHILD SA."""
        server, script = self.script.eap, self.script
        assert server is not None and sa.idi is not None and sa.idr is not None
        auth = next(p for p in payloads if isinstance(p, AuthPayload))
        msk = server.msk or b""
        octets = signed_octets(sa.request, sa.nonce_r, sa.suite.prf, sa.keys.sk_pi, id_body(sa.idi))
        try:
            if auth.method != AuthMethod.SHARED_KEY_MIC or not msk:
                raise AuthError(f"method {auth.method} after EAP")
            verify_shared_key_mic(sa.suite.prf, msk, octets, auth.data)
        except AuthError:
            self.client_auth_verified = False
            notify = NotifyPayload(NotifyType.AUTHENTICATION_FAILED)
            return self._answer_auth(sa, header, [notify])
        self.client_auth_verified = True
        ours = signed_octets(sa.response, sa.nonce_i, sa.suite.prf, sa.keys.sk_pr, id_body(sa.idr))
        key = bytes(len(msk)) if script.forge_eap_auth else msk
        data = shared_key_mic(sa.suite.prf, key, ours)
        assert sa.offer is not None
        answer: list[Payload] = [AuthPayload(script.eap_auth_method, data), *self._child(sa.offer)]
        return self._answer_auth(sa, header, answer)

    def _verify_client(self, sa: _Sa, payloads: tuple[Payload, ...]) -> None:
        idi = next((p for p in payloads if isinstance(p, IdiPayload)), None)
        auth = next((p for p in payloads if isinstance(p, AuthPayload)), None)
        cert = next((p for p in payloads if isinstance(p, CertPayload)), None)
        if idi is None or auth is None or cert is None:
            self.client_auth_verified = False
            return
        key = x509.load_der_x509_certificate(cert.data).public_key()
        assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        octets = signed_octets(sa.request, sa.nonce_r, sa.suite.prf, sa.keys.sk_pi, id_body(idi))
        try:
            verify(auth.method, key, octets, auth.data)
        except AuthError:
            self.client_auth_verified = False
        else:
            self.client_auth_verified = True

    # --- requests from the gateway ---------------------------------------------------

    def send_request(
        self,
        payloads: tuple[Payload, ...],
        message_id: int = 0,
        exchange: int = ExchangeType.INFORMATIONAL,
    ) -> None:
        """Send a request (a liveness check, a Delete, a CREATE_CHILD_SA) to the client."""
        sa, client = self.sa, self.client
        assert sa is not None and client is not None
        header = IkeHeader(sa.spi_i, sa.spi_r, exchange, message_id, 0)
        protection = SkProtection.for_sender(sa.suite, sa.keys, initiator=False)
        self.natt.sendto(MARKER + protect_message(header, payloads, protection), client)

    def _seal(
        self,
        sa: _Sa,
        exchange: int,
        message_id: int,
        payloads: tuple[Payload, ...],
        *,
        response: bool,
    ) -> bytes:
        flags = HeaderFlag.RESPONSE if response else 0
        header = IkeHeader(sa.spi_i, sa.spi_r, exchange, message_id, flags)
        return protect_message(
            header, payloads, SkProtection.for_sender(sa.suite, sa.keys, initiator=False)
        )
