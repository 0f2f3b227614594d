"""The emulator's clock for Windows timers: Windows seconds in, real seconds out.

DESIGN.md: time is compressed by configuration, never by sleeping. Two scales, because the
timers are of two kinds. Lifecycle timers (the 58 min 46 s CHILD rekey, the IKE rekey and
lifetimes, the 300 s idle delete, liveness checks, NAT keepalives) are what the SA
lifecycle suites compress, by hundreds, so an hour passes in seconds. Retransmission
timers are about the network, not the SA: compressing them by the same factor would turn
1 s into milliseconds and make a busy gateway look dead, so they have their own scale
(1 in the suites; unit tests compress them to test hostile responders quickly).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WindowsClock:
    scale: float = 1.0
    """Windows seconds per real second for lifecycle timers."""
    retransmit_scale: float = 1.0
    """Windows seconds per real second for IKE retransmissions."""
    started: float = field(default_factory=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if self.scale <= 0 or self.retransmit_scale <= 0:
            raise ValueError(f"time scales must be > 0, got {self.scale}, {self.retransmit_scale}")

    def real(self, windows_seconds: float) -> float:
        """A lifecycle time in real seconds."""
        return windows_seconds / self.scale

    def retransmit(self, windows_seconds: float) -> float:
        """A retransmission timeout in real seconds."""
        return windows_seconds / self.retransmit_scale

    def windows(self, real_seconds: float) -> float:
        """A real duration as the Windows machine experiences it (for logs)."""
        return real_seconds * self.scale
