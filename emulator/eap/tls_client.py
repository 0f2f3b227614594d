"""A TLS client over memory BIOs (pyOpenSSL): bytes in from EAP, bytes out to EAP.

EAP-TLS carries TLS records inside EAP packets, so there is no socket: the client reads
the gateway's records from EAP (``bio_write``), advances the handshake, and whatever
OpenSSL writes (``bio_read``) becomes the next EAP-TLS Response. The stdlib ``ssl``
module can do memory BIOs too but has no keying-material exporter in 3.11, which the
MSK needs (ikev2-implementation-notes.md 5.1).

Server certificate checks happen inside the handshake, in OpenSSL's verify callback:
OpenSSL checks the chain against the configured roots, then the caller's verifier sees
the chain; a rejection aborts the handshake so that OpenSSL emits the alert a real
client would send. OpenSSL's own "purpose" check (serverAuth EKU) is waived, because
EKU rules are Windows rules and belong to the caller's verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from OpenSSL import SSL, crypto
from OpenSSL._util import lib as _ssl_lib

from emulator.eap.tls_config import ServerCertRejection, TlsPeerConfig, TlsVersion

_READ_CHUNK = 1 << 16

# OpenSSL X509_V_ERR_* numbers (include/openssl/x509_vfy.h) the error mapping needs.
_UNTRUSTED = {
    2: "unable to get issuer certificate",
    18: "self-signed leaf certificate",
    19: "self-signed certificate in chain",
    20: "unable to get local issuer certificate",
    21: "unable to verify the first certificate",
}
_EXPIRED = {9: "certificate is not yet valid", 10: "certificate has expired"}
_INVALID_PURPOSE = 26


@dataclass(frozen=True)
class TlsStep:
    """The result of feeding data: what to send, and the error if the handshake died."""

    output: bytes
    error: str | None = None


def _ssl_error_text(exc: SSL.Error) -> str:
    reasons = [str(item[2]) for item in exc.args[0] if isinstance(item, tuple) and len(item) > 2]
    return "; ".join(reasons) or exc.__class__.__name__


def _set_groups(context: SSL.Context, groups: str) -> None:
    """SSL_CTX_set1_groups_list: pyOpenSSL's public API offers one curve only
    (``set_tmp_ecdh``), so this goes through its cffi binding of the same OpenSSL."""
    if _ssl_lib.SSL_CTX_set1_curves_list(context._context, groups.encode("ascii")) != 1:
        raise ValueError(f"OpenSSL rejects the ECDHE group list {groups!r}")


class TlsClient:
    """One TLS client handshake plus whatever application data follows it."""

    def __init__(self, config: TlsPeerConfig) -> None:
        if config.certificate is None or config.private_key is None:
            raise ValueError("an EAP-TLS client needs a certificate and its private key")
        self._config = config
        self.rejection: ServerCertRejection | None = None
        self.server_chain: tuple[x509.Certificate, ...] = ()
        self.handshake_done = False
        self._verified: dict[int, x509.Certificate] = {}
        self._verifier_ran = False
        context = SSL.Context(SSL.TLS_METHOD)
        context.set_min_proto_version(SSL.TLS1_2_VERSION)
        context.set_max_proto_version(
            SSL.TLS1_3_VERSION if config.max_version is TlsVersion.TLS1_3 else SSL.TLS1_2_VERSION
        )
        context.set_cipher_list(config.tls12_ciphers.encode("ascii"))
        context.set_tls13_ciphersuites(config.tls13_suites.encode("ascii"))
        _set_groups(context, config.ecdh_groups)
        # strongSwan's libtls (5.9.8) sends no renegotiation_info extension (RFC 5746), and
        # OpenSSL 3 refuses such servers by default; Schannel connects to them (it just never
        # renegotiates), so the emulated client must too.
        context.set_options(SSL.OP_LEGACY_SERVER_CONNECT | SSL.OP_NO_RENEGOTIATION)
        context.use_certificate(config.certificate)
        context.use_privatekey(config.private_key)
        context.check_privatekey()
        for intermediate in config.chain:
            context.add_extra_chain_cert(intermediate)
        store = context.get_cert_store()
        if store is None:  # pragma: no cover - OpenSSL always creates one
            raise RuntimeError("OpenSSL context without a certificate store")
        for root in config.trusted_roots:
            store.add_cert(crypto.X509.from_cryptography(root))
        context.set_verify(SSL.VERIFY_PEER, self._verify)
        self._conn = SSL.Connection(context, None)
        self._conn.set_connect_state()

    # --- properties of the finished handshake -----------------------------------------

    @property
    def version(self) -> str:
        """``TLSv1.2`` or ``TLSv1.3`` (meaningful once the ServerHello was processed)."""
        return self._conn.get_protocol_version_name()

    @property
    def cipher(self) -> str | None:
        return self._conn.get_cipher_name()

    def export(self, label: bytes, length: int, context: bytes | None) -> bytes:
        """RFC 5705 / RFC 8446 7.5 exporter of the finished handshake."""
        return self._conn.export_keying_material(label, length, context)

    # --- driving ------------------------------------------------------------------------

    def start(self) -> TlsStep:
        """The ClientHello."""
        return self._advance()

    def feed(self, records: bytes) -> tuple[TlsStep, bytes]:
        """Process the gateway's records; returns the step and any application data."""
        self._conn.bio_write(records)
        step = self._advance()
        if step.error is not None or not self.handshake_done:
            return step, b""
        app_data = bytearray()
        try:
            while True:
                app_data += self._conn.recv(_READ_CHUNK)
        except (SSL.WantReadError, SSL.ZeroReturnError):
            pass
        except SSL.Error as exc:
            return TlsStep(step.output + self._drain(), _ssl_error_text(exc)), bytes(app_data)
        return TlsStep(step.output + self._drain()), bytes(app_data)

    def _advance(self) -> TlsStep:
        error: str | None = None
        if not self.handshake_done:
            try:
                self._conn.do_handshake()
                self.handshake_done = True
            except SSL.WantReadError:
                pass
            except SSL.Error as exc:
                error = _ssl_error_text(exc)
        return TlsStep(self._drain(), error)

    def _drain(self) -> bytes:
        out = bytearray()
        while True:
            try:
                out += self._conn.bio_read(_READ_CHUNK)
            except SSL.WantReadError:
                return bytes(out)

    # --- server certificate -------------------------------------------------------------

    def _verify(
        self, _conn: SSL.Connection, cert: crypto.X509, errnum: int, depth: int, ok: int
    ) -> bool:
        if self.rejection is not None:
            return False
        if not ok:
            if errnum == _INVALID_PURPOSE:
                return True  # EKU is the verifier's call (Windows rules)
            self.rejection = self._chain_rejection(errnum, depth)
            return False
        self._verified[depth] = cert.to_cryptography()
        if depth == 0 and not self._verifier_ran:
            self._verifier_ran = True
            self.server_chain = tuple(self._verified[d] for d in sorted(self._verified))
            if self._config.verifier is not None:
                self.rejection = self._config.verifier(self.server_chain)
                if self.rejection is not None:
                    return False
        return True

    def _chain_rejection(self, errnum: int, depth: int) -> ServerCertRejection:
        config = self._config
        if errnum in _UNTRUSTED:
            return ServerCertRejection(
                config.untrusted_root_error, f"server chain: {_UNTRUSTED[errnum]} (depth {depth})"
            )
        if errnum in _EXPIRED:
            return ServerCertRejection(
                config.expired_error, f"server chain: {_EXPIRED[errnum]} (depth {depth})"
            )
        return ServerCertRejection(
            config.server_cert_error, f"server chain: X509 verify error {errnum} (depth {depth})"
        )
