"""EAP-TLS on the peer side (RFC 5216; RFC 9190 for TLS 1.3), as Windows runs it.

Sequence against strongSwan (windows-client-behavior.md 2.8): EAP-Request/TLS with the
Start flag -> ClientHello; the server flight arrives in fragments, each acknowledged
with an empty EAP-TLS Response; the client's certificate flight goes out in fragments,
each released by the server's empty Request; with TLS 1.2 the client acknowledges the
server's Finished, with TLS 1.3 (RFC 9190 servers) the protected success indication;
then EAP-Success. Windows errors: 798 without a user certificate, the verifier's or
the chain check's number for a rejected server certificate, :class:`TlsPeerConfig`'s
``rejected_error`` when the gateway ends the handshake.
"""

from __future__ import annotations

from emulator.const import EapType
from emulator.eap.codes import WinError
from emulator.eap.method import EapMethod, MethodReply
from emulator.eap.tls_client import TlsClient
from emulator.eap.tls_config import Tls13Msk, TlsPeerConfig
from emulator.eap.tls_framing import (
    ACK,
    EapTlsData,
    Reassembler,
    fragment,
    parse_eap_tls,
)
from emulator.eap.tls_msk import derive_msk
from emulator.eap.transcript import Transcript


class EapTlsMethod(EapMethod):
    """The peer half of EAP-TLS with one user certificate."""

    eap_type = EapType.TLS

    def __init__(self, config: TlsPeerConfig) -> None:
        """Raises ValueError / ``OpenSSL.SSL.Error`` for a key that does not fit the
        certificate: a caller bug, reported here rather than mid-conversation."""
        self._config = config
        has_credentials = config.certificate is not None and config.private_key is not None
        self._tls = TlsClient(config) if has_credentials else None
        self._client: TlsClient | None = None
        self._pending: list[bytes] = []
        self._reassembler = Reassembler()
        self._msk: bytes | None = None
        self._indication = False
        self._error: int | None = None

    def __repr__(self) -> str:
        started = self._client is not None
        return f"EapTlsMethod(started={started}, handshake_done={self._msk is not None})"

    @property
    def msk(self) -> bytes | None:
        return self._msk

    @property
    def tls_version(self) -> str | None:
        """The negotiated version once the handshake finished (``TLSv1.2``/``TLSv1.3``)."""
        return self._client.version if self._client and self._client.handshake_done else None

    def success_error(self, log: Transcript) -> int | None:
        if self._error is not None:
            return self._error
        if self._msk is None or self._pending or self._reassembler.active:
            log.note("EAP-Success before the TLS handshake finished")
            return self._config.unproven_server_error
        if self._needs_indication() and not self._indication:
            log.note("EAP-Success without the RFC 9190 protected success indication")
            return self._config.unproven_server_error
        return None

    def failure_error(self) -> int:
        return self._error if self._error is not None else self._config.rejected_error

    def _needs_indication(self) -> bool:
        config = self._config
        return (
            self.tls_version == "TLSv1.3"
            and config.tls13_msk is Tls13Msk.RFC9190
            and config.require_success_indication
        )

    # --- requests -----------------------------------------------------------------------

    def process(self, identifier: int, type_data: bytes, log: Transcript) -> MethodReply:
        part = parse_eap_tls(type_data)
        if part.start:
            return self._on_start(log)
        if self._client is None:
            log.note("EAP-TLS data before the Start")
            return self._fail(WinError.IPSEC_IKE_ERROR)
        if self._pending:
            if not part.is_ack:
                log.note("gateway sent data while our fragments were pending")
                return self._fail(WinError.IPSEC_IKE_ERROR)
            return self._next_fragment(log)
        if part.is_ack and not self._reassembler.active:
            log.note("acknowledgement with nothing pending; acknowledging")
            return MethodReply(ACK)
        return self._on_data(self._client, part, log)

    def _on_start(self, log: Transcript) -> MethodReply:
        if self._client is not None:
            log.note("a second EAP-TLS Start")
            return self._fail(WinError.IPSEC_IKE_ERROR)
        config = self._config
        if self._tls is None:
            log.note("Start: no user certificate for EAP-TLS")
            return self._fail(WinError.NO_EAPTLS_CERTIFICATE)
        self._client = self._tls
        step = self._client.start()
        log.note(f"Start: ClientHello offering up to TLS {config.max_version.value}")
        return self._send(step.output, log)

    def _on_data(self, client: TlsClient, part: EapTlsData, log: Transcript) -> MethodReply:
        records = self._reassembler.add(part)
        if records is None:
            log.note(f"fragment of {len(part.data)} bytes; acknowledging")
            return MethodReply(ACK)
        was_done = client.handshake_done
        step, app_data = client.feed(records)
        log.note(f"{len(records)} bytes of TLS records from the gateway")
        if client.rejection is not None:
            log.note(f"server certificate rejected: {client.rejection.reason}")
            self._error = client.rejection.code
        elif step.error is not None:
            log.note(f"TLS handshake failed: {step.error}")
            self._error = self._config.rejected_error
        if self._error is not None:
            # Send the alert OpenSSL wrote, if any (it fits one packet), else acknowledge.
            first = self._fragments(step.output)[0] if step.output else ACK
            return MethodReply(first, failure_code=self._error)
        if client.handshake_done and not was_done:
            self._msk = derive_msk(client.export, client.version, self._config.tls13_msk)
            log.note(f"handshake complete: {client.version} {client.cipher}")
        if app_data:
            self._on_app_data(app_data, log)
        if step.output:
            return self._send(step.output, log)
        return MethodReply(ACK)

    def _on_app_data(self, data: bytes, log: Transcript) -> None:
        if data == b"\x00" and self.tls_version == "TLSv1.3":
            self._indication = True
            log.note("protected success indication (RFC 9190)")
        else:
            log.note(f"{len(data)} bytes of unexpected application data")

    # --- sending ------------------------------------------------------------------------

    def _fragments(self, records: bytes) -> list[bytes]:
        config = self._config
        return fragment(
            records, config.fragment_size, length_in_single=config.length_in_unfragmented
        )

    def _send(self, records: bytes, log: Transcript) -> MethodReply:
        pieces = self._fragments(records)
        self._pending = pieces[1:]
        if len(pieces) > 1:
            log.note(f"sending {len(records)} bytes in {len(pieces)} fragments")
        else:
            log.note(f"sending {len(records)} bytes")
        return MethodReply(pieces[0])

    def _next_fragment(self, log: Transcript) -> MethodReply:
        piece = self._pending.pop(0)
        log.note(f"acknowledged; next fragment, {len(self._pending)} left after it")
        return MethodReply(piece)

    def _fail(self, code: int) -> MethodReply:
        self._error = code
        return MethodReply(None, failure_code=code)
