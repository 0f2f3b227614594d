# winterop script: pktmon-start
# expects: {etl_path: str, started: bool, commands: [{arguments, exit_code, output}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$CaptureDir = 'C:\ProgramData\winterop\pktmon'
$EtlPath = 'C:\ProgramData\winterop\pktmon\cell-1.etl'
$PktmonCommands = @('filter remove', 'filter add winterop-udp500 -t UDP -p 500', 'filter add winterop-udp4500 -t UDP -p 4500', 'filter add winterop-esp -t 50', 'start --capture --comp nics --pkt-size 0 --file-name C:\ProgramData\winterop\pktmon\cell-1.etl')
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
function Invoke-WinteropPktmon {
    param([string[]]$CommandLines)
    $pktmon = Join-Path $env:SystemRoot 'System32\pktmon.exe'
    $runs = @()
    foreach ($commandLine in $CommandLines) {
        $run = Invoke-WinteropProcess -FilePath $pktmon -Arguments $commandLine -TimeoutMs 60000
        $runs += [ordered]@{
            arguments = $commandLine
            exit_code = $run.exit_code
            output = [string]$run.stdout + [string]$run.stderr
        }
        if ($run.exit_code -ne 0) { break }
    }
    return $runs
}
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $null = New-Item -ItemType Directory -Path $CaptureDir -Force
        $runs = @(Invoke-WinteropPktmon -CommandLines $PktmonCommands)
        $WinteropData = [ordered]@{
            etl_path = $EtlPath
            started = ($runs.Count -eq $PktmonCommands.Count -and $runs[-1].exit_code -eq 0)
            commands = $runs
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
