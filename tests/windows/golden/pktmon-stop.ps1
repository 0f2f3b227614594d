# winterop script: pktmon-stop
# expects: {pcapng_path: str, pcapng_size: int | null, pcapng_base64: str | null (null when absent or larger than max_inline_bytes), commands: [{arguments, exit_code, output}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$PcapPath = 'C:\ProgramData\winterop\pktmon\cell-1.pcapng'
$MaxInlineBytes = 8388608
$PktmonCommands = @('stop', 'etl2pcap C:\ProgramData\winterop\pktmon\cell-1.etl --out C:\ProgramData\winterop\pktmon\cell-1.pcapng')
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
        $runs = @(Invoke-WinteropPktmon -CommandLines $PktmonCommands)
        $content = $null
        $size = $null
        if (Test-Path -LiteralPath $PcapPath) {
            $size = (Get-Item -LiteralPath $PcapPath).Length
            if ($size -le $MaxInlineBytes) {
                $content = [System.Convert]::ToBase64String([System.IO.File]::ReadAllBytes($PcapPath))
            }
        }
        $WinteropData = [ordered]@{
            pcapng_path = $PcapPath
            pcapng_size = $size
            pcapng_base64 = $content
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
