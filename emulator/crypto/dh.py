"""Diffie-Hellman for the KE payload: MODP groups 1, 2, 14, 24 and ECP groups 19, 20.

All groups share one shape: construct with the group number (and, for known-answer
tests, a fixed private value), put ``public_value`` into the KE payload, and call
``shared_secret(peer_ke_data)`` to get g^ir as it enters SKEYSEED.

Wire rules implemented here, because getting them wrong breaks interop silently:

* MODP (RFC 7296 3.4): the KE data and g^ir are left-padded with zeros to the prime's
  length. The exponentiation is pycryptodome's ``Integer`` (GMP's mpz_powm when libgmp
  is present, about four times faster than Python's ``pow`` for MODP-2048, which matters
  on the connect path; pure Python otherwise); cryptography's FFDH would need its slow
  parameter checks and is deprecated for these groups.
* Peer MODP values must have exactly the prime's length and lie in 2..p-2; for group 24
  the value must also be in the order-q subgroup (RFC 6989 recommends this check for
  groups 22-24).
* ECP (RFC 5903 7, 9): KE data is x | y without the 0x04 point-format octet; g^ir is
  the x coordinate only. The peer point is validated by ``cryptography`` when loaded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from Crypto.Math.Numbers import Integer
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.const import DhGroup
from emulator.crypto import dh_params
from emulator.crypto.errors import DhError, UnsupportedTransformError


class KeyExchange(Protocol):
    """One side of one Diffie-Hellman exchange."""

    @property
    def group(self) -> DhGroup: ...

    @property
    def public_value(self) -> bytes:
        """The KE payload's Key Exchange Data."""
        ...

    def shared_secret(self, peer_value: bytes) -> bytes:
        """g^ir from the peer's Key Exchange Data; raises DhError if it is invalid."""
        ...


@dataclass(frozen=True)
class ModpGroup:
    """Parameters of a MODP group; ``order`` is set when g generates a small subgroup."""

    group: DhGroup
    prime: int
    generator: int
    exponent_bits: int
    order: int | None = None

    @property
    def size(self) -> int:
        """Length in bytes of KE data and shared secret."""
        return (self.prime.bit_length() + 7) // 8


# Private exponent sizes: at least twice the group's strength (RFC 3526 8 discussion);
# the same sizes strongSwan uses, so timing and behaviour stay comparable.
MODP_GROUPS = {
    DhGroup.MODP_768: ModpGroup(DhGroup.MODP_768, dh_params.MODP_768_PRIME, 2, 256),
    DhGroup.MODP_1024: ModpGroup(DhGroup.MODP_1024, dh_params.MODP_1024_PRIME, 2, 256),
    DhGroup.MODP_2048: ModpGroup(DhGroup.MODP_2048, dh_params.MODP_2048_PRIME, 2, 384),
    DhGroup.MODP_2048_256: ModpGroup(
        DhGroup.MODP_2048_256,
        dh_params.MODP_2048_256_PRIME,
        dh_params.MODP_2048_256_GENERATOR,
        256,
        dh_params.MODP_2048_256_ORDER,
    ),
}

ECP_CURVES: dict[DhGroup, type[ec.EllipticCurve]] = {
    DhGroup.ECP_256: ec.SECP256R1,
    DhGroup.ECP_384: ec.SECP384R1,
}


def modexp(base: int, exponent: int, modulus: int) -> int:
    """BASE ** EXPONENT mod MODULUS with the library's big-number arithmetic."""
    return int(Integer(base).inplace_pow(exponent, modulus))


class ModpKeyExchange:
    """Finite-field Diffie-Hellman in one of :data:`MODP_GROUPS`."""

    def __init__(self, params: ModpGroup, private: int | None = None) -> None:
        self._params = params
        if private is None:
            private = self._random_private()
        self._private = private
        public = modexp(params.generator, private, params.prime)
        self._public = public.to_bytes(params.size, "big")

    def _random_private(self) -> int:
        if self._params.order is not None:
            return 1 + secrets.randbelow(self._params.order - 1)
        bits = self._params.exponent_bits
        return secrets.randbits(bits) | (1 << (bits - 1))

    @property
    def group(self) -> DhGroup:
        return self._params.group

    @property
    def public_value(self) -> bytes:
        return self._public

    def shared_secret(self, peer_value: bytes) -> bytes:
        p = self._params.prime
        if len(peer_value) != self._params.size:
            raise DhError(
                f"{self.group.name} KE data must be {self._params.size} bytes, "
                f"got {len(peer_value)}"
            )
        y = int.from_bytes(peer_value, "big")
        if not 1 < y < p - 1:
            raise DhError(f"{self.group.name} peer value outside 2..p-2")
        order = self._params.order
        if order is not None and modexp(y, order, p) != 1:
            raise DhError(f"{self.group.name} peer value not in the prime-order subgroup")
        return modexp(y, self._private, p).to_bytes(self._params.size, "big")


class EcpKeyExchange:
    """Elliptic-curve Diffie-Hellman on a NIST prime curve (RFC 5903)."""

    def __init__(self, group: DhGroup, private: int | None = None) -> None:
        self._group = group
        curve = ECP_CURVES[group]()
        self._curve = curve
        self._coordinate_size = (curve.key_size + 7) // 8
        if private is None:
            self._key = ec.generate_private_key(curve)
        else:
            self._key = ec.derive_private_key(private, curve)
        numbers = self._key.public_key().public_numbers()
        size = self._coordinate_size
        self._public = numbers.x.to_bytes(size, "big") + numbers.y.to_bytes(size, "big")

    @property
    def group(self) -> DhGroup:
        return self._group

    @property
    def public_value(self) -> bytes:
        return self._public

    def shared_secret(self, peer_value: bytes) -> bytes:
        if len(peer_value) != 2 * self._coordinate_size:
            raise DhError(
                f"{self._group.name} KE data must be {2 * self._coordinate_size} bytes "
                f"(x | y), got {len(peer_value)}"
            )
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(self._curve, b"\x04" + peer_value)
            return self._key.exchange(ec.ECDH(), peer)
        except ValueError as exc:
            raise DhError(f"{self._group.name} peer value is not a curve point: {exc}") from exc


def key_exchange(group: int, private: int | None = None) -> KeyExchange:
    """A fresh key exchange for IKE transform D-H ``group`` (private value for KATs only)."""
    try:
        dh_group = DhGroup(group)
    except ValueError:
        raise UnsupportedTransformError(f"D-H group {group}") from None
    if dh_group in MODP_GROUPS:
        return ModpKeyExchange(MODP_GROUPS[dh_group], private)
    if dh_group in ECP_CURVES:
        return EcpKeyExchange(dh_group, private)
    raise UnsupportedTransformError(f"D-H group {dh_group.name}")


def supported_groups() -> tuple[DhGroup, ...]:
    return (*MODP_GROUPS, *ECP_CURVES)
