"""Talking to the QEMU guest agent: clock resync, liveness, and which Windows build booted.

Clock: a guest restored from a snapshot, or one whose RTC drifted, can be minutes or days
off; IKE with certificates then fails with 13801-style errors that have nothing to do
with the gateway. virDomainSetTime (QGA guest-set-time on QEMU) pushes the host's time;
the skew seen before is returned so a report can show it (windows-driving.md 10.3).

Build: virDomainGetGuestInfo(OS) reports what actually booted, so a test never runs a
win10-22h2 profile against a mislabelled image. qemu-ga on Windows puts the major.minor
version in os.kernel-version and the build number in os.kernel-release (qemu-ga
commands-win32.c; not yet seen on a real VM: windows-driving.md 15).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from infra.windows.libvirt_pool.errors import PoolError
from infra.windows.libvirt_pool.virt import Domain, GuestTime


@dataclass(frozen=True)
class ClockSync:
    """What resync_clock did: the guest's time before, and the time it was set to."""

    before: GuestTime
    set_to: GuestTime

    @property
    def skew_seconds(self) -> float:
        """Guest minus host before the resync (negative: guest was behind)."""
        return (self.before.seconds - self.set_to.seconds) + (
            self.before.nseconds - self.set_to.nseconds
        ) / 1e9


def resync_clock(domain: Domain, *, now: Callable[[], float] = time.time) -> ClockSync:
    """Read the guest clock, then set it to the host's (UTC seconds + nanoseconds)."""
    before = domain.get_time()
    t = now()
    target = GuestTime(int(t), int((t - int(t)) * 1e9))
    domain.set_time(target)
    return ClockSync(before, target)


def agent_ping(domain: Domain, *, timeout_s: int = 5) -> None:
    """Raise GuestAgentUnavailable unless QGA answers guest-ping."""
    domain.agent_command('{"execute":"guest-ping"}', timeout_s)


def guest_build(domain: Domain) -> str:
    """'10.0.<build>' of the running Windows, from the guest agent."""
    info = domain.guest_os_info()
    version, release = info.get("os.kernel-version"), info.get("os.kernel-release")
    if not version or not release:
        raise PoolError(f"guest agent of {domain.name} reported no OS version: {info}")
    return f"{version}.{release}"


def check_build(domain: Domain, expected: str) -> str:
    """Return the running build; raise PoolError if it is not EXPECTED (image mislabelled)."""
    actual = guest_build(domain)
    if actual != expected:
        raise PoolError(
            f"{domain.name} runs Windows {actual}, but its golden image is registered as "
            f"{expected}: fix the inventory or the image"
        )
    return actual
