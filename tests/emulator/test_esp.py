"""Userspace ESP (RFC 4303, RFC 4106) for the data path: both directions, every cipher the
Windows offers can negotiate, anti-replay, and an independent decryption of the wire form."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emulator.codec import Proposal, Transform, TransformAttribute
from emulator.const import EncrId, EsnId, IntegId, ProtocolId, TransformType
from emulator.crypto import ChildSaKeys
from emulator.crypto.errors import UnsupportedTransformError
from emulator.net.esp import EspError, EspSa
from emulator.net.esp_algorithms import EspSuite

SPI_I, SPI_R = bytes.fromhex("11111111"), bytes.fromhex("22222222")
PING = bytes.fromhex("4500001c00010000400100000a0000010a000002") + bytes(8)


def _proposal(encr: int, bits: int | None, integ: int | None) -> Proposal:
    transforms = [
        Transform(
            TransformType.ENCR, encr, () if bits is None else (TransformAttribute.key_length(bits),)
        )
    ]
    if integ is not None:
        transforms.append(Transform(TransformType.INTEG, integ))
    transforms.append(Transform(TransformType.ESN, EsnId.NO_ESN))
    return Proposal(1, ProtocolId.ESP, tuple(transforms), SPI_R)


SUITES = {
    "aes128-sha1": _proposal(EncrId.AES_CBC, 128, IntegId.HMAC_SHA1_96),
    "aes256-sha1": _proposal(EncrId.AES_CBC, 256, IntegId.HMAC_SHA1_96),
    "aes256-sha256": _proposal(EncrId.AES_CBC, 256, IntegId.HMAC_SHA2_256_128),
    "3des-sha1": _proposal(EncrId.TRIPLE_DES, None, IntegId.HMAC_SHA1_96),
    "des-sha1": _proposal(EncrId.DES, None, IntegId.HMAC_SHA1_96),
    "null-sha1": _proposal(EncrId.NULL, None, IntegId.HMAC_SHA1_96),
    "aes128gcm16": _proposal(EncrId.AES_GCM_16, 128, None),
    "aes256gcm16": _proposal(EncrId.AES_GCM_16, 256, None),
}


def pair(name: str) -> tuple[EspSa, EspSa]:
    """The client's SA pair and the gateway's mirror of it."""
    suite = EspSuite.from_proposal(SUITES[name])
    e, a = suite.encr_key_size, suite.integ_key_size
    keys = ChildSaKeys(os.urandom(e), os.urandom(a), os.urandom(e), os.urandom(a))
    mirror = ChildSaKeys(keys.encr_r, keys.integ_r, keys.encr_i, keys.integ_i)
    client = EspSa(suite, keys, spi_in=SPI_I, spi_out=SPI_R)
    gateway = EspSa(suite, mirror, spi_in=SPI_R, spi_out=SPI_I)
    return client, gateway


@pytest.mark.parametrize("name", list(SUITES))
def test_round_trip_both_ways(name: str) -> None:
    client, gateway = pair(name)
    for size in (0, 1, 63, 1400):
        inner = PING + bytes(size)
        assert gateway.decapsulate(client.encapsulate(inner)) == inner
        assert client.decapsulate(gateway.encapsulate(inner)) == inner


@pytest.mark.parametrize("name", list(SUITES))
def test_tampering_is_detected(name: str) -> None:
    client, gateway = pair(name)
    packet = bytearray(client.encapsulate(PING))
    packet[-1] ^= 1
    with pytest.raises(EspError):
        gateway.decapsulate(bytes(packet))


def test_replays_and_old_packets_are_dropped_after_verification() -> None:
    client, gateway = pair("aes256-sha1")
    packets = [client.encapsulate(PING) for _ in range(70)]
    gateway.decapsulate(packets[0])
    with pytest.raises(EspError, match="replayed"):
        gateway.decapsulate(packets[0])
    gateway.decapsulate(packets[69])
    gateway.decapsulate(packets[10])  # inside the 64-packet window, out of order
    with pytest.raises(EspError, match="too old"):
        gateway.decapsulate(packets[2])  # 67 behind the highest
    forged = packets[30][:-1] + bytes([packets[30][-1] ^ 1])
    with pytest.raises(EspError):
        gateway.decapsulate(forged)
    gateway.decapsulate(packets[30])  # the forgery did not consume sequence number 31


def test_cbc_wire_form_decrypts_independently() -> None:
    client, _ = pair("aes256-sha1")
    packet = client.encapsulate(PING)
    assert packet[:4] == SPI_R and int.from_bytes(packet[4:8], "big") == 1
    iv, body = packet[8:24], packet[24:-12]
    decryptor = Cipher(algorithms.AES(client._encr_out), modes.CBC(iv)).decryptor()
    plain = decryptor.update(body) + decryptor.finalize()
    pad = plain[-2]
    assert plain[-1] == 4 and plain[: -pad - 2] == PING
    assert plain[len(PING) : len(PING) + pad] == bytes(range(1, pad + 1))  # RFC 4303 2.4


def test_gcm_wire_form_decrypts_independently() -> None:
    client, _ = pair("aes128gcm16")
    packet = client.encapsulate(PING)
    key, salt = client._encr_out[:-4], client._encr_out[-4:]
    iv = packet[8:16]
    plain = AESGCM(key).decrypt(salt + iv, packet[16:], packet[:8])
    assert plain[-1] == 4 and plain.startswith(PING)


def test_unknown_spi_and_runt_packets() -> None:
    client, gateway = pair("aes128-sha1")
    with pytest.raises(EspError, match="shorter"):
        gateway.decapsulate(b"\x22\x22\x22\x22\x00\x00\x00\x01")
    with pytest.raises(EspError, match="unknown SPI"):
        client.decapsulate(client.encapsulate(PING))


def test_unusable_proposals_are_refused() -> None:
    with pytest.raises(UnsupportedTransformError):
        EspSuite.from_proposal(_proposal(EncrId.AES_CBC, 256, None))
    with pytest.raises(UnsupportedTransformError):
        EspSuite.from_proposal(_proposal(EncrId.AES_GCM_16, 256, IntegId.HMAC_SHA1_96))
    with pytest.raises(UnsupportedTransformError):
        EspSuite.from_proposal(_proposal(EncrId.NULL_AUTH_AES_GMAC, 128, None))
