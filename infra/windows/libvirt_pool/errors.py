"""What can go wrong with a VM, in words an operator can act on.

libvirt reports failures as (code, domain, message) triples whose meaning depends on the
driver: "this function is not supported by the connection driver" from the TEST driver
means "unit test: nothing to see", from QEMU it means a missing feature. `classify` turns
one `VirtFault` (the raw triple plus the API call and driver, captured by the adapter
module) into one `PoolError` subclass with a clear message, so callers catch meanings
(`GuestAgentUnavailable`) instead of numbers, and a report can quote the message verbatim.

The numeric codes are libvirt's stable ABI (virerror.h); tests check them against the
installed libvirt module so a renumbering cannot go unnoticed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from infra.errors import LabError


class ErrorCode(enum.IntEnum):
    """The virErrorNumber values this package tells apart."""

    INTERNAL_ERROR = 1
    NO_SUPPORT = 3
    NO_CONNECT = 5
    INVALID_ARG = 8
    OPERATION_FAILED = 9
    XML_ERROR = 27
    SYSTEM_ERROR = 38
    RPC = 39
    NO_DOMAIN = 42
    NO_NETWORK = 43
    AUTH_FAILED = 45
    NO_STORAGE_POOL = 49
    NO_STORAGE_VOL = 50
    OPERATION_INVALID = 55
    CONFIG_UNSUPPORTED = 67
    OPERATION_TIMEOUT = 68
    NO_DOMAIN_SNAPSHOT = 72
    ARGUMENT_UNSUPPORTED = 74
    NO_DOMAIN_METADATA = 80
    OPERATION_UNSUPPORTED = 84
    AGENT_UNRESPONSIVE = 86
    STORAGE_VOL_EXIST = 90
    AUTH_UNAVAILABLE = 94
    AGENT_UNSYNCED = 97


class ErrorDomain(enum.IntEnum):
    """The virErrorDomain values this package tells apart (where an error came from)."""

    NONE = 0
    RPC = 7
    QEMU = 10
    TEST = 12
    REMOTE = 13
    STORAGE = 18
    NETWORK = 19
    DOMAIN = 20
    SSH = 50
    LIBSSH = 66


# API calls that need the QEMU guest agent inside the VM (virDomainSetTime and
# virDomainInterfaceAddresses with SRC_AGENT go through it on the QEMU driver too).
AGENT_CALLS = frozenset(
    {
        "virDomainQemuAgentCommand",
        "virDomainGetGuestInfo",
        "virDomainSetTime",
        "virDomainGetTime",
        "virDomainInterfaceAddresses(agent)",
    }
)


@dataclass(frozen=True)
class VirtFault:
    """One libvirt failure as raised: which call, on which driver/URI, and libvirt's words."""

    call: str
    code: int
    domain: int
    message: str
    driver: str
    uri: str

    def describe(self) -> str:
        return f"{self.call} failed on {self.uri}: {self.message} (libvirt error {self.code})"


class PoolError(LabError):
    """Base of every failure of the VM pool; `fault` holds libvirt's raw error if any."""

    def __init__(self, message: str, fault: VirtFault | None = None) -> None:
        super().__init__(message)
        self.fault = fault


class HypervisorUnreachable(PoolError):
    """The connection to the hypervisor could not be opened or was lost."""


class GuestAgentUnavailable(PoolError):
    """The QEMU guest agent did not answer (absent, not started yet, or driver lacks it)."""


class NotSupportedByDriver(PoolError):
    """The hypervisor driver does not implement the call (e.g. the TEST driver)."""


class DomainNotRunning(PoolError):
    """The call needs a running domain and this one is not."""


class DomainGone(PoolError):
    """The domain no longer exists (a transient domain disappears when destroyed)."""


class MissingResource(PoolError):
    """A network, storage pool or volume the inventory names does not exist."""


class ImageExpired(PoolError):
    """A golden image is older than its evaluation licence allows (rebuild it)."""


class WaitTimeout(PoolError):
    """A deadline passed: the message says what was awaited and what was last seen."""


class LeaseUnavailable(PoolError):
    """No VM slot on the hypervisor could be leased before the deadline."""


class TestDriverHazard(PoolError):
    """A call the TEST driver would crash on (not a libvirt error: refused before the call)."""

    __test__ = False  # not a pytest test class despite the name


_MISSING = {
    ErrorCode.NO_NETWORK: "libvirt network",
    ErrorCode.NO_STORAGE_POOL: "storage pool",
    ErrorCode.NO_STORAGE_VOL: "storage volume",
    ErrorCode.NO_DOMAIN_SNAPSHOT: "snapshot",
}

_UNREACHABLE_DOMAINS = {ErrorDomain.RPC, ErrorDomain.REMOTE, ErrorDomain.SSH, ErrorDomain.LIBSSH}


def _driver_words(driver: str) -> str:
    return "the test driver" if driver == "TEST" else f"the {driver} driver"


def classify(fault: VirtFault) -> PoolError:
    """The PoolError that says what FAULT means, keeping FAULT for the record."""
    code, msg = fault.code, fault.message
    if fault.call in AGENT_CALLS:
        if code == ErrorCode.NO_SUPPORT:
            return GuestAgentUnavailable(
                f"guest agent not available in {_driver_words(fault.driver)}: "
                f"{fault.call} is not implemented there",
                fault,
            )
        if code in (ErrorCode.AGENT_UNRESPONSIVE, ErrorCode.AGENT_UNSYNCED):
            return GuestAgentUnavailable(
                f"guest agent not responding on {fault.uri} ({fault.call}): not started yet, "
                f"or QEMU-GA missing from the image (virtio-win guest tools): {msg}",
                fault,
            )
        if code == ErrorCode.ARGUMENT_UNSUPPORTED and "agent" in msg.lower():
            return GuestAgentUnavailable(
                f"domain has no guest agent channel (org.qemu.guest_agent.0): {msg}", fault
            )
    if fault.call == "virConnectOpen" or (
        fault.domain in _UNREACHABLE_DOMAINS
        or code in (ErrorCode.NO_CONNECT, ErrorCode.AUTH_FAILED, ErrorCode.AUTH_UNAVAILABLE)
    ):
        return HypervisorUnreachable(f"cannot reach hypervisor {fault.uri}: {msg}", fault)
    if code == ErrorCode.NO_DOMAIN:
        return DomainGone(f"domain no longer exists on {fault.uri} ({fault.call}): {msg}", fault)
    if code == ErrorCode.OPERATION_INVALID and "not running" in msg:
        return DomainNotRunning(f"domain is not running ({fault.call}): {msg}", fault)
    if code in _MISSING:
        return MissingResource(
            f"{_MISSING[ErrorCode(code)]} not found on {fault.uri}: {msg}", fault
        )
    if code in (ErrorCode.NO_SUPPORT, ErrorCode.OPERATION_UNSUPPORTED) or (
        code == ErrorCode.INVALID_ARG and "unsupported flags" in msg
    ):
        return NotSupportedByDriver(
            f"{fault.call} is not supported by {_driver_words(fault.driver)}: {msg}", fault
        )
    return PoolError(fault.describe(), fault)
