"""Everything one connection attempt needs, decided before the first packet leaves.

The emulated machine (emulator.machine) turns its stores, registry, VPN profile and IPsec
policy into a DialConfig; the engine (emulator.sa.session) only executes it. That keeps
"what would this Windows build offer" apart from "how IKEv2 works".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from emulator.codec import CpPayload, Proposal, TrafficSelector
from emulator.crypto.auth import VerifyingKey
from emulator.profiles.schema import ProfileOptions
from emulator.sa.authenticator import Authenticator


class GatewayVerifier(Protocol):
    """Checks the gateway's CERT payloads as Windows does; returns the key to verify its
    AUTH with, or raises ConnectError with the Windows error number."""

    def __call__(self, certificates: tuple[bytes, ...]) -> VerifyingKey: ...


@dataclass(frozen=True)
class DialConfig:
    ike_proposals: tuple[Proposal, ...]
    esp_proposals: tuple[Proposal, ...]
    """Without SPI: the engine puts a fresh inbound SPI into each."""
    authenticator: Authenticator
    verify_gateway: GatewayVerifier
    cp: CpPayload
    tsi: tuple[TrafficSelector, ...]
    tsr: tuple[TrafficSelector, ...]
    vendor_ids: tuple[bytes, ...]
    options: ProfileOptions
    time_scale: float = 1.0
    """Windows seconds per real second (DESIGN.md: time is compressed by configuration)."""

    def seconds(self, windows_seconds: float) -> float:
        """A profile time in real seconds."""
        return windows_seconds / self.time_scale
