"""Reachability from the guest through (or around) the tunnel: ICMP or a TCP connect.

Routing tests ask "does traffic to X flow through the VPN": the guest pings or opens a TCP
connection and the gateway-side capture shows which path it took. ICMP uses Test-Connection
(Windows PowerShell 5.1 syntax, -Quiet returns a bool), TCP uses Test-NetConnection -Port
with -InformationLevel Quiet (also a bool). Both report failure as `false`, not as an error.
"""

from __future__ import annotations

from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check

_BODY = r"""
$watch = [System.Diagnostics.Stopwatch]::StartNew()
if ($null -eq $Port) {
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/Test-Connection.md
    $pingArgs = @{
        ComputerName = $Target  # -ComputerName (String[]): name or IPv4/IPv6 address
        Count = $Count          # -Count: echo requests to send
        Quiet = $true           # -Quiet: $true if any reply arrived
    }
    $reachable = [bool](Test-Connection @pingArgs)
    $protocol = 'icmp'
}
else {
    # docs: nettcpip/Test-NetConnection.md (parameter set RemotePort)
    $tcpArgs = @{
        ComputerName = $Target         # -ComputerName
        Port = $Port                   # -Port (Int32): TCP port
        InformationLevel = 'Quiet'     # -InformationLevel Quiet: returns a bool
        WarningAction = 'SilentlyContinue'
    }
    $reachable = [bool](Test-NetConnection @tcpArgs)
    $protocol = 'tcp'
}
$WinteropData = [ordered]@{
    target = $Target
    protocol = $protocol
    port = $Port
    reachable = $reachable
    seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
}
"""


def reachability(target: str, *, port: int | None = None, count: int = 2) -> PsScript:
    """Ping `target` (`port=None`) or open a TCP connection to `target:port`."""
    _check.text("target", target, max_len=255, single_line=True)
    if port is not None:
        _check.integer("port", port, 1, 65535)
    _check.integer("count", count, 1, 100)
    return build_script(
        "reachability",
        "{target: str, protocol: 'icmp' | 'tcp', port: int | null, reachable: bool, "
        "seconds: float}",
        [Param("Target", target), Param("Port", port), Param("Count", count)],
        _BODY,
    )
