"""Constant PowerShell helper functions that several scripts include.

Each helper is static text (no values from Python) so it can be shared verbatim and read
once. Builders list the helpers they need; `build_script` places them before the body.
Windows PowerShell 5.1 is the target: no `??`, no ternary, no `ForEach-Object -Parallel`.
"""

from __future__ import annotations

# Run a native program with a prepared command line (see infra.windows.winargv), capture
# stdout/stderr and the exit code, and stop it at a deadline. A Process object is used rather
# than `& prog 2>&1` because in Windows PowerShell 5.1 with ErrorActionPreference=Stop the
# first stderr line of a redirected native command becomes a terminating error.
INVOKE_PROCESS = r"""
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
"""

# The exact-name lookup of a VPN profile, serialised with enums as strings. Listing all
# profiles and filtering with -eq avoids both the error Get-VpnConnection -Name raises for
# a missing profile and any wildcard reading of the name.
GET_VPN_CONNECTION = r"""
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
"""

# Same rule as infra.windows.rasdial.parse_rasdial_output: the number in the text wins,
# then the exit code; a timed-out attempt without text has no number. $RasErrorPattern is a
# value of the script (infra.windows.rasdial.RAS_ERROR_PATTERN).
GET_RAS_ERROR = r"""
function Get-WinteropRasError {
    param([object]$ExitCode, [string]$Output, [bool]$TimedOut)
    $match = [regex]::Match($Output, $RasErrorPattern)
    if ($match.Success) { return [int]$match.Groups[1].Value }
    if ($TimedOut) { return $null }
    if ($null -ne $ExitCode) { return [int]$ExitCode }
    return $null
}
"""

# Hang up a profile with rasdial /DISCONNECT when it is connected; deleting a connected
# profile fails with 817 (windows-driving.md section 3.4). Needs INVOKE_PROCESS.
DISCONNECT_IF_CONNECTED = r"""
function Invoke-WinteropHangUp {
    param([string]$ConnectionName, [bool]$AllUsers, [string]$HangUpArguments)
    # docs: windows-driving.md section 4.1 (rasdial "<entry>" /DISCONNECT; no Microsoft page)
    $current = Get-WinteropVpnConnection -ConnectionName $ConnectionName -AllUsers $AllUsers
    if ($null -eq $current -or $current.connection_status -ne 'Connected') { return $null }
    $rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
    return Invoke-WinteropProcess -FilePath $rasdial -Arguments $HangUpArguments -TimeoutMs 30000
}
"""

# A fresh file name under %TEMP% for content the script writes and removes itself.
NEW_TEMP_PATH = r"""
function New-WinteropTempPath {
    param([string]$Extension)
    $leaf = 'winterop-' + [guid]::NewGuid().ToString('N') + $Extension
    return Join-Path ([System.IO.Path]::GetTempPath()) $leaf
}
"""
