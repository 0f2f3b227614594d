"""When is a booted Windows VM usable? Whatever the caller's probe says, within a deadline.

"Usable" means the transport answers (WinRM over HTTPS, or SSH) and RasMan, IKEEXT and BFE
run (827 otherwise; windows-driving.md 10.2). Only the transport layer
(infra/windows/transports/) can ask Windows that, so readiness here is a loop around a
caller-supplied `Probe`; this module adds the deadline, the "what was last seen" message,
and two transport-free building blocks: a TCP port check and a service-state check that
takes the query function from the caller.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from infra.windows.libvirt_pool.discovery import FoundAddresses
from infra.windows.libvirt_pool.errors import WaitTimeout
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock, Deadline

VPN_SERVICES = ("RasMan", "IKEEXT", "BFE")


@dataclass(frozen=True)
class GuestEndpoint:
    """How the harness reaches one VM: its name and management address."""

    domain: str
    management: FoundAddresses

    @property
    def host(self) -> str:
        first = self.management.first(4) or self.management.first(6)
        assert first is not None, "discovery returns at least one address"
        return str(first.ip)


@dataclass(frozen=True)
class ProbeResult:
    ready: bool
    detail: str


Probe = Callable[[GuestEndpoint], ProbeResult]


def wait_ready(
    probe: Probe,
    endpoint: GuestEndpoint,
    *,
    timeout: float = 600.0,
    interval: float = 5.0,
    clock: Clock = REAL_CLOCK,
) -> ProbeResult:
    """Call PROBE until it reports ready; an exception from it counts as 'not yet'."""
    deadline = Deadline(timeout, clock)
    attempts = 0
    while True:
        attempts += 1
        try:
            result = probe(endpoint)
        except Exception as exc:  # a probe's transport error is a normal "not yet"
            result = ProbeResult(False, f"{type(exc).__name__}: {exc}")
        if result.ready:
            return result
        if deadline.expired():
            raise WaitTimeout(
                f"{endpoint.domain} ({endpoint.host}) not ready within {timeout:g} s after "
                f"{attempts} probe(s); last: {result.detail}"
            )
        deadline.pause(interval)


def tcp_probe(port: int, *, connect_timeout: float = 3.0) -> Probe:
    """Ready once something accepts TCP connections on PORT (5986 WinRM-HTTPS, 22 SSH)."""

    def probe(endpoint: GuestEndpoint) -> ProbeResult:
        try:
            with socket.create_connection((endpoint.host, port), timeout=connect_timeout):
                return ProbeResult(True, f"tcp/{port} accepts connections")
        except OSError as exc:
            return ProbeResult(False, f"tcp/{port}: {exc.strerror or exc}")

    return probe


ServiceQuery = Callable[[GuestEndpoint, Sequence[str]], Mapping[str, str]]


def services_probe(query: ServiceQuery, services: Sequence[str] = VPN_SERVICES) -> Probe:
    """Ready once QUERY (e.g. Get-Service over the transport) says every service 'Running'."""

    def probe(endpoint: GuestEndpoint) -> ProbeResult:
        states = query(endpoint, services)
        waiting = [
            f"{s}={states.get(s, 'missing')}" for s in services if states.get(s) != "Running"
        ]
        if waiting:
            return ProbeResult(False, "services not running: " + ", ".join(waiting))
        return ProbeResult(True, "running: " + ", ".join(services))

    return probe


def all_of(*probes: Probe) -> Probe:
    """Ready when every probe is, checked in order (the first 'not yet' is reported)."""

    def probe(endpoint: GuestEndpoint) -> ProbeResult:
        details = []
        for one in probes:
            result = one(endpoint)
            if not result.ready:
                return result
            details.append(result.detail)
        return ProbeResult(True, "; ".join(details))

    return probe
