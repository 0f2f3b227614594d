"""libvirt failures become PoolErrors whose message says what to do.

The classification is a pure function of libvirt's (call, code, domain, message); the
error numbers are checked against the installed libvirt module so a renumbering would
show here, and the end-to-end tests elsewhere feed it real TEST-driver errors.
"""

from __future__ import annotations

import libvirt
import pytest

from infra.windows.libvirt_pool.errors import (
    DomainGone,
    DomainNotRunning,
    ErrorCode,
    ErrorDomain,
    GuestAgentUnavailable,
    HypervisorUnreachable,
    MissingResource,
    NotSupportedByDriver,
    PoolError,
    VirtFault,
    classify,
)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_error_codes_match_libvirt(code: ErrorCode) -> None:
    assert getattr(libvirt, f"VIR_ERR_{code.name}") == code.value


@pytest.mark.parametrize("domain", list(ErrorDomain))
def test_error_domains_match_libvirt(domain: ErrorDomain) -> None:
    assert getattr(libvirt, f"VIR_FROM_{domain.name}") == domain.value


def fault(
    call: str, code: int, message: str, *, driver: str = "QEMU", domain: int = 10
) -> VirtFault:
    return VirtFault(call, code, domain, message, driver, "qemu+ssh://lab/system")


@pytest.mark.parametrize(
    ("f", "kind", "start"),
    [
        (
            fault("virDomainQemuAgentCommand", 3, "not supported", driver="TEST", domain=20),
            GuestAgentUnavailable,
            "guest agent not available in the test driver: virDomainQemuAgentCommand",
        ),
        (
            fault("virDomainGetGuestInfo", 3, "not supported"),
            GuestAgentUnavailable,
            "guest agent not available in the QEMU driver",
        ),
        (
            fault("virDomainSetTime", 86, "Guest agent is not responding"),
            GuestAgentUnavailable,
            "guest agent not responding on qemu+ssh://lab/system (virDomainSetTime)",
        ),
        (
            fault("virDomainInterfaceAddresses(agent)", 74, "QEMU guest agent is not configured"),
            GuestAgentUnavailable,
            "domain has no guest agent channel",
        ),
        (
            fault("virConnectOpen", 38, "Cannot recv data: ssh: connect to host", domain=7),
            HypervisorUnreachable,
            "cannot reach hypervisor qemu+ssh://lab/system",
        ),
        (
            fault("virDomainGetXMLDesc", 39, "connection closed", domain=7),
            HypervisorUnreachable,
            "cannot reach hypervisor",
        ),
        (fault("virDomainDestroy", 42, "Domain not found"), DomainGone, "domain no longer exists"),
        (
            fault("virDomainScreenshot", 55, "domain is not running"),
            DomainNotRunning,
            "domain is not running (virDomainScreenshot)",
        ),
        (
            fault("virNetworkLookupByName", 43, "no network with matching name"),
            MissingResource,
            "libvirt network not found",
        ),
        (
            fault("virStorageVolLookupByName", 50, "no storage vol"),
            MissingResource,
            "storage volume not found",
        ),
        (
            fault(
                "virDomainCreateXML",
                8,
                "unsupported flags (0x2) in function testDomainCreateXML",
                driver="TEST",
            ),
            NotSupportedByDriver,
            "virDomainCreateXML is not supported by the test driver",
        ),
        (
            fault("virNetworkGetDHCPLeases", 3, "not supported", driver="TEST"),
            NotSupportedByDriver,
            "virNetworkGetDHCPLeases is not supported by the test driver",
        ),
    ],
)
def test_classification(f: VirtFault, kind: type[PoolError], start: str) -> None:
    err = classify(f)
    assert type(err) is kind
    assert str(err).startswith(start)
    assert err.fault is f


def test_unknown_errors_keep_libvirts_words() -> None:
    err = classify(fault("virDomainCreateXML", 27, "XML error: missing <os><type>"))
    assert type(err) is PoolError
    assert str(err) == (
        "virDomainCreateXML failed on qemu+ssh://lab/system: XML error: missing <os><type> "
        "(libvirt error 27)"
    )
