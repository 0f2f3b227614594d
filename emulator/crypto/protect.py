"""Sealing and opening SK and SKF payloads (RFC 7296 3.14, RFC 5282, RFC 7383).

What each mode protects, as the RFCs and the AOSP known-answer messages fix it:

* CBC + HMAC (encrypt-then-MAC): the SK data is IV | E(payloads | padding | pad length)
  | ICV, and the ICV covers the *whole message* from the first header byte to the end of
  the ciphertext. The ICV is checked before anything is decrypted.
* AES-GCM-16: the SK data is IV(8) | ciphertext | tag(16); nonce = salt | IV and the
  AAD is every byte before the IV (IKE header, SK generic header, and for SKF the
  fragment number/total). No block alignment, but the Pad Length octet is always there.
* SKF: the encoded inner payload chain is cut into chunks, each chunk padded and
  sealed on its own; only fragment 1 names the first inner payload type.

Because the ICV/AAD cover header fields (length, flags, message ID), sealing encodes the
final message around a placeholder of the right size and then fills it in.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from emulator.codec import (
    IkeHeader,
    IkeMessage,
    Payload,
    SkfPayload,
    SkPayload,
    decode,
    decode_payloads,
    encode,
    encode_payloads,
)
from emulator.crypto.algorithms import EncrAlgorithm, IkeSuite, IntegAlgorithm
from emulator.crypto.ciphers import aead_open, aead_seal, cbc_decrypt, cbc_encrypt
from emulator.crypto.errors import DecryptError, IntegrityError
from emulator.crypto.keymat import IkeSaKeys


@dataclass(frozen=True)
class SkProtection:
    """Algorithms and keys protecting the messages one peer sends (one direction)."""

    encr: EncrAlgorithm
    integ: IntegAlgorithm | None
    encr_key: bytes
    integ_key: bytes = b""

    def __post_init__(self) -> None:
        if len(self.encr_key) != self.encr.key_size:
            raise ValueError(f"encryption key must be {self.encr.key_size} bytes")
        if self.encr.is_aead != (self.integ is None):
            raise ValueError("AEAD ciphers take no INTEG transform, CBC ciphers need one")
        if self.integ is not None and len(self.integ_key) != self.integ.key_size:
            raise ValueError(f"integrity key must be {self.integ.key_size} bytes")

    @classmethod
    def for_sender(cls, suite: IkeSuite, keys: IkeSaKeys, *, initiator: bool) -> SkProtection:
        """Protection of messages sent by the original initiator (SK_ei/SK_ai) or responder."""
        if initiator:
            return cls(suite.encr, suite.integ, keys.sk_ei, keys.sk_ai)
        return cls(suite.encr, suite.integ, keys.sk_er, keys.sk_ar)

    @property
    def icv_size(self) -> int:
        return self.encr.icv_size if self.integ is None else self.integ.icv_size


# --- padding ------------------------------------------------------------------------


def _pad(plaintext: bytes, block_size: int, padding: bytes | None) -> bytes:
    """Append padding and the Pad Length octet; minimal zero padding unless given."""
    if padding is None:
        padding = bytes(-(len(plaintext) + 1) % block_size)
    if len(padding) > 255 or (len(plaintext) + len(padding) + 1) % block_size:
        raise ValueError(f"{len(padding)} padding bytes do not align to {block_size}")
    return plaintext + padding + bytes([len(padding)])


def _unpad(padded: bytes) -> bytes:
    if not padded:
        raise DecryptError("empty plaintext has no Pad Length octet")
    pad_length = padded[-1]
    if pad_length + 1 > len(padded):
        raise DecryptError(f"Pad Length {pad_length} exceeds the {len(padded)}-byte plaintext")
    return padded[: -pad_length - 1]


# --- sealing ------------------------------------------------------------------------

_Wrap = Callable[[bytes], SkPayload | SkfPayload]
_S = TypeVar("_S", SkPayload, SkfPayload)


def _seal(
    header: IkeHeader,
    wrap: _Wrap,
    plaintext: bytes,
    protection: SkProtection,
    iv: bytes | None,
    padding: bytes | None,
) -> bytes:
    encr = protection.encr
    iv = os.urandom(encr.iv_size) if iv is None else iv
    if len(iv) != encr.iv_size:
        raise ValueError(f"{encr.transform_id.name} needs a {encr.iv_size}-byte IV")
    padded = _pad(plaintext, encr.block_size, padding)
    icv_size = protection.icv_size
    placeholder = wrap(iv + bytes(len(padded) + icv_size))
    raw = encode(IkeMessage(header, (placeholder,)))
    iv_offset = len(raw) - len(placeholder.data)
    before_iv = raw[:iv_offset]
    if protection.integ is None:
        sealed = aead_seal(encr, protection.encr_key, iv, before_iv, padded)
        return before_iv + iv + sealed
    ciphertext = cbc_encrypt(encr, protection.encr_key, iv, padded)
    unauthenticated = before_iv + iv + ciphertext
    return unauthenticated + protection.integ.mac(protection.integ_key, unauthenticated)


def protect_message(
    header: IkeHeader,
    payloads: Sequence[Payload],
    protection: SkProtection,
    *,
    iv: bytes | None = None,
    padding: bytes | None = None,
) -> bytes:
    """The bytes of a message whose only payload is SK holding ``payloads``.

    ``iv`` and ``padding`` default to a random IV and minimal zero padding; tests pass
    them to reproduce published messages byte for byte.
    """
    first, plaintext = encode_payloads(payloads)

    def wrap(data: bytes) -> SkPayload:
        return SkPayload(first, data)

    return _seal(header, wrap, plaintext, protection, iv, padding)


def protect_fragment(
    header: IkeHeader,
    fragment: SkfPayload,
    chunk: bytes,
    protection: SkProtection,
    *,
    iv: bytes | None = None,
    padding: bytes | None = None,
) -> bytes:
    """One SKF message carrying ``chunk``; ``fragment.data`` is ignored (it is the output).

    ``fragment`` supplies number, total and first-payload type, so tests can also build
    fragments that break RFC 7383 on purpose.
    """

    def wrap(data: bytes) -> SkfPayload:
        return replace(fragment, data=data)

    return _seal(header, wrap, chunk, protection, iv, padding)


def protect_fragments(
    header: IkeHeader,
    payloads: Sequence[Payload],
    protection: SkProtection,
    chunk_size: int,
) -> list[bytes]:
    """The message cut into SKF fragments of at most ``chunk_size`` plaintext bytes each.

    How big a chunk may be is a policy question (strongSwan sizes whole datagrams, the
    Windows profile fixes the ciphertext size), so the caller decides.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    first, plaintext = encode_payloads(payloads)
    chunks = [plaintext[i : i + chunk_size] for i in range(0, len(plaintext), chunk_size)] or [b""]
    total = len(chunks)
    return [
        protect_fragment(
            header, SkfPayload(number, total, first if number == 1 else 0, b""), chunk, protection
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


# --- opening ------------------------------------------------------------------------


def _open(raw: bytes, sealed: SkPayload | SkfPayload, protection: SkProtection) -> bytes:
    encr = protection.encr
    icv_size = protection.icv_size
    data = sealed.data
    body_size = len(data) - encr.iv_size - icv_size
    if body_size < 1 or body_size % encr.block_size:
        raise DecryptError(
            f"{len(data)}-byte SK data cannot hold IV, whole {encr.block_size}-byte blocks"
            f" and a {icv_size}-byte ICV"
        )
    iv_offset = len(raw) - len(data)
    iv = data[: encr.iv_size]
    if protection.integ is None:
        padded = aead_open(encr, protection.encr_key, iv, raw[:iv_offset], data[encr.iv_size :])
    else:
        expected = protection.integ.mac(protection.integ_key, raw[:-icv_size])
        if not hmac.compare_digest(expected, raw[-icv_size:]):
            raise IntegrityError("ICV does not verify")
        padded = cbc_decrypt(encr, protection.encr_key, iv, data[encr.iv_size : -icv_size])
    return _unpad(padded)


def _last(message: IkeMessage, kind: type[_S]) -> _S:
    last = message.payloads[-1] if message.payloads else None
    if not isinstance(last, kind):
        raise DecryptError(f"message does not end with {kind.__name__}")
    return last


def unprotect_message(
    raw: bytes, protection: SkProtection
) -> tuple[IkeMessage, tuple[Payload, ...]]:
    """Decode ``raw``, verify and decrypt its SK payload, decode the inner payloads.

    Raises IkeParseError (outer or inner syntax; inner offsets count from the start of
    the plaintext), IntegrityError or DecryptError.
    """
    message = decode(raw)
    sealed = _last(message, SkPayload)
    plaintext = _open(raw, sealed, protection)
    return message, decode_payloads(sealed.first_payload, plaintext)


def unprotect_fragment(
    raw: bytes, protection: SkProtection
) -> tuple[IkeMessage, SkfPayload, bytes]:
    """Decode one SKF message and return it with its verified, unpadded plaintext chunk.

    Reassembly (collecting fragments by message ID until all have arrived) is the
    caller's; :func:`reassemble` turns the ordered chunks into payloads.
    """
    message = decode(raw)
    sealed = _last(message, SkfPayload)
    return message, sealed, _open(raw, sealed, protection)


def reassemble(first_payload: int, chunks: Sequence[bytes]) -> tuple[Payload, ...]:
    """Decode the payloads carried by fragments 1..n (chunks in fragment order)."""
    return decode_payloads(first_payload, b"".join(chunks))
