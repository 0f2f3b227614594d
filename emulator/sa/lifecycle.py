"""When an established connection must act on its own: the Windows lifecycle timers.

The profile gives the times in Windows seconds (windows-client-behavior.md 4.1-4.6, 7):
CHILD SA rekey at ``child_rekey_after_s`` (3526 s, 58 min 46 s) after the CHILD SA was
created, its hard expiry at ``child_lifetime_s`` when no rekey succeeded, IKE SA rekey at
``ike_rekey_after_s``, the idle CHILD SA delete after ``idle_child_delete_s`` without ESP
traffic, liveness checks on the ``dpd_intervals_s`` schedule, NAT keepalives, and the
MOBIKE network outage: without a usable network the IKE SA survives ``outage_time_s``
(reference 6, 1800 s) and every other timer waits for the network to return. One
WindowsClock turns them into real deadlines, so a suite compresses an hour into seconds by
configuration; this class only keeps deadlines, the session does the exchanges.
"""

from __future__ import annotations

import enum
import time

from emulator.profiles.schema import ProfileOptions
from emulator.sa.clock import WindowsClock

NEVER = float("inf")


class Due(enum.Enum):
    CHILD_REKEY = "child rekey"
    CHILD_EXPIRED = "child expired"
    IKE_REKEY = "ike rekey"
    IDLE = "idle check"
    DPD = "liveness check"
    KEEPALIVE = "keepalive"
    OUTAGE = "network outage"


class Lifecycle:
    def __init__(self, options: ProfileOptions, clock: WindowsClock, *, behind_nat: bool) -> None:
        self.options = options
        self.clock = clock
        now = time.monotonic()
        self._dpd_intervals = [clock.real(t) for t in options.dpd_intervals_s]
        self._dpd_count = 0
        self._deadlines: dict[Due, float] = dict.fromkeys(Due, NEVER)
        self._deadlines[Due.DPD] = now + self._dpd_intervals[0] if self._dpd_intervals else NEVER
        keepalive = clock.real(options.nat_keepalive_s) if behind_nat else 0.0
        self._keepalive = keepalive
        self._outage_until: float | None = None
        if keepalive > 0:
            self._deadlines[Due.KEEPALIVE] = now + keepalive
        self.ike_new(now)
        self.child_new(now)

    # --- deadlines ---------------------------------------------------------------------

    def next_deadline(self) -> float:
        if self._outage_until is not None:
            return self._outage_until
        return min(self._deadlines.values())

    def due(self, now: float) -> list[Due]:
        if self._outage_until is not None:
            return [Due.OUTAGE] if self._outage_until <= now else []
        return [kind for kind, at in self._deadlines.items() if at <= now]

    def is_due(self, kind: Due, now: float) -> bool:
        if kind is Due.OUTAGE:
            return self._outage_until is not None and self._outage_until <= now
        if self._outage_until is not None:
            return False
        return self._deadlines[kind] <= now

    # --- network outage (MOBIKE) -------------------------------------------------------

    @property
    def in_outage(self) -> bool:
        return self._outage_until is not None

    def outage_began(self, now: float) -> float:
        """No usable network since NOW: the IKE SA is given outage_time_s (Windows time);
        returns the real deadline. A second loss during an outage keeps the first deadline."""
        if self._outage_until is None:
            self._outage_until = now + self.clock.real(self.options.outage_time_s)
        return self._outage_until

    def outage_ended(self, now: float) -> None:
        """The network is back (the SA moved): liveness checks start over from NOW; rekeys
        that fell due meanwhile are due at once."""
        self._outage_until = None
        if self._dpd_intervals:
            self._dpd_count = 0
            self._deadlines[Due.DPD] = now + self._dpd_intervals[0]

    def windows_age(self, since: float, now: float | None = None) -> float:
        """Windows seconds elapsed since the monotonic time SINCE."""
        return self.clock.windows((time.monotonic() if now is None else now) - since)

    # --- events ------------------------------------------------------------------------

    def child_new(self, now: float | None = None) -> None:
        """A CHILD SA was (re)created: rekey, expiry and idle timers start over."""
        now = time.monotonic() if now is None else now
        self.child_created = now
        options = self.options
        self._deadlines[Due.CHILD_REKEY] = (
            now + self.clock.real(options.child_rekey_after_s)
            if options.child_rekey_after_s > 0
            else NEVER
        )
        self._deadlines[Due.CHILD_EXPIRED] = (
            now + self.clock.real(options.child_lifetime_s)
            if options.child_lifetime_s > 0
            else NEVER
        )
        self._deadlines[Due.IDLE] = (
            now + self.clock.real(options.idle_child_delete_s)
            if options.idle_child_delete_s > 0
            else NEVER
        )

    def child_rekey_failed(self) -> None:
        """No retry is recorded for Windows: the old CHILD SA lives until it expires."""
        self._deadlines[Due.CHILD_REKEY] = NEVER

    def idle_off(self) -> None:
        """No way to see traffic: the idle delete cannot apply (the rekeys still do)."""
        self._deadlines[Due.IDLE] = NEVER

    def child_gone(self) -> None:
        for kind in (Due.CHILD_REKEY, Due.CHILD_EXPIRED, Due.IDLE):
            self._deadlines[kind] = NEVER

    def _schedule_ike(self, now: float) -> None:
        after = self.options.ike_rekey_after_s
        self._deadlines[Due.IKE_REKEY] = now + self.clock.real(after) if after > 0 else NEVER

    def ike_new(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.ike_created = now
        self._schedule_ike(now)

    def ike_rekey_failed(self) -> None:
        self._deadlines[Due.IKE_REKEY] = NEVER

    def idle_checked(self, last_traffic: float, now: float) -> bool:
        """True when no ESP packet moved for the idle time (delete the CHILD SA); else the
        check moves to LAST_TRAFFIC + idle time (monotonic seconds)."""
        idle = self.clock.real(self.options.idle_child_delete_s)
        last = max(last_traffic, self.child_created)
        if now - last >= idle:
            self._deadlines[Due.IDLE] = NEVER
            return True
        self._deadlines[Due.IDLE] = last + idle
        return False

    def dpd_sent(self, now: float) -> None:
        self._dpd_count += 1
        intervals = self._dpd_intervals
        self._deadlines[Due.DPD] = now + intervals[min(self._dpd_count, len(intervals) - 1)]

    def keepalive_sent(self, now: float) -> None:
        self._deadlines[Due.KEEPALIVE] = now + self._keepalive
