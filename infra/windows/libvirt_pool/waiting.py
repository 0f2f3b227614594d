"""Deadlines for polling loops (address discovery, readiness, leases).

DESIGN.md: wait on events or poll with a deadline, and say on timeout what was awaited
and what was last seen. The clock is injectable so unit tests need not sleep for real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


REAL_CLOCK = Clock()


class Deadline:
    """TIMEOUT seconds from now on CLOCK."""

    def __init__(self, timeout: float, clock: Clock = REAL_CLOCK) -> None:
        self.timeout = timeout
        self._clock = clock
        self._end = clock.now() + timeout

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock.now())

    def expired(self) -> bool:
        return self._clock.now() >= self._end

    def pause(self, interval: float) -> None:
        """Sleep INTERVAL seconds, or less if the deadline comes first."""
        self._clock.sleep(min(interval, self.remaining()))
