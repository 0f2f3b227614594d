"""Cases B and C: the client authenticates with EAP inside IKE_AUTH, as Windows does it.

Sequence (windows-client-behavior.md 2.6-2.8, RFC 7296 2.16):

1. ``IDi CERTREQ N(MOBIKE_SUP) CP SA TSi TSr``: no AUTH, no CERT and no EAP payload, which
   is how the gateway learns that the client wants EAP. IDi is the client's current local
   address (ID_IPV4_ADDR / ID_IPV6_ADDR; behind a NAT its LAN address) unless the machine
   derived another one (ExtendedIDiSupport).
2. The gateway answers ``IDr CERT AUTH EAP/REQ/ID``; the engine checks its certificate
   and signature first. Windows never sends EAP unsolicited: every later request carries
   exactly the EAP packet the :class:`~emulator.eap.EapPeer` returns for the gateway's
   last one (identity, a NAK when the gateway proposes another method first, the
   method's rounds).
3. After EAP-Success: ``AUTH`` alone, method 2 keyed with the MSK,
   ``prf(prf(MSK, "Key Pad for IKEv2"), RealMessage1 | Nr | prf(SK_pi, IDi'))``.
4. The gateway's last response must carry its own method-2 AUTH over
   ``RealMessage2 | Ni | prf(SK_pr, IDr')`` with the same MSK; only then is the gateway
   proven to be the EAP server the client talked to.

An EAP failure ends the attempt with the Windows error number the peer decided (691,
798, 13801, ...); whether a Delete follows is the peer's (the build's) decision.
"""

from __future__ import annotations

import ipaddress

from emulator.codec import AuthPayload, CertReqPayload, EapPayload, IdiPayload, IdrPayload, Payload
from emulator.codec import id_body as payload_id_body
from emulator.const import AuthMethod, CertEncoding, IdType
from emulator.crypto import AuthError, signed_octets
from emulator.crypto.auth import shared_key_mic, verify_shared_key_mic
from emulator.eap import EapPeer
from emulator.log import ClientLog
from emulator.sa.auth_exchange import raise_for_error_notify
from emulator.sa.authenticator import AuthContext
from emulator.sa.errors import (
    ERROR_IPSEC_IKE_AUTH_FAIL,
    ERROR_IPSEC_IKE_ERROR,
    ConnectError,
    ProtocolViolation,
)

_FAILURE_CONTEXT_LINES = 3
"""Transcript notes quoted in the failure reason (the decisive ones are the last)."""
_BOOKKEEPING = ("ignored", "failed: Windows error", "the IKE layer should")
"""Transcript notes that repeat what the error itself says."""


def address_idi(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> IdiPayload:
    """IDi carrying an address: ID_IPV4_ADDR (1) or ID_IPV6_ADDR (5)."""
    kind = IdType.IPV4_ADDR if address.version == 4 else IdType.IPV6_ADDR
    return IdiPayload(kind, address.packed)


class EapAuthenticator:
    """Drives one :class:`EapPeer` through IKE_AUTH, then proves the MSK both ways."""

    def __init__(
        self,
        peer: EapPeer,
        certreq_hashes: tuple[bytes, ...],
        log: ClientLog,
        *,
        idi: IdiPayload | None = None,
    ) -> None:
        """IDI None: the client's current local address (the Windows default)."""
        self.peer = peer
        self._certreq = certreq_hashes
        self._log = log
        self._fixed_idi = idi
        self._idi: IdiPayload | None = None
        self._idr: IdrPayload | None = None
        self._final_auth_sent = False
        self._logged = 0

    # --- Authenticator ---------------------------------------------------------------

    def idi(self, context: AuthContext) -> IdiPayload:
        if self._idi is None:
            self._idi = self._fixed_idi or address_idi(context.local_address)
        return self._idi

    def first_payloads(self, context: AuthContext) -> tuple[Payload, ...]:
        if not self._certreq:
            return ()
        return (CertReqPayload(CertEncoding.X509_SIGNATURE, b"".join(self._certreq)),)

    def next_payloads(
        self, context: AuthContext, response: tuple[Payload, ...]
    ) -> tuple[Payload, ...] | None:
        if self._final_auth_sent:
            self._verify_gateway_auth(context, response)
            return None
        if self._idr is None:
            self._idr = next((p for p in response if isinstance(p, IdrPayload)), None)
        eap = next((p for p in response if isinstance(p, EapPayload)), None)
        if eap is None:
            raise_for_error_notify(response, "an EAP round of IKE_AUTH")
            raise ProtocolViolation("IKE_AUTH response without EAP payload while EAP is running")
        reply = self.peer.respond_payload(eap)
        self._flush_transcript()
        if reply is not None:
            return (reply,)
        if self.peer.succeeded:
            return (self._final_auth(context),)
        raise self._failure()

    # --- the MSK-based AUTH payloads ---------------------------------------------------

    def _final_auth(self, context: AuthContext) -> AuthPayload:
        msk = self.peer.msk
        assert msk is not None and self._idi is not None  # succeeded implies an MSK
        octets = signed_octets(
            context.init_request,
            context.nonce_r,
            context.prf,
            context.sk_pi,
            payload_id_body(self._idi),
        )
        self._final_auth_sent = True
        self._log.line("IKE", "EAP method succeeded, MSK established; sending AUTH (method 2)")
        return AuthPayload(AuthMethod.SHARED_KEY_MIC, shared_key_mic(context.prf, msk, octets))

    def _verify_gateway_auth(self, context: AuthContext, response: tuple[Payload, ...]) -> None:
        auth = next((p for p in response if isinstance(p, AuthPayload)), None)
        if auth is None:
            raise_for_error_notify(response, "the AUTH after EAP")
            raise ProtocolViolation("final IKE_AUTH response without the gateway's AUTH")
        if auth.method != AuthMethod.SHARED_KEY_MIC:
            raise ConnectError(
                ERROR_IPSEC_IKE_AUTH_FAIL,
                f"the gateway's AUTH after EAP uses method {auth.method}, not 2 (MSK)",
            )
        msk = self.peer.msk
        assert msk is not None and self._idr is not None
        octets = signed_octets(
            context.init_response,
            context.nonce_i,
            context.prf,
            context.sk_pr,
            payload_id_body(self._idr),
        )
        try:
            verify_shared_key_mic(context.prf, msk, octets, auth.data)
        except AuthError:
            raise ConnectError(
                ERROR_IPSEC_IKE_AUTH_FAIL,
                "the gateway's AUTH after EAP does not verify with the EAP MSK",
            ) from None
        self._log.line("IKE", "authentication of the gateway with the EAP MSK successful")

    # --- failure and logging -------------------------------------------------------------

    def _failure(self) -> ConnectError:
        code = self.peer.failure_code or ERROR_IPSEC_IKE_ERROR
        notes = [
            line.strip()
            for line in self.peer.transcript.lines
            if line.startswith("   ") and not line.strip().startswith(_BOOKKEEPING)
        ]
        context = "; ".join(notes[-_FAILURE_CONTEXT_LINES:]) or "no detail"
        method = type(self.peer.method).__name__.removesuffix("Method")
        return ConnectError(
            code,
            f"EAP {method} failed: {context}",
            delete_ike_sa=self.peer.delete_requested,
        )

    def _flush_transcript(self) -> None:
        lines = self.peer.transcript.lines
        for line in lines[self._logged :]:
            self._log.line("IKE", f"EAP {line.strip()}")
        self._logged = len(lines)
