# winterop script: collect-logs
# expects: {since: str, rasclient_events: [{id, time_utc, provider, level, record_id, message, properties: [str]}], ipsec_events: [...same], route_print: str, ipconfig_all: str, rasdial: str, vpn_connections: [{name, connection_status, ...}], errors: {source: message}}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Since = '2025-01-02T03:04:05.000000Z'
$RasClientIds = @(20220, 20221, 20222, 20223, 20224, 20225, 20226, 20227)
$IpsecIds = @(4650, 4651, 4652, 4653, 4654, 4655, 4976, 4977, 5451, 5452, 5453)
$AuditProvider = 'Microsoft-Windows-Security-Auditing'
$MaxEvents = 500
function Invoke-WinteropProcess {
    # docs: .NET System.Diagnostics.ProcessStartInfo(String, String), Process.WaitForExit(Int32)
    param([string]$FilePath, [string]$Arguments, [int]$TimeoutMs)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($FilePath, $Arguments)
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.CreateNoWindow = $true
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $timedOut = -not $process.WaitForExit($TimeoutMs)
    $exitCode = $null
    if ($timedOut) {
        try { $process.Kill() } catch { }
        $null = $process.WaitForExit(5000)
    }
    else {
        $process.WaitForExit()
        $exitCode = $process.ExitCode
    }
    $out = ''
    $err = ''
    if ($stdout.Wait(5000)) { $out = $stdout.Result }
    if ($stderr.Wait(5000)) { $err = $stderr.Result }
    return [ordered]@{
        exit_code = $exitCode
        stdout = $out
        stderr = $err
        timed_out = $timedOut
        seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
    }
}
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
function Get-WinteropEvents {
    param([string]$LogName, [string]$Provider, [int[]]$Ids, [datetime]$StartTime)
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Diagnostics/Get-WinEvent.md
    # (-FilterHashtable keys LogName, ProviderName, Id, StartTime; -MaxEvents)
    $filter = @{ LogName = $LogName; Id = $Ids; StartTime = $StartTime }
    if ($Provider.Length -gt 0) { $filter.ProviderName = $Provider }
    try {
        $events = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxEvents)
    }
    catch {
        # Get-WinEvent reports "no events" as an error; that is an empty result here.
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return @() }
        throw
    }
    return @($events | Sort-Object -Property TimeCreated | ForEach-Object {
        [ordered]@{
            id = [int]$_.Id
            time_utc = $_.TimeCreated.ToUniversalTime().ToString('o')
            provider = [string]$_.ProviderName
            level = [string]$_.LevelDisplayName
            record_id = [long]$_.RecordId
            message = [string]$_.Message
            properties = @($_.Properties | ForEach-Object { [string]$_.Value })
        }
    })
}
function Get-WinteropVpnConnections {
    # docs: vpnclient/Get-VpnConnection.md (both phone books: per user and -AllUserConnection)
    foreach ($allUsers in @($false, $true)) {
        foreach ($c in @(Get-VpnConnection -AllUserConnection:$allUsers)) {
            Get-WinteropVpnConnection -ConnectionName $c.Name -AllUsers $allUsers
        }
    }
}
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $startTime = [datetime]::Parse($Since, [System.Globalization.CultureInfo]::InvariantCulture,
            [System.Globalization.DateTimeStyles]::RoundtripKind)
        $route = Join-Path $env:SystemRoot 'System32\ROUTE.EXE'
        $ipconfig = Join-Path $env:SystemRoot 'System32\ipconfig.exe'
        $rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
        $WinteropData = [ordered]@{ since = $Since; errors = [ordered]@{} }
        try {
            $rasArgs = @{ LogName = 'Application'; Provider = 'RasClient'; Ids = $RasClientIds }
            $WinteropData.rasclient_events = @(Get-WinteropEvents @rasArgs -StartTime $startTime)
        }
        catch {
            $WinteropData.rasclient_events = $null
            $WinteropData.errors.rasclient_events = $_.Exception.Message
        }
        try {
            $ipsecArgs = @{ LogName = 'Security'; Provider = $AuditProvider; Ids = $IpsecIds }
            $WinteropData.ipsec_events = @(Get-WinteropEvents @ipsecArgs -StartTime $startTime)
        }
        catch {
            $WinteropData.ipsec_events = $null
            $WinteropData.errors.ipsec_events = $_.Exception.Message
        }
        try {
            # docs: windowsserverdocs windows-commands/route_ws2008.md (route print)
            $WinteropData.route_print = (Invoke-WinteropProcess $route 'print' 30000).stdout
        }
        catch {
            $WinteropData.route_print = $null
            $WinteropData.errors.route_print = $_.Exception.Message
        }
        try {
            # docs: windowsserverdocs windows-commands/ipconfig.md (/all)
            $WinteropData.ipconfig_all = (Invoke-WinteropProcess $ipconfig '/all' 30000).stdout
        }
        catch {
            $WinteropData.ipconfig_all = $null
            $WinteropData.errors.ipconfig_all = $_.Exception.Message
        }
        try {
            # rasdial without arguments lists the connected entries (windows-driving.md 4.1)
            $WinteropData.rasdial = (Invoke-WinteropProcess $rasdial '' 30000).stdout
        }
        catch {
            $WinteropData.rasdial = $null
            $WinteropData.errors.rasdial = $_.Exception.Message
        }
        try {
            $WinteropData.vpn_connections = @(Get-WinteropVpnConnections)
        }
        catch {
            $WinteropData.vpn_connections = $null
            $WinteropData.errors.vpn_connections = $_.Exception.Message
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
