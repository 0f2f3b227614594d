"""Readiness: a caller-supplied probe polled to a deadline, plus the transport-free probes.

The probes are exercised for real: the TCP probe against a listening socket on loopback,
the services probe with a query function standing in for the transport's Get-Service.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Mapping, Sequence

import pytest

from infra.windows.libvirt_pool.discovery import FoundAddresses
from infra.windows.libvirt_pool.errors import WaitTimeout
from infra.windows.libvirt_pool.readiness import (
    GuestEndpoint,
    ProbeResult,
    all_of,
    services_probe,
    tcp_probe,
    wait_ready,
)
from infra.windows.libvirt_pool.virt import AddressSource
from tests.windows.libvirt.conftest import FakeClock


def endpoint(host: str = "127.0.0.1") -> GuestEndpoint:
    found = FoundAddresses(
        "52:54:00:00:aa:01", "wo-mgmt", AddressSource.AGENT, (ipaddress.ip_interface(f"{host}/8"),)
    )
    return GuestEndpoint("wo-r1-gw0-s0-1", found)


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


def test_ready_after_some_attempts(fake_clock: FakeClock) -> None:
    answers = iter(
        [
            ProbeResult(False, "WinRM: connection refused"),
            ProbeResult(False, "IKEEXT=Stopped"),
            ProbeResult(True, "ok"),
        ]
    )
    result = wait_ready(lambda _e: next(answers), endpoint(), interval=5, clock=fake_clock.clock)
    assert result == ProbeResult(True, "ok") and fake_clock.sleeps == [5, 5]


def test_timeout_quotes_the_last_probe_result(fake_clock: FakeClock) -> None:
    def probe(_e: GuestEndpoint) -> ProbeResult:
        if fake_clock.t < 20:
            raise ConnectionResetError("WinRM listener reset the connection")
        return ProbeResult(False, "services not running: IKEEXT=Stopped")

    with pytest.raises(WaitTimeout) as err:
        wait_ready(probe, endpoint(), timeout=30, interval=10, clock=fake_clock.clock)
    assert str(err.value) == (
        "wo-r1-gw0-s0-1 (127.0.0.1) not ready within 30 s after 4 probe(s); "
        "last: services not running: IKEEXT=Stopped"
    )


def test_probe_exceptions_count_as_not_yet(fake_clock: FakeClock) -> None:
    with pytest.raises(WaitTimeout, match="last: ConnectionRefusedError: nope"):
        wait_ready(
            lambda _e: (_ for _ in ()).throw(ConnectionRefusedError("nope")),
            endpoint(),
            timeout=1,
            clock=fake_clock.clock,
        )


def test_tcp_probe_against_a_real_socket(listener: int, closed_port: int) -> None:
    assert tcp_probe(listener)(endpoint()) == ProbeResult(
        True, f"tcp/{listener} accepts connections"
    )
    result = tcp_probe(closed_port)(endpoint())
    assert not result.ready and result.detail == f"tcp/{closed_port}: Connection refused"


def test_services_probe_names_what_is_not_running() -> None:
    def query(_e: GuestEndpoint, names: Sequence[str]) -> Mapping[str, str]:
        assert list(names) == ["RasMan", "IKEEXT", "BFE"]
        return {"RasMan": "Running", "IKEEXT": "Stopped"}

    assert services_probe(query)(endpoint()) == ProbeResult(
        False, "services not running: IKEEXT=Stopped, BFE=missing"
    )
    everything = services_probe(lambda _e, names: dict.fromkeys(names, "Running"))
    assert everything(endpoint()) == ProbeResult(True, "running: RasMan, IKEEXT, BFE")


def test_all_of_reports_the_first_probe_not_ready(listener: int, closed_port: int) -> None:
    up = services_probe(lambda _e, names: dict.fromkeys(names, "Running"))
    assert all_of(tcp_probe(listener), up)(endpoint()).ready
    result = all_of(up, tcp_probe(closed_port), up)(endpoint())
    assert result == ProbeResult(False, f"tcp/{closed_port}: Connection refused")
