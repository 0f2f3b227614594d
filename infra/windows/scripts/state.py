"""What the guest says about a VPN connection: profile status, addresses, DNS servers, routes.

Suites assert routing and addressing outcomes (virtual IP from the gateway's pool, DNS
servers pushed in the CP payload, split-tunnel routes; windows-client-behavior.md section 8)
on this data. The VPN interface's alias is the profile name, and every lookup filters with
an exact `-eq` on that alias in the pipeline rather than passing it to -InterfaceAlias,
which reads wildcards (docs: nettcpip/Get-NetIPAddress.md, "Accept wildcard characters:
True"). Enums are stringified; ConvertTo-Json would otherwise write their numbers.
"""

from __future__ import annotations

from infra.windows import pshelpers
from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check

_ROUTES = r"""
function Get-WinteropRoutes {
    param([string]$Alias)
    # docs: nettcpip/Get-NetRoute.md
    $routes = @(Get-NetRoute)
    if ($Alias.Length -gt 0) {
        $routes = @($routes | Where-Object { $_.InterfaceAlias -eq $Alias })
    }
    return @($routes | ForEach-Object {
        [ordered]@{
            destination_prefix = [string]$_.DestinationPrefix
            next_hop = [string]$_.NextHop
            route_metric = [int]$_.RouteMetric
            interface_metric = [int]$_.InterfaceMetric
            interface_alias = [string]$_.InterfaceAlias
            interface_index = [int]$_.InterfaceIndex
            address_family = [string]$_.AddressFamily
            protocol = [string]$_.Protocol
        }
    })
}
"""

_STATE_BODY = r"""
# docs: nettcpip/Get-NetIPAddress.md
$addresses = @(Get-NetIPAddress | Where-Object { $_.InterfaceAlias -eq $Name } |
    ForEach-Object {
        [ordered]@{
            ip_address = [string]$_.IPAddress
            prefix_length = [int]$_.PrefixLength
            address_family = [string]$_.AddressFamily
            prefix_origin = [string]$_.PrefixOrigin
        }
    })
# docs: dnsclient/Get-DnsClientServerAddress.md (AddressFamily is 2 for IPv4, 23 for IPv6)
$dnsServers = @(Get-DnsClientServerAddress | Where-Object { $_.InterfaceAlias -eq $Name } |
    ForEach-Object {
        $family = 'IPv6'
        if ([int]$_.AddressFamily -eq 2) { $family = 'IPv4' }
        foreach ($server in @($_.ServerAddresses)) {
            [ordered]@{ address = [string]$server; address_family = $family }
        }
    })
$WinteropData = [ordered]@{
    connection = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
    interface_alias = $Name
    addresses = $addresses
    dns_servers = $dnsServers
    routes = @(Get-WinteropRoutes -Alias $Name)
}
"""

_ROUTES_BODY = r"""
$WinteropData = [ordered]@{
    interface_alias = $InterfaceAlias
    routes = @(Get-WinteropRoutes -Alias $InterfaceAlias)
}
"""


def vpn_state(name: str, *, all_user_connection: bool = True) -> PsScript:
    """Profile status plus the addresses, DNS servers and routes of its interface."""
    return build_script(
        "vpn-state",
        "{connection: {name, connection_status, ...} | null, interface_alias: str, "
        "addresses: [{ip_address, prefix_length, address_family, prefix_origin}], "
        "dns_servers: [{address, address_family}], routes: [{destination_prefix, next_hop, "
        "route_metric, interface_metric, interface_alias, interface_index, address_family, "
        "protocol}]}",
        [
            Param("Name", _check.profile_name(name)),
            Param("AllUserConnection", _check.flag("all_user_connection", all_user_connection)),
        ],
        _STATE_BODY,
        helpers=[pshelpers.GET_VPN_CONNECTION, _ROUTES],
    )


def net_routes(interface_alias: str | None = None) -> PsScript:
    """The routing table, all of it or one interface's (exact alias match)."""
    alias = ""
    if interface_alias is not None:
        alias = _check.text("interface_alias", interface_alias, max_len=256, single_line=True)
    return build_script(
        "net-routes",
        "{interface_alias: str ('' = all), routes: [{destination_prefix, next_hop, "
        "route_metric, interface_metric, interface_alias, interface_index, address_family, "
        "protocol}]}",
        [Param("InterfaceAlias", alias)],
        _ROUTES_BODY,
        helpers=[_ROUTES],
    )
