"""Endpoint settings of the transports, as the inventory states them.

WinRM and PSRP share the WS-Management listener (HTTPS on 5986 by default; winterop does
not offer plain HTTP, where Basic auth would send the password readable). Only password
authentication methods both libraries implement are offered; which one a lab uses is its
choice (windows-driving.md section 9: NTLM over HTTPS with the lab CA).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WsmanAuth = Literal["ntlm", "basic", "kerberos", "credssp"]
WSMAN_AUTHS: tuple[WsmanAuth, ...] = ("ntlm", "basic", "kerberos", "credssp")
TransportKind = Literal["psrp", "winrm", "ssh"]
TRANSPORT_KINDS: tuple[TransportKind, ...] = ("psrp", "winrm", "ssh")


@dataclass(frozen=True)
class WsmanSettings:
    """The WS-Management listener of the guest (pywinrm and pypsrp).

    `ca_file` is a PEM bundle that signs the listener's certificate (the lab CA); with
    `validate_certificate=False` any certificate is accepted (only for throw-away labs).
    `operation_timeout` must stay below `read_timeout` (the WSMan rule both libraries
    enforce); both are per request, the script deadline is the harness's.
    """

    port: int = 5986
    path: str = "wsman"
    auth: WsmanAuth = "ntlm"
    ca_file: str | None = None
    validate_certificate: bool = True
    operation_timeout: int = 20
    read_timeout: int = 30

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be 1-65535, got {self.port}")
        if self.auth not in WSMAN_AUTHS:
            raise ValueError(f"auth must be one of {', '.join(WSMAN_AUTHS)}")
        if not 1 <= self.operation_timeout < self.read_timeout:
            raise ValueError("operation_timeout must be at least 1 and below read_timeout")


@dataclass(frozen=True)
class SshSettings:
    """The guest's OpenSSH server. `known_hosts` pins its host key (unknown keys are refused)."""

    port: int = 22
    known_hosts: str | None = None
    connect_timeout: float = 15.0
    keepalive: int = 15

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be 1-65535, got {self.port}")
        if not self.connect_timeout > 0:
            raise ValueError("connect_timeout must be positive")
