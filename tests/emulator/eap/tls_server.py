"""An in-process EAP-TLS server: pyOpenSSL over memory BIOs plus EAP-TLS framing.

Written independently of :mod:`emulator.eap.tls_framing` (so the peer's fragmenter is
not tested against itself), after RFC 5216 and strongSwan 5.9.8's observable behaviour
(``tls_eap.c``): Start = flags 0x20 and no data; the L flag and length on the first
fragment (and on unfragmented messages with ``include_length``); an ACK is a 6-octet
packet; a new identifier for every Request; EAP-Failure when TLS fails; EAP-Success
once the handshake is complete and the client has acknowledged the last flight.
``mode`` picks the TLS 1.3 ending: "strongswan-5.9" (no success indication, MSK with
the RFC 5216 label and empty context) or "rfc9190" (tickets + 0x00, RFC 9190 MSK).
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from OpenSSL import SSL, crypto

from tests.emulator.eap.certs import Issued

EAP_TLS = 13
_MORE, _LENGTH, _START = 0x40, 0x80, 0x20


def _eap(code: int, identifier: int, payload: bytes = b"") -> bytes:
    return bytes([code, identifier]) + (4 + len(payload)).to_bytes(2, "big") + payload


class EapTlsServer:
    def __init__(
        self,
        server: Issued,
        *,
        chain: tuple[x509.Certificate, ...] = (),
        client_ca: x509.Certificate | None = None,
        max_version: str = "1.2",
        mode: str = "strongswan-5.9",
        fragment_size: int = 1024,
        include_length: bool = True,
        keylog: Callable[[bytes], None] | None = None,
    ) -> None:
        context = SSL.Context(SSL.TLS_METHOD)
        context.set_min_proto_version(SSL.TLS1_2_VERSION)
        context.set_max_proto_version(
            SSL.TLS1_3_VERSION if max_version == "1.3" else SSL.TLS1_2_VERSION
        )
        context.use_certificate(server.cert)
        context.use_privatekey(server.key)
        for cert in chain:
            context.add_extra_chain_cert(cert)
        if client_ca is not None:
            store = context.get_cert_store()
            assert store is not None
            store.add_cert(crypto.X509.from_cryptography(client_ca))
            context.set_verify(
                SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: bool(args[-1])
            )
        if keylog is not None:
            context.set_keylog_callback(lambda _conn, line: keylog(line))
        self.conn = SSL.Connection(context, None)
        self.conn.set_accept_state()
        self.mode = mode
        self.fragment_size = fragment_size
        self.include_length = include_length
        self.identifier = 40
        self.pending: list[bytes] = []
        self.incoming = bytearray()
        self.handshake_done = False
        self.msk: bytes | None = None
        self.error: str | None = None
        self.acks_received = 0
        self.acks_sent = 0
        self.fragments_received = 0
        self.fragments_sent = 0
        self.outcome: str | None = None

    # --- framing ---------------------------------------------------------------------

    def _request(self, type_data: bytes) -> bytes:
        self.identifier = (self.identifier + 1) & 0xFF
        return _eap(1, self.identifier, bytes([EAP_TLS]) + type_data)

    def _finish(self, code: int) -> bytes:
        self.outcome = "success" if code == 3 else "failure"
        self.identifier = (self.identifier + 1) & 0xFF
        return _eap(code, self.identifier)

    def _queue(self, records: bytes) -> bytes:
        room = self.fragment_size - 6
        total = len(records)
        if total + (4 if self.include_length else 0) <= room:
            head = bytes([_LENGTH]) + total.to_bytes(4, "big") if self.include_length else b"\0"
            return self._request(head + records)
        first = room - 4
        pieces = [bytes([_LENGTH | _MORE]) + total.to_bytes(4, "big") + records[:first]]
        rest = records[first:]
        while rest:
            chunk, rest = rest[:room], rest[room:]
            pieces.append(bytes([_MORE if rest else 0]) + chunk)
        self.fragments_sent += len(pieces)
        self.pending = pieces[1:]
        return self._request(pieces[0])

    def start(self) -> bytes:
        return self._request(bytes([_START]))

    # --- input -----------------------------------------------------------------------

    def handle(self, response: bytes) -> bytes:
        assert response[0] == 2 and response[1] == self.identifier
        assert int.from_bytes(response[2:4], "big") == len(response)
        if response[4] != EAP_TLS:
            return self._finish(4)
        flags, body = response[5], response[6:]
        if len(response) == 6:  # an acknowledgement
            self.acks_received += 1
            if self.pending:
                return self._request(self.pending.pop(0))
            if self.handshake_done:
                return self._finish(3)
            return self._finish(4)
        if flags & _LENGTH:
            body = body[4:]
        self.incoming += body
        if flags & _MORE:
            self.fragments_received += 1
            self.acks_sent += 1
            return self._request(b"\0")
        records, self.incoming = bytes(self.incoming), bytearray()
        return self._on_records(records)

    def _on_records(self, records: bytes) -> bytes:
        self.conn.bio_write(records)
        try:
            self.conn.do_handshake()
        except SSL.WantReadError:
            pass
        except SSL.Error as exc:
            self.error = str(exc)
            return self._finish(4)  # strongSwan answers a TLS failure with EAP-Failure
        else:
            if not self.handshake_done:
                self.handshake_done = True
                self.msk = self._derive_msk()
                if self.conn.get_protocol_version_name() == "TLSv1.3":
                    return self._tls13_ending()
        output = self._drain()
        if output:
            return self._queue(output)
        return self._finish(3) if self.handshake_done else self._finish(4)

    def _tls13_ending(self) -> bytes:
        tickets = self._drain()
        if self.mode == "strongswan-5.9":
            return self._finish(3)  # 5.9.8: EAP-Success right after the client Finished
        self.conn.send(b"\x00")  # RFC 9190 protected success indication
        return self._queue(tickets + self._drain())

    def _drain(self) -> bytes:
        out = bytearray()
        while True:
            try:
                out += self.conn.bio_read(65536)
            except SSL.WantReadError:
                return bytes(out)

    def _derive_msk(self) -> bytes:
        if self.conn.get_protocol_version_name() == "TLSv1.3" and self.mode == "rfc9190":
            return self.conn.export_keying_material(b"EXPORTER_EAP_TLS_Key_Material", 128, b"\x0d")[
                :64
            ]
        return self.conn.export_keying_material(b"client EAP encryption", 128)[:64]

    @property
    def client_certificate(self) -> x509.Certificate | None:
        cert = self.conn.get_peer_certificate(as_cryptography=True)
        return cert
