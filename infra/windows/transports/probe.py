"""Is the guest ready to be driven? One probe script, polled until it says yes.

windows-driving.md section 10.2: a VM is usable when its shell answers and the services
the VPN client needs run: RasMan (Remote Access Connection Manager), IKEEXT (IKE and
AuthIP keying modules), BFE (Base Filtering Engine) and PolicyAgent (IPsec Policy Agent);
IKEEXT or BFE stopped makes every dial fail with 827 ERROR_IPSEC_SERVICE_STOPPED. The
probe also reports the OS version, which the factory compares with the golden image's
build number from the inventory, so a test never runs on a VM of the wrong build.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from infra.windows.result import ScriptOutputError
from infra.windows.script import PsScript, build_script
from infra.windows.transports.base import Transport, TransportError

log = logging.getLogger(__name__)

VPN_SERVICES = ("RasMan", "IKEEXT", "BFE", "PolicyAgent")

_BODY = r"""
# docs: PowerShell-Docs reference/5.1/CimCmdlets/Get-CimInstance.md (-ClassName);
# Win32_OperatingSystem (Version "10.0.<build>", Caption): learn.microsoft.com/windows/win32/
# cimwin32prov/win32-operatingsystem
$os = Get-CimInstance -ClassName Win32_OperatingSystem
# docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/Get-Service.md (-Name)
$services = @(foreach ($name in @('RasMan', 'IKEEXT', 'BFE', 'PolicyAgent')) {
    $service = Get-Service -Name $name
    [ordered]@{ name = [string]$service.Name; status = [string]$service.Status }
})
$WinteropData = [ordered]@{
    os_version = [string]$os.Version
    caption = [string]$os.Caption
    ps_version = [string]$PSVersionTable.PSVersion
    user = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
    services = $services
}
"""


def readiness_probe() -> PsScript:
    """The probe script: OS version, PowerShell version, session user, VPN service states."""
    return build_script(
        "readiness-probe",
        "{os_version: '10.0.<build>', caption: str, ps_version: str, user: str, "
        "services: [{name, status}]}",
        [],
        _BODY,
    )


@dataclass(frozen=True)
class GuestFacts:
    """What the probe found."""

    os_version: str
    caption: str
    ps_version: str
    user: str
    services: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(self.services.get(name) == "Running" for name in VPN_SERVICES)

    def describe(self) -> str:
        states = ", ".join(f"{k} {v}" for k, v in self.services.items())
        return f"{self.caption} {self.os_version} as {self.user}; {states}"


def parse_facts(data: object) -> GuestFacts:
    """Type the probe's data; a malformed document is a ScriptOutputError."""
    if not isinstance(data, dict):
        raise ScriptOutputError(f"readiness-probe: data is not an object: {data!r}")
    services = data.get("services")
    if not isinstance(services, list):
        raise ScriptOutputError("readiness-probe: services is not a list")
    states: dict[str, str] = {}
    for entry in services:
        if not isinstance(entry, dict):
            raise ScriptOutputError(f"readiness-probe: bad service entry {entry!r}")
        states[str(entry.get("name"))] = str(entry.get("status"))
    return GuestFacts(
        os_version=str(data.get("os_version", "")),
        caption=str(data.get("caption", "")),
        ps_version=str(data.get("ps_version", "")),
        user=str(data.get("user", "")),
        services=states,
    )


class GuestNotReady(TransportError):
    """The guest did not become ready before the deadline; says what was last seen."""


def wait_ready(transport: Transport, timeout: float, *, poll: float = 5.0) -> GuestFacts:
    """Run the probe until the VPN services run; raise GuestNotReady with the last state."""
    end = time.monotonic() + timeout
    last = "no answer yet"
    script = readiness_probe()
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise GuestNotReady(
                f"{transport.name} to {transport.target}: waited {timeout:.0f} s for the shell "
                f"to answer with {', '.join(VPN_SERVICES)} running; last seen: {last}"
            )
        try:
            result = transport.run(script, max(1.0, min(60.0, remaining)))
            facts = parse_facts(result.parse().unwrap())
        except (TransportError, ScriptOutputError) as exc:
            last = str(exc)
        except Exception as exc:  # ScriptFailedError: e.g. a service does not exist yet
            last = f"{type(exc).__name__}: {exc}"
        else:
            if facts.ready:
                log.info("guest %s ready: %s", transport.target, facts.describe())
                return facts
            last = facts.describe()
        time.sleep(max(0.0, min(poll, end - time.monotonic())))
