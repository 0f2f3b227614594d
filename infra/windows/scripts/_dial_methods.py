"""The three ways the connect script dials, in the order windows-driving.md section 4.2 gives.

EAP profiles may fail with 703 ERROR_INTERACTIVE_MODE when dialled from a non-interactive
session, because RasDial then needs EAP user data that only an interactive caller can supply.
The documented workarounds, tried in this order until one returns something other than 703:

1. `rasdial-session` - `rasdial name [user password]` in the remoting session itself;
2. `rasdial-interactive-task` - the same command line run by a scheduled task in the logon
   session of an auto-logged-on test user (LogonType Interactive);
3. `rasdial-pinvoke` - RasDialW called directly through Add-Type, with user and password in
   RASDIALPARAMSW (one project reports success this way).

(Workaround 4, `-UseWinlogonCredential`, is a profile setting: `EapMsChapV2`.)

Every function below is constant PowerShell; each returns one attempt record
`{method, exit_code, output, timed_out, seconds, detail, error}` that infra.windows.rasdial
parses; `error` is set when the harness itself failed (not a dial result).
"""

from __future__ import annotations

from typing import Literal

from infra.windows import pshelpers
from infra.windows.psquote import ps_str

DialMethod = Literal["rasdial-session", "rasdial-interactive-task", "rasdial-pinvoke"]
DIAL_METHODS: tuple[DialMethod, ...] = (
    "rasdial-session",
    "rasdial-interactive-task",
    "rasdial-pinvoke",
)

SESSION = r"""
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
"""

# The script the scheduled task runs as the interactive user. It reads its request (command
# line, timeout, result path) from a file in a directory only SYSTEM, Administrators and that
# user can open, deletes the request at once (it holds the password), and writes its result
# next to it, renaming it into place so the caller never reads a half-written file.
_TASK_SCRIPT = (
    r"""param([string]$RequestPath)
$ErrorActionPreference = 'Stop'
$request = [System.IO.File]::ReadAllText($RequestPath) | ConvertFrom-Json
Remove-Item -LiteralPath $RequestPath -Force
"""
    + pshelpers.INVOKE_PROCESS.strip("\n")
    + r"""
$result = [ordered]@{ exit_code = $null; stdout = ''; stderr = ''; timed_out = $false;
    seconds = $null; error = $null }
try {
    $rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
    $timeoutMs = [int]$request.timeout_ms
    $run = Invoke-WinteropProcess $rasdial $request.arguments $timeoutMs
    foreach ($key in @($run.Keys)) { $result[$key] = $run[$key] }
}
catch {
    $result.error = $_.Exception.Message
}
$partial = $request.result_path + '.partial'
[System.IO.File]::WriteAllText($partial, (ConvertTo-Json -InputObject $result -Compress))
Move-Item -LiteralPath $partial -Destination $request.result_path -Force
"""
)

INTERACTIVE_TASK = (
    r"""
function Get-WinteropTaskDialScript {
    return """
    + ps_str(_TASK_SCRIPT)
    + r"""
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
"""
)

# RASDIALPARAMSW as ras.h declares it for WINVER >= 0x0A00, packed to 4 bytes (ras.h includes
# pshpack4.h): 2120 bytes on x64, 2112 on x86. RasDialW is called synchronously (no notifier);
# on failure the returned handle must still be hung up. docs: MicrosoftDocs/sdk-api
# sdk-api-src/content/ras/nf-ras-rasdialw.md, ns-ras-rasdialparamsw.md, nf-ras-rashangupw.md.
_RASDIAL_CSHARP = r"""using System;
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
"""

PINVOKE = (
    r"""
function Invoke-WinteropDialPInvoke {
    $attempt = [ordered]@{ method = 'rasdial-pinvoke'; exit_code = $null; output = '';
        timed_out = $false; seconds = $null; detail = ''; error = $null }
    if (-not ('Winterop.RasDialer' -as [type])) {
        # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/Add-Type.md
        Add-Type -TypeDefinition """
    + ps_str(_RASDIAL_CSHARP)
    + r"""
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
"""
)
