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
from emulator.sa.clock import WindowsClock


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
    """Windows seconds per real second for lifecycle timers (rekey, lifetimes, idle,
    liveness; DESIGN.md: time is compressed by configuration)."""
    retransmit_scale: float | None = None
    """The same for IKE retransmissions; None: TIME_SCALE (see emulator.sa.clock)."""
    pfs_group: int | None = None
    """-PfsGroup: the D-H group of CHILD rekeys (None: no PFS, no KE in a rekey)."""
    pfs_same_as_ike: bool = False
    """-PfsGroup PFSMM: the IKE SA's group (profile option pfsmm_group)."""

    @property
    def clock(self) -> WindowsClock:
        retransmit = self.time_scale if self.retransmit_scale is None else self.retransmit_scale
        return WindowsClock(self.time_scale, retransmit)

    def seconds(self, windows_seconds: float) -> float:
        """A lifecycle time in real seconds."""
        return windows_seconds / self.time_scale
