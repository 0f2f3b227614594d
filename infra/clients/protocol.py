"""The WindowsClient protocol: what a suite can do with any client kind.

Suites are written once against this protocol; `emulated`, `windows` (a real VM) and
`reference` (strongSwan's charon) implement it. The operations mirror what an administrator
does on Windows: certificate stores, Add-VpnConnection, Set-VpnConnectionIPsecConfiguration,
registry values, rasdial. Outcomes are what Windows reports: connected, or an error number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from infra.auth_cases import AuthCase
from infra.clients.ping import PingStream
from infra.clients.windows_errors import WindowsError
from infra.pki.material import PkiMaterial


class ClientKind(enum.StrEnum):
    EMULATED = "emulated"
    WINDOWS = "windows"
    REFERENCE = "reference"


class CmdletRefused(Exception):
    """A Windows cmdlet refused its arguments: Windows' own answer (a result the suites grade,
    e.g. Add-VpnConnectionRoute with ::/0), not a failure of the harness."""

    def __init__(self, cmdlet: str, message: str) -> None:
        super().__init__(f"{cmdlet}: {message}")
        self.cmdlet = cmdlet
        self.message = message


class NotSupportedByClient(NotImplementedError):
    """The client kind cannot do this at all (not a failure of the system under test)."""

    def __init__(self, kind: ClientKind, operation: str, why: str) -> None:
        super().__init__(f"{operation} is not supported by the {kind} client kind: {why}")


class EncryptionLevel(enum.StrEnum):
    """Add-VpnConnection -EncryptionLevel."""

    NO_ENCRYPTION = "NoEncryption"
    OPTIONAL = "Optional"
    REQUIRED = "Required"
    MAXIMUM = "Maximum"
    CUSTOM = "Custom"


@dataclass(frozen=True)
class VpnProfile:
    """A VPN connection as Add-VpnConnection creates it (the parameters suites use)."""

    name: str
    server_address: str
    auth: AuthCase
    encryption_level: EncryptionLevel = EncryptionLevel.REQUIRED
    split_tunneling: bool = False
    remember_credential: bool = False


@dataclass(frozen=True)
class Credentials:
    """EAP-MSCHAPv2 credentials as rasdial takes them. The password never reaches a log."""

    user: str
    password: str = field(repr=False)
    domain: str | None = None


@dataclass(frozen=True)
class IPsecConfiguration:
    """Set-VpnConnectionIPsecConfiguration's six values (Microsoft's spellings)."""

    authentication_transform_constants: str
    cipher_transform_constants: str
    dh_group: str
    encryption_method: str
    integrity_check_method: str
    pfs_group: str


@dataclass(frozen=True)
class ConnectOutcome:
    """What the client reports after dialling; never an exception for VPN-level failures."""

    connected: bool
    error: WindowsError | None
    detail: str
    seconds: float

    def describe(self) -> str:
        if self.connected:
            return f"connected in {self.seconds:.3f} s"
        return f"failed with {self.error} after {self.seconds:.3f} s: {self.detail}"


@dataclass(frozen=True)
class ClientState:
    connected: bool
    virtual_ips: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()
    routes: tuple[str, ...] | None = None
    """The prefixes routed through the VPN interface (Get-NetRoute -InterfaceAlias), read
    back from the client's routing table; None where the client kind cannot tell."""
    ended_with: WindowsError | None = None
    """The Windows error an established connection ended with (lost gateway, network
    outage), as the RAS event log reports it; None while connected, after a hang-up, or
    where the client kind cannot tell."""


@dataclass(frozen=True)
class TimerPlan:
    """How a suite runs Windows time (DESIGN.md: compressed by configuration, not sleeping).

    SCALE Windows seconds pass per real second in the client's lifecycle timers; the
    emulator applies it to its profile's own timers (which the suite grades). A client
    without Windows timers of its own (the reference) is configured with the Windows values
    given here, scaled, so it does the same thing at the same moment. Real Windows runs in
    real time only (scale 1)."""

    scale: float = 1.0
    child_rekey_s: float | None = None
    ike_rekey_s: float | None = None
    retransmit_scale: float = 1.0
    """Compress the client's IKE retransmission timers too (a suite that waits for a dial to
    give up, not one that measures the schedule). Applies to the emulator only: a real
    Windows machine retransmits in real time, the reference on its own short schedule."""

    def real(self, windows_seconds: float) -> float:
        return windows_seconds / self.scale


@runtime_checkable
class WindowsClient(Protocol):
    """One client machine. `profile` is the Windows build profile (or the reference's name)."""

    kind: ClientKind
    profile: str

    def install_root_ca(self, ca: PkiMaterial) -> None:
        """Add CA to LocalMachine\\Root (trusted for the gateway certificate)."""

    def install_machine_certificate(self, credential: PkiMaterial) -> None:
        """Import a certificate with its key into LocalMachine\\My (case A)."""

    def install_user_certificate(self, credential: PkiMaterial) -> None:
        """Import a certificate with its key into the test user's CurrentUser\\My (case B)."""

    def add_vpn_connection(self, profile: VpnProfile) -> None:
        """Create the VPN profile as Add-VpnConnection would (replacing a same-named one)."""

    def set_ipsec_configuration(self, name: str, config: IPsecConfiguration | None) -> None:
        """Set-VpnConnectionIPsecConfiguration; None means -RevertToDefault."""

    def add_vpn_connection_route(self, name: str, prefix: str) -> None:
        """Add-VpnConnectionRoute: PREFIX is routed into the tunnel while NAME is connected
        (installed on connect, removed on disconnect); CmdletRefused if Windows refuses it."""

    def set_registry_value(self, name: str, value: int) -> None:
        """A RasMan\\Parameters DWORD (e.g. NegotiateDH2048_AES256), with its service restart."""

    def connect(
        self, name: str, credentials: Credentials | None = None, *, timeout: float = 30.0
    ) -> ConnectOutcome:
        """Dial the profile NAME and wait for the outcome (like rasdial)."""

    def disconnect(self, name: str) -> None:
        """Hang up; idempotent."""

    def state(self, name: str) -> ClientState:
        """Connection status and what the gateway assigned."""

    def reach(self, address: str, *, timeout: float = 2.0) -> bool:
        """Ping ADDRESS from the client (through the tunnel when routes say so)."""

    def pings(self, address: str, *, interval: float) -> PingStream:
        """A ping stream to ADDRESS from the client (a context manager counting the loss)."""

    def collect_logs(self, directory: Path) -> list[Path]:
        """Write the client's logs into DIRECTORY; return the files written."""

    def close(self) -> None:
        """Release everything the client holds (daemons, VMs, sessions)."""
