# winterop script: rasdial-connect
# expects: {name: str, ras_error: int | null (last attempt; 0 = connected), attempts: [{method, exit_code: int | null, output: str, timed_out: bool, seconds, detail, error: str | null (harness failure)}], connection: {name, connection_status, ...} | null}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Name = 'sw-eap'
$AllUserConnection = $true
$RasdialArguments = 'sw-eap alice Lab-Passw0rd'
$User = 'alice'
$Password = 'Lab-Passw0rd'
$TimeoutMs = 90000
$Methods = @('rasdial-session', 'rasdial-interactive-task', 'rasdial-pinvoke')
$InteractiveUser = 'labuser'
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
function Invoke-WinteropDialSession {
    # docs: windows-driving.md section 4.1 (rasdial "<entry>" [<user> <password>])
    $rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
    $run = Invoke-WinteropProcess $rasdial $RasdialArguments $TimeoutMs
    return [ordered]@{
        method = 'rasdial-session'
        exit_code = $run.exit_code
        output = [string]$run.stdout + [string]$run.stderr
        timed_out = $run.timed_out
        seconds = $run.seconds
        detail = ''
        error = $null
    }
}
function Get-WinteropTaskDialScript {
    return 'param([string]$RequestPath)
$ErrorActionPreference = ''Stop''
$request = [System.IO.File]::ReadAllText($RequestPath) | ConvertFrom-Json
Remove-Item -LiteralPath $RequestPath -Force
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
    $out = ''''
    $err = ''''
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
$result = [ordered]@{ exit_code = $null; stdout = ''''; stderr = ''''; timed_out = $false;
    seconds = $null; error = $null }
try {
    $rasdial = Join-Path $env:SystemRoot ''System32\rasdial.exe''
    $timeoutMs = [int]$request.timeout_ms
    $run = Invoke-WinteropProcess $rasdial $request.arguments $timeoutMs
    foreach ($key in @($run.Keys)) { $result[$key] = $run[$key] }
}
catch {
    $result.error = $_.Exception.Message
}
$partial = $request.result_path + ''.partial''
[System.IO.File]::WriteAllText($partial, (ConvertTo-Json -InputObject $result -Compress))
Move-Item -LiteralPath $partial -Destination $request.result_path -Force
'
}
function New-WinteropPrivateDirectory {
    param([string]$Path, [string]$Account)
    $null = New-Item -ItemType Directory -Path $Path -Force
    # docs: .NET System.Security.AccessControl.DirectorySecurity / FileSystemAccessRule
    $acl = [System.Security.AccessControl.DirectorySecurity]::new()
    $acl.SetAccessRuleProtection($true, $false)
    $inherit = 'ContainerInherit,ObjectInherit'
    foreach ($sid in @('S-1-5-18', 'S-1-5-32-544')) {
        $owner = [System.Security.Principal.SecurityIdentifier]::new($sid)
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new(
            $owner, 'FullControl', $inherit, 'None', 'Allow'))
    }
    $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new(
        $Account, 'Modify', $inherit, 'None', 'Allow'))
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Security/Set-Acl.md
    Set-Acl -LiteralPath $Path -AclObject $acl
}
function Invoke-WinteropDialInteractive {
    $attempt = [ordered]@{ method = 'rasdial-interactive-task'; exit_code = $null;
        output = ''; timed_out = $false; seconds = $null; detail = ''; error = $null }
    $id = [guid]::NewGuid().ToString('N')
    $workDir = Join-Path $env:ProgramData ('winterop\dial-' + $id)
    $taskName = 'winterop-dial-' + $id
    try {
        New-WinteropPrivateDirectory -Path $workDir -Account $InteractiveUser
        $scriptPath = Join-Path $workDir 'dial.ps1'
        $requestPath = Join-Path $workDir 'request.json'
        $resultPath = Join-Path $workDir 'result.json'
        [System.IO.File]::WriteAllText($scriptPath, (Get-WinteropTaskDialScript))
        $request = [ordered]@{ arguments = $RasdialArguments; timeout_ms = $TimeoutMs;
            result_path = $resultPath }
        [System.IO.File]::WriteAllText($requestPath, (ConvertTo-Json $request -Compress))
        $powershell = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
        $taskArguments = [string]::Format(
            '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" -RequestPath "{1}"',
            $scriptPath, $requestPath)
        # docs: scheduledtasks/New-ScheduledTaskAction.md (-Execute, -Argument)
        $action = New-ScheduledTaskAction -Execute $powershell -Argument $taskArguments
        # docs: scheduledtasks/New-ScheduledTaskPrincipal.md (-UserId; -LogonType Interactive
        # runs in the user's own logon session, so the user must be logged on; -RunLevel)
        $principalArgs = @{
            UserId = $InteractiveUser  # -UserId: the auto-logged-on test user
            LogonType = 'Interactive'  # -LogonType Interactive
            RunLevel = 'Limited'       # -RunLevel Limited: no elevation needed to dial
        }
        $principal = New-ScheduledTaskPrincipal @principalArgs
        # docs: scheduledtasks/New-ScheduledTaskSettingsSet.md
        $limit = New-TimeSpan -Seconds ([int]($TimeoutMs / 1000) + 60)
        $settingsArgs = @{
            ExecutionTimeLimit = $limit         # -ExecutionTimeLimit: stop a hung dial
            AllowStartIfOnBatteries = $true     # -AllowStartIfOnBatteries
            DontStopIfGoingOnBatteries = $true  # -DontStopIfGoingOnBatteries
        }
        $settings = New-ScheduledTaskSettingsSet @settingsArgs
        # docs: scheduledtasks/Register-ScheduledTask.md (parameter set Principal)
        $registerArgs = @{
            TaskName = $taskName    # -TaskName
            Action = $action        # -Action
            Principal = $principal  # -Principal
            Settings = $settings    # -Settings
            Force = $true           # -Force: replace a same-named task
        }
        $null = Register-ScheduledTask @registerArgs
        # docs: scheduledtasks/Start-ScheduledTask.md
        Start-ScheduledTask -TaskName $taskName
        $deadline = (Get-Date).AddMilliseconds($TimeoutMs + 30000)
        while (-not (Test-Path -LiteralPath $resultPath) -and (Get-Date) -lt $deadline) {
            Start-Sleep -Milliseconds 500
        }
        if (Test-Path -LiteralPath $resultPath) {
            $run = [System.IO.File]::ReadAllText($resultPath) | ConvertFrom-Json
            $attempt.exit_code = $run.exit_code
            $attempt.output = [string]$run.stdout + [string]$run.stderr
            $attempt.timed_out = [bool]$run.timed_out
            $attempt.seconds = $run.seconds
            if ($null -ne $run.error) { $attempt.error = [string]$run.error }
        }
        else {
            # docs: scheduledtasks/Get-ScheduledTaskInfo.md (LastTaskResult)
            $info = Get-ScheduledTaskInfo -TaskName $taskName
            $attempt.timed_out = $true
            $attempt.detail = 'no result from the task (LastTaskResult ' +
                $info.LastTaskResult + '); is the user logged on interactively?'
        }
    }
    finally {
        # Cleanup must not replace the attempt's result with its own error.
        # docs: scheduledtasks/Stop-ScheduledTask.md, scheduledtasks/Unregister-ScheduledTask.md
        try { Stop-ScheduledTask -TaskName $taskName -ErrorAction SilentlyContinue } catch { }
        try { Unregister-ScheduledTask -TaskName $taskName -Confirm:$false } catch { }
        try { Remove-Item -LiteralPath $workDir -Recurse -Force } catch { }
    }
    return $attempt
}
function Invoke-WinteropDialPInvoke {
    $attempt = [ordered]@{ method = 'rasdial-pinvoke'; exit_code = $null; output = '';
        timed_out = $false; seconds = $null; detail = ''; error = $null }
    if (-not ('Winterop.RasDialer' -as [type])) {
        # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/Add-Type.md
        Add-Type -TypeDefinition 'using System;
using System.Runtime.InteropServices;

namespace Winterop
{
    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode, Pack = 4)]
    public struct RasDialParams
    {
        public int dwSize;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 257)] public string szEntryName;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 129)] public string szPhoneNumber;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 129)] public string szCallbackNumber;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 257)] public string szUserName;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 257)] public string szPassword;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 16)] public string szDomain;
        public int dwSubEntry;
        public IntPtr dwCallbackId;
        public int dwIfIndex;
        public IntPtr szEncPassword;
    }

    public static class RasDialer
    {
        [DllImport("rasapi32.dll", CharSet = CharSet.Unicode)]
        private static extern int RasDialW(IntPtr extensions, string phonebook,
            ref RasDialParams parameters, int notifierType, IntPtr notifier,
            ref IntPtr connection);

        [DllImport("rasapi32.dll", CharSet = CharSet.Unicode)]
        private static extern int RasHangUpW(IntPtr connection);

        public static int Dial(string phonebook, string entry, string user, string password)
        {
            RasDialParams p = new RasDialParams();
            p.dwSize = Marshal.SizeOf(typeof(RasDialParams));
            p.szEntryName = entry;
            p.szPhoneNumber = String.Empty;
            p.szCallbackNumber = String.Empty;
            p.szUserName = user;
            p.szPassword = password;
            p.szDomain = String.Empty;
            IntPtr connection = IntPtr.Zero;
            int result = RasDialW(IntPtr.Zero, phonebook, ref p, 0, IntPtr.Zero, ref connection);
            if (result != 0 && connection != IntPtr.Zero)
            {
                RasHangUpW(connection);
            }
            return result;
        }
    }
}
'
    }
    $folder = 'ApplicationData'
    if ($AllUserConnection) { $folder = 'CommonApplicationData' }
    $phonebook = Join-Path ([Environment]::GetFolderPath($folder)) 'Microsoft\Network'
    $phonebook = Join-Path $phonebook 'Connections\Pbk\rasphone.pbk'
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $attempt.exit_code = [Winterop.RasDialer]::Dial($phonebook, $Name, $User, $Password)
    $attempt.seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
    $attempt.detail = 'RasDialW return value; phone book ' + $phonebook
    return $attempt
}
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $attempts = [System.Collections.Generic.List[object]]::new()
        $rasError = $null
        foreach ($method in $Methods) {
            try {
                if ($method -eq 'rasdial-session') { $attempt = Invoke-WinteropDialSession }
                elseif ($method -eq 'rasdial-interactive-task') {
                    $attempt = Invoke-WinteropDialInteractive
                }
                else { $attempt = Invoke-WinteropDialPInvoke }
            }
            catch {
                # A harness failure of one method is recorded and the next method is tried.
                $attempts.Add([ordered]@{ method = $method; exit_code = $null; output = '';
                    timed_out = $false; seconds = $null; detail = ''; error = $_.Exception.Message })
                continue
            }
            $attempts.Add($attempt)
            $errorArgs = @{
                ExitCode = $attempt.exit_code
                Output = $attempt.output
                TimedOut = $attempt.timed_out
            }
            $rasError = Get-WinteropRasError @errorArgs
            # Only 703 ERROR_INTERACTIVE_MODE sends the dial on to the next workaround.
            if ($rasError -ne 703) { break }
        }
        $WinteropData = [ordered]@{
            name = $Name
            ras_error = $rasError
            attempts = @($attempts)
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
