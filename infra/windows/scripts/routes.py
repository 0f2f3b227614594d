"""Routes bound to a VPN profile: Add-VpnConnectionRoute.

Split-tunnel profiles reach the lab's inner networks only through routes the profile carries
(or that the gateway pushes via DHCP option 249; windows-client-behavior.md section 8). The
cmdlet stores the route in the profile; Windows installs it when the connection comes up and
removes it when it goes down, so the routing suite adds routes before dialling.
"""

from __future__ import annotations

import ipaddress

from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check

_MAX_UINT32 = 0xFFFFFFFF

_BODY = r"""
# docs: vpnclient/Add-VpnConnectionRoute.md
$routeArgs = @{
    ConnectionName = $Name                  # -ConnectionName (alias Name)
    DestinationPrefix = $DestinationPrefix  # -DestinationPrefix: IPv4 or IPv6 prefix
    AllUserConnection = $AllUserConnection  # -AllUserConnection: global phone book
    PassThru = $true                        # -PassThru: returns the MSFT_NetRoute object
}
if ($null -ne $RouteMetric) {
    $routeArgs.RouteMetric = [uint32]$RouteMetric  # -RouteMetric (UInt32)
}
$route = Add-VpnConnectionRoute @routeArgs
$WinteropData = [ordered]@{
    destination_prefix = [string]$route.DestinationPrefix
    address_family = [string]$route.AddressFamily
    next_hop = [string]$route.NextHop
    route_metric = $route.RouteMetric
}
"""


def add_vpn_connection_route(
    name: str,
    destination_prefix: str,
    *,
    route_metric: int | None = None,
    all_user_connection: bool = True,
) -> PsScript:
    """Add `destination_prefix` (CIDR, host bits zero) to profile `name`.

    Windows refuses `::/0` (windows-driving.md section 3.4; use `2000::/3` for an IPv6
    "default" route): the script sends it anyway, so that a VM shows Windows' own error.
    """
    _check.text("destination_prefix", destination_prefix, max_len=64, single_line=True)
    try:
        network = ipaddress.ip_network(destination_prefix, strict=True)
    except ValueError as exc:
        raise ValueError(f"destination_prefix is not a CIDR prefix: {exc}") from None
    if route_metric is not None:
        _check.integer("route_metric", route_metric, 0, _MAX_UINT32)
    return build_script(
        "add-vpn-connection-route",
        "{destination_prefix: str, address_family: str, next_hop: str, route_metric: int}",
        [
            Param("Name", _check.profile_name(name)),
            Param("DestinationPrefix", network.with_prefixlen),
            Param("RouteMetric", route_metric),
            Param("AllUserConnection", _check.flag("all_user_connection", all_user_connection)),
        ],
        _BODY,
    )
