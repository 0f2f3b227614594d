"""The EAP peer the IKE state machine drives: one request in, one response out.

Usage from IKE_AUTH (windows-client-behavior.md 2.6-2.8)::

    peer = EapPeer(identity, MschapV2Method(...))       # or EapTlsMethod(...)
    reply = peer.respond(encode_eap(ike_response.eap))  # for every EAP payload received
    if reply is not None: send IKE_AUTH [EAP(reply)]
    else: the conversation is over: peer.succeeded -> AUTH from peer.msk;
          peer.failed -> report peer.failure_code (Delete first if peer.delete_requested)

Windows never sends EAP unsolicited; it waits for EAP-Request/Identity, so the peer has
no "start" call. The contract the caller relies on: ``respond`` never raises for
anything the gateway sends (malformed packets end the conversation with a Windows
error), and it returns None only once the conversation is over (``done``). It may
return bytes after ``failed`` became true: a TLS alert or a final acknowledgement the
gateway should still see before it answers with EAP-Failure.
"""

from __future__ import annotations

from emulator.codec import EapPayload
from emulator.const import EapCode, EapType
from emulator.eap.codes import WinError
from emulator.eap.errors import EapParseError
from emulator.eap.method import EapMethod
from emulator.eap.packet import (
    decode_eap,
    describe,
    encode_eap,
    identity_response,
    nak_response,
    response,
    type_name,
)
from emulator.eap.transcript import Transcript

PROTOCOL_ERROR = WinError.IPSEC_IKE_ERROR
"""What a gateway EAP protocol violation ends with. *uncertain*: no source says which
number Windows shows for a malformed EAP packet; the generic IKE error is the guess."""


class EapPeer:
    """The generic EAP peer (RFC 3748 section 2 and 5) around one method."""

    def __init__(self, identity: str, method: EapMethod) -> None:
        self.identity = identity
        self.method = method
        self.transcript = Transcript()
        self._succeeded = False
        self._failure_code: int | None = None
        self._delete_requested = False
        self._method_started = False
        self._nak_sent = False
        self._last: tuple[bytes, bytes | None] | None = None

    # --- state -----------------------------------------------------------------------

    @property
    def succeeded(self) -> bool:
        """EAP-Success was received and the method accepted it (mutual auth done)."""
        return self._succeeded

    @property
    def failed(self) -> bool:
        return self._failure_code is not None

    @property
    def done(self) -> bool:
        return self._succeeded or self.failed

    @property
    def failure_code(self) -> int | None:
        """The Windows error number once the conversation failed (691, 798, 13801, ...)."""
        return self._failure_code

    @property
    def delete_requested(self) -> bool:
        """The IKE layer should send a Delete (Windows 7 after a final MS-CHAPv2 failure)."""
        return self._delete_requested

    @property
    def msk(self) -> bytes | None:
        """The 64-byte MSK for the IKE AUTH payload, only after success."""
        return self.method.msk if self._succeeded else None

    # --- input -----------------------------------------------------------------------

    def respond_payload(self, request: EapPayload) -> EapPayload | None:
        """:meth:`respond` on the codec's payload type (what the IKE codec decodes)."""
        reply = self.respond(encode_eap(request))
        return None if reply is None else decode_eap(reply)

    def respond(self, request: bytes) -> bytes | None:
        """The EAP packet to send back for ``request``, or None when the conversation is over."""
        if self.done:
            self.transcript.note(f"ignored {len(request)} bytes: the conversation is over")
            return None
        if self._last is not None and self._last[0] == request:
            # RFC 3748 4.1: a duplicate request gets the same response again.
            self.transcript.note("duplicate request: repeating the last response")
            return self._last[1]
        try:
            packet = decode_eap(request)
        except EapParseError as exc:
            self._fail(PROTOCOL_ERROR, f"malformed EAP packet ({exc})")
            return None
        self.transcript.received(describe(packet))
        try:
            reply = self._dispatch(packet)
        except EapParseError as exc:
            reply = None
            self._fail(PROTOCOL_ERROR, f"malformed {type_name(packet.eap_type)} data ({exc})")
        if reply is None and not self.done:
            self._fail(PROTOCOL_ERROR, "the method had nothing to send")
        if reply is not None:
            self.transcript.sent(describe(decode_eap(reply)))
        self._last = (request, reply)
        return reply

    def _dispatch(self, packet: EapPayload) -> bytes | None:
        if packet.code == EapCode.SUCCESS:
            self._on_success()
            return None
        if packet.code == EapCode.FAILURE:
            self._on_failure()
            return None
        if packet.code != EapCode.REQUEST:
            self._fail(PROTOCOL_ERROR, "the gateway sent an EAP-Response")
            return None
        if packet.eap_type == EapType.IDENTITY:
            self.transcript.note(f"identity {self.identity!r}")
            return identity_response(packet.identifier, self.identity)
        if packet.eap_type == EapType.NOTIFICATION:
            text = packet.data.decode("utf-8", "replace")
            self.transcript.note(
                f"notification {''.join(c if c.isprintable() else '?' for c in text)!r}"
            )
            return response(packet.identifier, EapType.NOTIFICATION)
        if packet.eap_type == self.method.eap_type:
            return self._run_method(packet)
        if packet.eap_type in (EapType.NAK, EapType.EXPANDED) or self._method_started:
            # RFC 3748 2.1 / 5.3: no method switch once a method ran; Nak is never a Request.
            self._fail(
                PROTOCOL_ERROR, f"unexpected {type_name(packet.eap_type)} request mid-method"
            )
            return None
        self._nak_sent = True
        self.transcript.note(
            f"gateway proposed {type_name(packet.eap_type)}: "
            f"NAK, desired {type_name(self.method.eap_type)}"
        )
        return nak_response(packet.identifier, self.method.eap_type)

    def _run_method(self, packet: EapPayload) -> bytes | None:
        self._method_started = True
        reply = self.method.process(packet.identifier, packet.data, self.transcript)
        if reply.failure_code is not None:
            self._failure_code = reply.failure_code
            self._delete_requested = reply.delete_ike_sa
            self.transcript.note(f"failed: Windows error {reply.failure_code}")
            if reply.delete_ike_sa:
                self.transcript.note("the IKE layer should delete the IKE SA")
        if reply.type_data is None:
            return None
        return response(packet.identifier, self.method.eap_type, reply.type_data)

    def _on_success(self) -> None:
        if self._method_started:
            error = self.method.success_error(self.transcript)
        else:
            error = WinError.UNABLE_TO_AUTHENTICATE_SERVER
            self.transcript.note("EAP-Success before any method ran: the gateway is unproven")
        if error is not None:
            self._fail(error, "EAP-Success not acceptable")
        elif self.method.msk is None:
            self._fail(PROTOCOL_ERROR, "EAP-Success but the method derived no MSK")
        else:
            self._succeeded = True
            self.transcript.note(f"authenticated; MSK of {len(self.method.msk)} bytes")

    def _on_failure(self) -> None:
        if self._method_started:
            code = self.method.failure_error()
        else:
            # *uncertain*: a refused NAK reads like "method not allowed by the server".
            code = WinError.SERVER_POLICY if self._nak_sent else WinError.AUTHENTICATION_FAILURE
        self._fail(code, "EAP-Failure")

    def _fail(self, code: int, why: str) -> None:
        if self._failure_code is None:
            self._failure_code = code
            self.transcript.note(f"failed: {why}: Windows error {code}")
        else:
            self.transcript.note(f"{why}; keeping Windows error {self._failure_code}")
