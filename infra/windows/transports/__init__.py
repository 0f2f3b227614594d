"""Transports: how a `PsScript` reaches a Windows guest and its output comes back.

Three implementations behind one `Transport` protocol (`run(script, timeout)`):

- `psrp`  (pypsrp): PowerShell Remoting over WS-Management/HTTPS; the default.
- `winrm` (pywinrm): WinRS shell over WS-Management/HTTPS; the script goes on stdin.
- `ssh`   (paramiko): PowerShell over Windows OpenSSH; the script goes on stdin. The way
  to run as the test user with a password logon (CurrentUser\\My, DPAPI).

All enforce the harness deadline (TransportTimeout), keep stdout, stderr and error records
apart, and take credentials from environment variables named in the inventory.
"""

from __future__ import annotations

from infra.windows.transports.base import (
    Transport,
    TransportError,
    TransportResult,
    TransportTimeout,
)
from infra.windows.transports.credentials import (
    CredentialError,
    CredentialNames,
    Credentials,
    resolve_credentials,
)
from infra.windows.transports.settings import SshSettings, TransportKind, WsmanSettings
from infra.windows.transports.ssh import SocketFactory


def open_transport(
    kind: TransportKind,
    host: str,
    credentials: Credentials,
    *,
    wsman: WsmanSettings | None = None,
    ssh: SshSettings | None = None,
    sock_factory: SocketFactory | None = None,
) -> Transport:
    """A transport of KIND to HOST; nothing connects until the first `run`."""
    if kind == "psrp":
        from infra.windows.transports.psrp import PsrpTransport

        return PsrpTransport(host, credentials, wsman)
    if kind == "winrm":
        from infra.windows.transports.winrm import WinrmTransport

        return WinrmTransport(host, credentials, wsman)
    if kind == "ssh":
        from infra.windows.transports.ssh import SshTransport

        return SshTransport(host, credentials, ssh, sock_factory=sock_factory)
    raise ValueError(f"unknown transport kind {kind!r}")


__all__ = [
    "CredentialError",
    "CredentialNames",
    "Credentials",
    "SshSettings",
    "Transport",
    "TransportError",
    "TransportKind",
    "TransportResult",
    "TransportTimeout",
    "WsmanSettings",
    "open_transport",
    "resolve_credentials",
]
