"""The EAP-TLS MSK computed by hand from the TLS secrets, against the peer's.

The exchange tests compare the peer with a server that uses the same OpenSSL exporter,
which would not notice a wrong label or context on both ends. Here the expected values
come from the specifications instead: the TLS 1.2 PRF (RFC 5246 5) over the master
secret and randoms, and for TLS 1.3 the RFC 8446 7.5 exporter rebuilt with HKDF from
the EXPORTER_SECRET the server logs (keylog format), once with strongSwan 5.9's inputs
and once with RFC 9190's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from emulator.eap import EapPeer, EapTlsMethod, Tls13Msk, TlsPeerConfig, TlsVersion
from tests.emulator.eap.certs import lab
from tests.emulator.eap.conversation import converse
from tests.emulator.eap.tls_server import EapTlsServer


def _p_hash(name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, name).digest()
        out += hmac.new(secret, a + seed, name).digest()
    return out[:length]


def _hkdf_expand_label(
    name: str, secret: bytes, label: bytes, context: bytes, length: int
) -> bytes:
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    algorithm = hashes.SHA384() if name == "sha384" else hashes.SHA256()
    return HKDFExpand(algorithm, length, info).derive(secret)


def _exporter(
    name: str, exporter_master: bytes, label: bytes, context: bytes, length: int
) -> bytes:
    empty_hash = hashlib.new(name, b"").digest()
    secret = _hkdf_expand_label(name, exporter_master, label, empty_hash, len(empty_hash))
    return _hkdf_expand_label(
        name, secret, b"exporter", hashlib.new(name, context).digest(), length
    )


def _run(server: EapTlsServer, **options: object) -> EapPeer:
    certs = lab()
    config = TlsPeerConfig(certs.client.cert, certs.client.key, trusted_roots=(certs.ca.cert,))
    peer = EapPeer("carol@example.net", EapTlsMethod(replace(config, **options)))  # type: ignore[arg-type]
    converse(peer.respond, server, server.start())
    assert peer.succeeded, peer.transcript
    return peer


def test_tls12_msk_is_the_rfc5216_prf() -> None:
    certs = lab()
    server = EapTlsServer(certs.server, chain=(certs.intermediate.cert,), client_ca=certs.ca.cert)
    peer = _run(server)
    conn = server.conn
    name = "sha384" if (conn.get_cipher_name() or "").endswith("SHA384") else "sha256"
    seed = b"client EAP encryption" + conn.client_random() + conn.server_random()  # type: ignore[operator]
    expected = _p_hash(name, conn.master_key(), seed, 128)[:64]  # type: ignore[arg-type]
    assert peer.msk == expected


def _tls13(mode: Tls13Msk) -> tuple[EapPeer, bytes, str]:
    secrets: dict[str, bytes] = {}

    def keylog(line: bytes) -> None:
        label, _random, secret = line.decode().split(" ")
        secrets[label] = bytes.fromhex(secret)

    certs = lab()
    server = EapTlsServer(
        certs.server,
        chain=(certs.intermediate.cert,),
        client_ca=certs.ca.cert,
        max_version="1.3",
        mode=mode.value,
        keylog=keylog,
    )
    peer = _run(server, max_version=TlsVersion.TLS1_3, tls13_msk=mode)
    name = "sha384" if (server.conn.get_cipher_name() or "").endswith("SHA384") else "sha256"
    return peer, secrets["EXPORTER_SECRET"], name


def test_tls13_strongswan_59_msk() -> None:
    """tls_crypto.c 5.9.8: export("client EAP encryption", context "", 128), first 64."""
    peer, exporter_master, name = _tls13(Tls13Msk.STRONGSWAN_59)
    expected = _exporter(name, exporter_master, b"client EAP encryption", b"", 128)[:64]
    assert peer.msk == expected


def test_tls13_rfc9190_msk() -> None:
    """RFC 9190 2.3: TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x0D, 128), first 64."""
    peer, exporter_master, name = _tls13(Tls13Msk.RFC9190)
    expected = _exporter(name, exporter_master, b"EXPORTER_EAP_TLS_Key_Material", b"\x0d", 128)
    assert peer.msk == expected[:64]
    # Exporting 64 instead of 128 octets would give other bytes (the length is hashed in).
    short = _exporter(name, exporter_master, b"EXPORTER_EAP_TLS_Key_Material", b"\x0d", 64)
    assert short != expected[:64]
