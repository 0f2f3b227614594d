# winterop script: reachability
# expects: {target: str, protocol: 'icmp' | 'tcp', port: int | null, reachable: bool, seconds: float}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Target = '2001:db8:1::20'
$Port = 22
$Count = 1
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
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
