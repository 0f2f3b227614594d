"""Where a test's time goes: named phases of one interop attempt, in wall-clock seconds.

Why: the matrix has to stay fast while it grows, and cutting the right cost needs the
per-phase figures of real runs, not guesses. Each InteropRun times its phases (lab bring-up,
gateway start, client set-up, connect, capture stop, decode, evidence, teardown); the
results plugin writes them into result.json (`phases`) and bench/bench_phases.py prints the
per-phase medians and shares of a result set, or against a baseline set.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class PhaseClock:
    """Accumulates seconds per phase name, in the order the phases first ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.add(name, time.monotonic() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def merged(self, other: PhaseClock) -> PhaseClock:
        """A clock with both clocks' seconds (a test with several InteropRuns)."""
        both = PhaseClock()
        for clock in (self, other):
            for name, seconds in clock.seconds.items():
                both.add(name, seconds)
        return both

    def record(self) -> dict[str, float]:
        return {name: round(seconds, 4) for name, seconds in self.seconds.items()}
