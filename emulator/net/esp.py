"""One ESP SA pair in userspace: RFC 4303 packets, UDP-encapsulated per RFC 3948.

Why userspace: the lab kernel has XFRM but no ESP, and the gateway's kernel-libipsec
always encapsulates ESP in UDP 4500 (ikev2-implementation-notes.md section 8). The
inbound side checks the 64-packet anti-replay window before decrypting and moves it
only after the ICV (or GCM tag) verified (RFC 4303 3.4.3).
"""

from __future__ import annotations

import hmac
import os
import threading

from emulator.crypto import ChildSaKeys
from emulator.crypto.errors import IkeCryptoError
from emulator.net.esp_algorithms import EspSuite

REPLAY_WINDOW = 64
NEXT_HEADER_IPV4 = 4
NEXT_HEADER_IPV6 = 41


class EspError(ValueError):
    """An inbound packet to drop: wrong SPI, replayed, failed ICV, bad padding."""


class EspSa:
    """Outbound and inbound SA of one CHILD SA, from the initiator's point of view."""

    def __init__(self, suite: EspSuite, keys: ChildSaKeys, *, spi_in: bytes, spi_out: bytes):
        self.suite = suite
        self.spi_in = spi_in
        self.spi_out = spi_out
        # The initiator sends with the "_i" keys and receives with the "_r" keys.
        self._encr_out, self._integ_out = keys.encr_i, keys.integ_i
        self._encr_in, self._integ_in = keys.encr_r, keys.integ_r
        self._seq_out = 0
        self._highest = 0
        self._bitmap = 0
        self._lock_out = threading.Lock()
        self.packets_out = 0
        self.packets_in = 0
        self.bytes_out = 0
        self.bytes_in = 0

    # --- outbound --------------------------------------------------------------------

    def encapsulate(self, inner: bytes) -> bytes:
        """The ESP packet (UDP payload) carrying the IP packet INNER."""
        cipher = self.suite.cipher
        with self._lock_out:
            if self._seq_out >= 0xFFFFFFFF:
                raise EspError("sequence number space exhausted; the CHILD SA needs a rekey")
            self._seq_out += 1
            seq = self._seq_out
        next_header = NEXT_HEADER_IPV6 if inner[:1] and inner[0] >> 4 == 6 else NEXT_HEADER_IPV4
        align = max(cipher.block_size, 4)
        pad_length = -(len(inner) + 2) % align
        plaintext = inner + bytes(range(1, pad_length + 1)) + bytes([pad_length, next_header])
        header = self.spi_out + seq.to_bytes(4, "big")
        # GCM needs a unique IV only (RFC 4106 3.1): the sequence number is one.
        iv = seq.to_bytes(8, "big") if cipher.is_aead else os.urandom(cipher.iv_size)
        body = cipher.encrypt(self._encr_out, iv, plaintext, header)
        packet = header + iv + body
        if self.suite.integ is not None:
            packet += self.suite.integ.mac(self._integ_out, packet)
        self.packets_out += 1
        self.bytes_out += len(inner)
        return packet

    # --- inbound ---------------------------------------------------------------------

    def decapsulate(self, packet: bytes) -> bytes:
        """The inner IP packet of PACKET; raises EspError for anything to drop."""
        cipher = self.suite.cipher
        icv_size = 0 if self.suite.integ is None else self.suite.integ.icv_size
        minimum = 8 + cipher.iv_size + cipher.icv_size + icv_size + 2
        if len(packet) < minimum:
            raise EspError(f"{len(packet)}-byte ESP packet is shorter than {minimum}")
        if packet[:4] != self.spi_in:
            raise EspError(f"unknown SPI {packet[:4].hex()}")
        seq = int.from_bytes(packet[4:8], "big")
        self._check_replay(seq)
        if self.suite.integ is not None:
            expected = self.suite.integ.mac(self._integ_in, packet[:-icv_size])
            if not hmac.compare_digest(expected, packet[-icv_size:]):
                raise EspError("ESP ICV does not verify")
            packet = packet[:-icv_size]
        iv = packet[8 : 8 + cipher.iv_size]
        body = packet[8 + cipher.iv_size :]
        if not cipher.is_aead and len(body) % cipher.block_size:
            raise EspError(f"ciphertext of {len(body)} bytes is not block aligned")
        try:
            plaintext = cipher.decrypt(self._encr_in, iv, body, packet[:8])
        except IkeCryptoError as exc:
            raise EspError(str(exc)) from None
        pad_length, next_header = plaintext[-2], plaintext[-1]
        if pad_length + 2 > len(plaintext):
            raise EspError(f"pad length {pad_length} exceeds the payload")
        if next_header not in (NEXT_HEADER_IPV4, NEXT_HEADER_IPV6):
            raise EspError(f"next header {next_header} is not IPv4 or IPv6 (tunnel mode)")
        self._accept(seq)
        inner = plaintext[: -pad_length - 2]
        self.packets_in += 1
        self.bytes_in += len(inner)
        return inner

    def _check_replay(self, seq: int) -> None:
        if seq == 0:
            raise EspError("sequence number 0 is never sent")
        if seq > self._highest:
            return
        offset = self._highest - seq
        if offset >= REPLAY_WINDOW or self._bitmap >> offset & 1:
            raise EspError(f"replayed or too old sequence number {seq}")

    def _accept(self, seq: int) -> None:
        if seq > self._highest:
            shift = seq - self._highest
            self._bitmap = ((self._bitmap << shift) | 1) & ((1 << REPLAY_WINDOW) - 1)
            self._highest = seq
        else:
            self._bitmap |= 1 << (self._highest - seq)
