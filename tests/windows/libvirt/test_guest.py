"""Guest agent, clock, screenshot and failure evidence on the TEST driver.

What the TEST driver can do here: virDomainSetTime/GetTime (it keeps the time it was
given, starting at 1989-11-18), and virDomainScreenshot over a stream (a real PNG of a
synthetic console). What it cannot: virDomainQemuAgentCommand and virDomainGetGuestInfo
("this function is not supported by the connection driver"); for those the tests run the
code path up to the libvirt call and assert the error is classified as
"guest agent not available in the test driver".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.windows.libvirt_pool.errors import (
    DomainGone,
    ErrorCode,
    GuestAgentUnavailable,
)
from infra.windows.libvirt_pool.evidence import collect_evidence
from infra.windows.libvirt_pool.guest import agent_ping, check_build, resync_clock
from infra.windows.libvirt_pool.virt import GuestTime, Hypervisor
from tests.windows.libvirt.domains import start

NOW = 1_750_000_000.25
TEST_DRIVER_EPOCH = 627319920  # the TEST driver's initial guest time


def test_resync_clock_sets_host_time_and_reports_skew(hv: Hypervisor) -> None:
    domain = start(hv)
    sync = resync_clock(domain, now=lambda: NOW)
    assert sync.before == GuestTime(TEST_DRIVER_EPOCH, 0)
    assert sync.set_to == GuestTime(1_750_000_000, 250_000_000)
    assert sync.skew_seconds == pytest.approx(TEST_DRIVER_EPOCH - NOW)
    assert domain.get_time() == sync.set_to


def test_agent_ping_is_classified_on_the_test_driver(hv: Hypervisor) -> None:
    """The TEST driver has no virDomainQemuAgentCommand: exact classified message."""
    with pytest.raises(GuestAgentUnavailable) as err:
        agent_ping(start(hv))
    assert str(err.value) == (
        "guest agent not available in the test driver: "
        "virDomainQemuAgentCommand is not implemented there"
    )
    assert err.value.fault is not None and err.value.fault.code == ErrorCode.NO_SUPPORT


def test_build_check_is_classified_on_the_test_driver(hv: Hypervisor) -> None:
    """virDomainGetGuestInfo is not in the TEST driver either."""
    with pytest.raises(
        GuestAgentUnavailable,
        match=r"^guest agent not available in the test driver: virDomainGetGuestInfo",
    ):
        check_build(start(hv), "10.0.19045")


def test_screenshot_streams_a_png(hv: Hypervisor) -> None:
    mime, data = start(hv).screenshot()
    assert mime == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_evidence_of_a_running_vm(hv: Hypervisor, tmp_path: Path) -> None:
    domain = start(hv)
    written = collect_evidence(
        domain,
        tmp_path / "evidence",
        timeline=["12:00:00 started"],
        guest_logs=lambda: {"rasclient.evtx.json": b"[]", "../escape.txt": b"x"},
    )
    names = sorted(p.name for p in written)
    assert names == [
        "vm-addresses.json",
        "vm-domain.xml",
        "vm-guest-escape.txt",
        "vm-guest-rasclient.evtx.json",
        "vm-screenshot.png",
        "vm-state.json",
        "vm-timeline.log",
    ]
    assert all(p.parent == tmp_path / "evidence" for p in written)
    addresses = json.loads((tmp_path / "evidence" / "vm-addresses.json").read_text())
    assert addresses["agent"][0]["hwaddr"] == "52:54:00:00:aa:01"
    assert json.loads((tmp_path / "evidence" / "vm-state.json").read_text())["state"] == 1


def test_evidence_of_a_vanished_vm_says_why_each_item_is_missing(
    hv: Hypervisor, tmp_path: Path
) -> None:
    domain = start(hv)
    domain.destroy()

    def broken_logs() -> dict[str, bytes]:
        raise TimeoutError("WinRM did not answer")

    written = collect_evidence(domain, tmp_path, timeline=["x"], guest_logs=broken_logs)
    # The TEST driver's virDomainScreenshot does not look the domain up, so it still returns
    # an image for a destroyed domain; every other item reports the domain as gone.
    assert sorted(p.name for p in written) == [
        "vm-addresses.json",
        "vm-evidence-errors.txt",
        "vm-screenshot.png",
        "vm-timeline.log",
    ]
    errors = (tmp_path / "vm-evidence-errors.txt").read_text().splitlines()
    assert errors[0].startswith("domain XML: DomainGone: domain no longer exists")
    assert errors[1].startswith("state: DomainGone:")
    assert errors[-1] == "guest logs: TimeoutError: WinRM did not answer"
    addresses = json.loads((tmp_path / "vm-addresses.json").read_text())
    assert addresses["agent"].startswith("error: domain no longer exists")
    with pytest.raises(DomainGone):
        domain.state()
