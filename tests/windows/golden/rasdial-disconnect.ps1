# winterop script: rasdial-disconnect
# expects: {name, was_connected: bool, exit_code, output, timed_out, ras_error: int | null, connection: {...} | null}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Name = 'sw-eap'
$AllUserConnection = $true
$HangUpArguments = 'sw-eap /DISCONNECT'
$TimeoutMs = 30000
$RasErrorPattern = '(?i)\berror\s+([0-9]{1,5})\b'
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
function Get-WinteropRasError {
    param([object]$ExitCode, [string]$Output, [bool]$TimedOut)
    $match = [regex]::Match($Output, $RasErrorPattern)
    if ($match.Success) { return [int]$match.Groups[1].Value }
    if ($TimedOut) { return $null }
    if ($null -ne $ExitCode) { return [int]$ExitCode }
    return $null
}
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $before = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
        $rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
        # docs: windows-driving.md section 4.1 (rasdial "<entry>" /DISCONNECT)
        $run = Invoke-WinteropProcess -FilePath $rasdial -Arguments $HangUpArguments -TimeoutMs $TimeoutMs
        $output = [string]$run.stdout + [string]$run.stderr
        $WinteropData = [ordered]@{
            name = $Name
            was_connected = ($null -ne $before -and $before.connection_status -eq 'Connected')
            exit_code = $run.exit_code
            output = $output
            timed_out = $run.timed_out
            ras_error = Get-WinteropRasError $run.exit_code $output $run.timed_out
            connection = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
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
