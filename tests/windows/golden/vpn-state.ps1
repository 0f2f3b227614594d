# winterop script: vpn-state
# expects: {connection: {name, connection_status, ...} | null, interface_alias: str, addresses: [{ip_address, prefix_length, address_family, prefix_origin}], dns_servers: [{address, address_family}], routes: [{destination_prefix, next_hop, route_metric, interface_metric, interface_alias, interface_index, address_family, protocol}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Name = 'sw-eap'
$AllUserConnection = $true
function Get-WinteropVpnConnection {
    param([string]$ConnectionName, [bool]$AllUsers)
    # docs: vpnclient/Get-VpnConnection.md (-AllUserConnection; properties as in its examples)
    $found = @(Get-VpnConnection -AllUserConnection:$AllUsers |
        Where-Object { $_.Name -eq $ConnectionName })
    if ($found.Count -eq 0) { return $null }
    $c = $found[0]
    return [ordered]@{
        name = [string]$c.Name
        server_address = [string]$c.ServerAddress
        tunnel_type = [string]$c.TunnelType
        authentication_method = @($c.AuthenticationMethod | ForEach-Object { [string]$_ })
        encryption_level = [string]$c.EncryptionLevel
        split_tunneling = [bool]$c.SplitTunneling
        remember_credential = [bool]$c.RememberCredential
        all_user_connection = [bool]$c.AllUserConnection
        connection_status = [string]$c.ConnectionStatus
        guid = [string]$c.Guid
    }
}
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
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
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
    }
    $WinteropOk = $true
}
catch {
    $WinteropFailure = $_
}
$WinteropDocument = [ordered]@{ ok = $WinteropOk; data = $WinteropData; error = $null }
if ($null -ne $WinteropFailure) {
    $WinteropDocument.error = [ordered]@{
        message = [string]$WinteropFailure.Exception.Message
        category = [string]$WinteropFailure.CategoryInfo.Category
        hresult = [int]$WinteropFailure.Exception.HResult
    }
}
try {
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/ConvertTo-Json.md
    $WinteropJson = ConvertTo-Json -InputObject $WinteropDocument -Depth 6 -Compress
}
catch {
    $WinteropJson = ConvertTo-Json -Depth 6 -Compress -InputObject ([ordered]@{
        ok = $false
        data = $null
        error = [ordered]@{
            message = 'result serialisation failed: ' + $_.Exception.Message
            category = [string]$_.CategoryInfo.Category
            hresult = [int]$_.Exception.HResult
        }
    })
}
$WinteropEscape = [System.Text.RegularExpressions.MatchEvaluator]{
    param($m)
    '\u{0:x4}' -f [int][char]$m.Value
}
[regex]::Replace($WinteropJson, '[^\x00-\x7F]', $WinteropEscape)
