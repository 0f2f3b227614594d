# winterop script: net-routes
# expects: {interface_alias: str ('' = all), routes: [{destination_prefix, next_hop, route_metric, interface_metric, interface_alias, interface_index, address_family, protocol}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$InterfaceAlias = ''
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
        $WinteropData = [ordered]@{
            interface_alias = $InterfaceAlias
            routes = @(Get-WinteropRoutes -Alias $InterfaceAlias)
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
