"""prf+ (RFC 7296 2.13), the expansion every IKEv2 key is cut from.

    prf+ (K, S) = T1 | T2 | T3 | ...
    T1 = prf (K, S | 0x01),  Tn = prf (K, Tn-1 | S | n)

The counter is one octet, so at most 255 blocks can be produced; asking for more is a
programming error (no negotiated suite needs that much), reported, not wrapped.
"""

from __future__ import annotations

from emulator.crypto.algorithms import PrfAlgorithm

MAX_BLOCKS = 255


def prf_plus(prf: PrfAlgorithm, key: bytes, seed: bytes, length: int) -> bytes:
    """The first ``length`` bytes of prf+(key, seed)."""
    if length < 0 or length > MAX_BLOCKS * prf.output_size:
        raise ValueError(f"prf+ cannot produce {length} bytes with {prf.hash_name}")
    out = bytearray()
    block = b""
    counter = 1
    while len(out) < length:
        block = prf(key, block + seed + bytes([counter]))
        out += block
        counter += 1
    return bytes(out[:length])
