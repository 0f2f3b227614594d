# winterop script: add-vpn-connection-route
# expects: {destination_prefix: str, address_family: str, next_hop: str, route_metric: int}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Name = 'sw-eap'
$DestinationPrefix = '198.18.0.0/15'
$RouteMetric = $null
$AllUserConnection = $true
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
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
